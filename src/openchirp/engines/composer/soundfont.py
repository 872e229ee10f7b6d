"""General MIDI SoundFont: which file, a per-process pool of loaded synths, and playback of
note events into float32 stereo.

Loading a large SoundFont takes a good fraction of a second, so loaded synths are kept in a pool
(per file) and reset between uses; a reset synth renders exactly like a fresh one.
"""

from __future__ import annotations

import glob
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np
import tinysoundfont._tinysoundfont as tsf

from openchirp.engines.composer.drums import DRUM_CHANNELS
from openchirp.engines.composer.events import EventList
from openchirp.engines.composer.note_cache import CachedNotes
from openchirp.engines.composer.parts import CHANNELS
from openchirp.engines.composer.style import Style
from openchirp.engines.composer.style_data import PRODUCTION, Production

ENV_VAR = "OPENCHIRP_SOUNDFONT"
_CANDIDATES = (  # best first; .sf3 (Vorbis) loads ~10x slower than .sf2, so it comes later
    "/usr/share/sounds/sf2/MuseScore_General.sf2",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/usr/share/sounds/sf2/default-GM.sf2",
)
# Per role: MIDI volume and pan (0 left .. 1 right), a starting point the mix refines.
_LEVELS = {
    "bass": (0.85, 0.5),
    "comp": (0.62, 0.3),
    "comp2": (0.62, 0.72),
    "pad": (0.5, 0.62),
    "lead": (0.62, 0.58),
    "keys": (0.5, 0.4),
    "melody": (0.8, 0.5),
    "pad2": (0.5, 0.62),
    "keys2": (0.5, 0.4),
}


def bundled_soundfont() -> str:
    import pretty_midi

    return str(Path(pretty_midi.__file__).parent / "TimGM6mb.sf2")


def find_soundfont(configured: str | None = None) -> str:
    """A configured path wins, then $OPENCHIRP_SOUNDFONT, then the best GM SoundFont installed,
    then the small TimGM6mb that ships inside pretty_midi."""
    for path in (configured, os.environ.get(ENV_VAR)):
        if path:
            if not Path(path).is_file():
                raise FileNotFoundError(f"SoundFont not found: {path}")
            return path
    for path in _CANDIDATES:
        if Path(path).is_file():
            return str(Path(path).resolve())
    extra = sorted(glob.glob("/usr/share/sounds/sf3/*.sf3") + glob.glob("/usr/share/sounds/sf2/*"))
    for path in extra:
        if Path(path).is_file():
            return str(Path(path).resolve())
    return bundled_soundfont()


_pool: dict[str, list[tsf.SoundFont]] = {}
_lock = threading.Lock()


@contextmanager
def loaded(path: str, sample_rate: int) -> Iterator[tsf.SoundFont]:
    """A reset synth for ``path`` from the pool (loaded on first use), returned afterwards."""
    with _lock:
        free = _pool.setdefault(f"{path}@{sample_rate}", [])
        sf = free.pop() if free else None
    if sf is None:
        sf = tsf.SoundFont(path)
        sf.set_output(tsf.OutputMode.StereoInterleaved, sample_rate, 0.0)
        sf.set_max_voices(64)  # above this only releasing tails get stolen
    try:
        clear(sf)
        yield sf
    finally:
        clear(sf)
        with _lock:
            _pool[f"{path}@{sample_rate}"].append(sf)


_SCRATCH = np.zeros((4096, 2), np.float32)


def clear(sf: tsf.SoundFont) -> None:
    """Back to the state of a freshly loaded synth. reset() only starts a fast release of the
    sounding voices, so render those few milliseconds away into a scratch buffer."""
    sf.reset()
    sf.render(memoryview(_SCRATCH).cast("B"), False)
    sf.reset()


def preload(path: str, sample_rate: int) -> None:
    with loaded(path, sample_rate):
        pass


def channel_volumes(style: Style, roles: list[str]) -> tuple[dict[str, float], float]:
    """MIDI volume per role and of the drums: the starting levels with the genre's balance of
    drums and bass against the band, scaled so the loudest stays at full scale or below."""
    prod = PRODUCTION.get(style.genre, Production())
    vols = {}
    for role in roles:
        db = -max(0.0, prod.drums_db) + (prod.bass_db if role == "bass" else 0.0)
        vols[role] = _LEVELS[role][0] * 10 ** (db / 20)
    drums = 0.9 * 10 ** (min(0.0, prod.drums_db) / 20)
    top = max([drums, *vols.values()])
    scale = 1.0 / top if top > 1.0 else 1.0
    return {r: v * scale for r, v in vols.items()}, drums * scale


