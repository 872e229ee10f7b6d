"""Where each phoneme of a sung phrase goes in time.

A singer puts the vowel on the beat: a syllable's vowel starts at its note's start and is held to
the end of its last note (melisma notes carry ``syllable=None``). Onset consonants are sung just
*before* the note (taking time from the previous vowel, or from a rest, or as pre-roll before the
phrase) and coda consonants just before the vowel's end. Consonants shrink, never below ~45% of
their natural length, when notes are too short to hold them.
"""

from __future__ import annotations

from dataclasses import dataclass

from openchirp.engines.composer.voice.score import SungNote, Syllable
from openchirp.engines.composer.voice.tables import Articulation, articulation

_MIN_VOWEL_SHARE = 0.35  # of its notes' length, a vowel never shrinks below this
_MIN_CONSONANT_SCALE = 0.45
_STRETCH = 1.6


@dataclass(frozen=True)
class Segment:
    phoneme: str
    art: Articulation
    t0: float
    t1: float
    loud: float
    """Loudness of the syllable (velocity, stress)."""
    role: str
    """onset | nucleus | coda"""


@dataclass(frozen=True)
class _Group:
    syllable: Syllable
    start: float
    end: float
    velocity: float


def _groups(notes: list[SungNote]) -> list[_Group]:
    groups: list[_Group] = []
    for note in notes:
        end = note.start_s + note.duration_s
        if note.syllable is None and groups:
            g = groups[-1]
            groups[-1] = _Group(g.syllable, g.start, max(g.end, end), g.velocity)
        else:
            syl = note.syllable or Syllable("", ("@",), False, 0)  # a melisma with nothing before
            groups.append(_Group(syl, note.start_s, end, note.velocity))
    return groups


def _durations(phonemes: tuple[str, ...], spoken: tuple[float, ...] | None = None) -> list[float]:
    if spoken is not None:
        return [
            d if d > 0 else articulation(p).duration_s
            for p, d in zip(phonemes, spoken, strict=True)
        ]
    return [articulation(p).duration_s * _STRETCH for p in phonemes]


def syllables_of(notes: list[SungNote]) -> list[Syllable]:
    """The syllables of a phrase in the order :func:`plan_segments` sings them."""
    return [g.syllable for g in _groups(notes)]


def plan_segments(
    notes: list[SungNote], spoken: list[tuple[float, ...]] | None = None
) -> tuple[list[Segment], float]:
    """Segments in time order and the pre-roll (seconds before ``notes[0].start_s``).

    ``spoken``: per syllable (as :func:`syllables_of` lists them), the length in seconds of each
    of its phonemes as speech says them (0: unknown); the consonants take these lengths
    instead of the table's."""
    groups = _groups(notes)
    if spoken is not None and len(spoken) != len(groups):
        raise ValueError("plan_segments: one tuple of spoken lengths per syllable")
    segs: list[Segment] = []
    preroll = 0.0
    onset_scale: dict[int, float] = {}  # set while planning the group before
    for i, g in enumerate(groups):
        syl = g.syllable
        vi = min(max(syl.vowel_index, 0), len(syl.phonemes) - 1)
        onset, vowel, coda = syl.phonemes[:vi], syl.phonemes[vi], syl.phonemes[vi + 1 :]
        loud = g.velocity * (1.0 if syl.stressed else 0.82)
        nxt = groups[i + 1] if i + 1 < len(groups) else None
        next_onset = nxt.syllable.phonemes[: max(nxt.syllable.vowel_index, 0)] if nxt else ()
        said = spoken[i] if spoken is not None else None
        said_next = spoken[i + 1][: len(next_onset)] if spoken is not None and nxt else None

        # Onset consonants end at the note start.
        on_d = _durations(onset, said[:vi] if said else None)
        if i == 0:
            preroll = sum(on_d)
            scale = 1.0
        else:
            scale = onset_scale.get(i, 1.0)
        t = g.start - sum(on_d) * scale
        for p, d in zip(onset, on_d, strict=True):
            segs.append(Segment(p, articulation(p), t, t + d * scale, loud, "onset"))
            t += d * scale

        # Room at the end of this group for its coda and the next syllable's onset.
        length = g.end - g.start
        co_d = _durations(coda, said[vi + 1 :] if said else None)
        nx_d = _durations(next_onset, said_next)
        rest = (nxt.start - g.end) if nxt else 0.0
        if nxt and rest >= sum(nx_d):  # the next onset fits in the rest
            need, room_end = sum(co_d), g.end
        elif nxt:
            need, room_end = sum(co_d) + sum(nx_d) - max(rest, 0.0), g.end
        else:
            need, room_end = sum(co_d), g.end
        room = length * (1.0 - _MIN_VOWEL_SHARE)
        k = 1.0 if need <= room else max(_MIN_CONSONANT_SCALE, room / max(need, 1e-6))
        if nxt is not None:
            onset_scale[i + 1] = k
        next_intrusion = 0.0
        if nxt and rest < sum(nx_d):
            next_intrusion = sum(nx_d) * k - max(rest, 0.0)
        coda_end = room_end - max(next_intrusion, 0.0)
        coda_start = coda_end - sum(co_d) * k
        vowel_end = max(coda_start, g.start + 0.02)
        segs.append(Segment(vowel, articulation(vowel), g.start, vowel_end, loud, "nucleus"))
        t = vowel_end
        for p, d in zip(coda, co_d, strict=True):
            segs.append(Segment(p, articulation(p), t, t + d * k, loud, "coda"))
            t += d * k
    return segs, preroll
