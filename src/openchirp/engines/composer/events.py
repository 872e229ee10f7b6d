"""The note events the parts write and the synth plays.

Parts (drums, bass, comping, pads, lead, the fallback melody) write :class:`NoteEvent` s in
beats; ``arrangement.to_samples`` turns a song's events into one :class:`EventList` in samples,
which the SoundFont player and the note cache read as columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

SILENCE = -1
"""Key of a pseudo-event that quickly releases everything sounding on its channel."""


class NoteEvent(NamedTuple):
    """One note on the song's beat timeline (a tuple: the parts make tens of thousands)."""

    start_beat: float
    length_beats: float
    channel: int
    key: int
    """MIDI key, or :data:`SILENCE`."""
    velocity: float
    """0..1."""


def channel_cut(start_beat: float, channel: int) -> NoteEvent:
    """Release everything still sounding on ``channel`` at ``start_beat``."""
    return NoteEvent(start_beat, 0.0, channel, SILENCE, 0.0)


@dataclass(frozen=True)
class EventList:
    """Note events sorted for playback: note-offs before note-ons at the same sample."""

    sample: np.ndarray
    on: np.ndarray
    channel: np.ndarray
    key: np.ndarray
    velocity: np.ndarray

    def __len__(self) -> int:
        return len(self.sample)