def setup_channels(sf: tsf.SoundFont, style: Style, melody_program: int | None) -> None:
    programs = dict(style.instruments)
    for role in ("comp", "pad", "keys"):  # the doubles and alternates share their patch
        if role in programs:
            programs[role + "2"] = programs[role]
    if melody_program is not None:
        programs["melody"] = melody_program
    volumes, drum_volume = channel_volumes(style, list(programs))
    for role, program in programs.items():
        ch = CHANNELS[role]
        sf.channel_set_bank(ch, 0)
        try:
            sf.channel_set_preset_number(ch, int(program), False)
        except RuntimeError:  # a SoundFont without that program: fall back to a piano
            sf.channel_set_preset_number(ch, 0, False)
        sf.channel_set_volume(ch, volumes[role])
        sf.channel_set_pan(ch, _LEVELS[role][1])
    if style.drums:
        kit = PRODUCTION.get(style.genre, Production()).kit
        for ch in DRUM_CHANNELS:
            sf.channel_set_bank(ch, 128)
            try:
                sf.channel_set_preset_number(ch, kit, True)
            except RuntimeError:  # a SoundFont without that kit: the standard one
                with suppress(RuntimeError):
                    sf.channel_set_preset_number(ch, 0, True)
            sf.channel_set_volume(ch, drum_volume)
            sf.channel_set_pan(ch, 0.5)


class Player:
    """Plays an EventList through a synth, block after block, from a start sample on.
    Recurring notes (drum hits above all) come from
    :class:`~openchirp.engines.composer.note_cache.CachedNotes` instead of the synth's voices
    when ``cache_s`` allows: same sound, a fraction of the cost, paid up front. ``font``: the
    SoundFont's path, which names the synth in the process-wide cache of notes."""

    def __init__(
        self,
        sf: tsf.SoundFont,
        events: EventList,
        start: int,
        sr: int,
        cache_s: float = 0.0,
        font: str = "",
    ) -> None:
        self.sf = sf
        self.pos = start
        cached = cache_s > 0
        self.cached = CachedNotes(sf, events, sr, start, cache_s, font) if cached else None
        synth = self.cached.synth if self.cached is not None else np.ones(len(events), bool)
        sample = events.sample[synth]
        self.i = int(np.searchsorted(sample, start, side="left"))
        # note-offs of notes started before `start` are harmless; skip the ons
        self._sample = sample.tolist()
        self._on = events.on[synth].tolist()
        self._ch = events.channel[synth].tolist()
        self._key = events.key[synth].tolist()
        self._vel = events.velocity[synth].tolist()

    def render(self, n: int, duck: np.ndarray | None = None) -> np.ndarray:
        """The next n samples, (n, 2) float32. ``duck``: a gain per sample for everything but
        the drums (a sidechain); drum notes the synth plays itself (a rare tom of a fill when
        the cache's budget runs out) are ducked with the rest."""
        out = np.empty((n, 2), np.float32)
        end = self.pos + n
        cur = self.pos
        i = self.i
        count = len(self._sample)
        sf = self.sf
        while cur < end:
            while i < count and self._sample[i] <= cur:
                if self._on[i]:
                    sf.channel_note_on(self._ch[i], self._key[i], self._vel[i])
                elif self._key[i] < 0:
                    sf.channel_sounds_off(self._ch[i])
                else:
                    sf.channel_note_off(self._ch[i], self._key[i])
                i += 1
            nxt = min(self._sample[i], end) if i < count else end
            sf.render(memoryview(out[cur - self.pos : nxt - self.pos]).cast("B"), False)
            cur = nxt
        if duck is not None:
            drums = np.zeros_like(out)
            if self.cached is not None:
                self.cached.mix_into(out, self.pos, drums, DRUM_CHANNELS)
            out *= duck[:, None]
            out += drums
        elif self.cached is not None:
            self.cached.mix_into(out, self.pos)
        self.i = i
        self.pos = end
        return out
