"""Chords: roman numerals relative to the key -> pitch sets, and voicings for each part."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Degree of a roman numeral in semitones above the tonic (major-scale degrees; "b" lowers).
_DEGREE = {"i": 0, "ii": 2, "iii": 4, "iv": 5, "v": 7, "vi": 9, "vii": 11}
_SUFFIX = {
    "": None,
    "7": "7",
    "maj7": "maj7",
    "m7": "7",
    "5": "5",
    "sus2": "sus2",
    "sus4": "sus4",
    "dim": "dim",
    "add9": "add9",
    "b5": "dim",
    "7b5": "m7b5",
}
_RE = re.compile(r"^(b|#)?(vii|iii|vi|iv|ii|v|i|VII|III|VI|IV|II|V|I)(.*)$")


@dataclass(frozen=True)
class Chord:
    symbol: str
    root: int
    """Semitones above the tonic (0..11)."""
    intervals: tuple[int, ...]
    """Semitones above the root, root first (0, 3|4, 7, ...)."""

    @property
    def minor(self) -> bool:
        return 3 in self.intervals and 4 not in self.intervals

    def pitch_classes(self, tonic: int) -> list[int]:
        return [(tonic + self.root + i) % 12 for i in self.intervals]


def parse_chord(symbol: str) -> Chord:
    """'bVI', 'ii7', 'V7', 'Imaj7', 'i', 'bVII' -> Chord. Unknown text falls back to the tonic."""
    m = _RE.match(symbol.strip())
    if not m:
        return Chord(symbol, 0, (0, 4, 7))
    acc, numeral, suffix = m.groups()
    root = (_DEGREE[numeral.lower()] + {"b": -1, "#": 1}.get(acc or "", 0)) % 12
    minor = numeral.islower()
    third = 3 if minor else 4
    kind = _SUFFIX.get(suffix)
    if kind == "5":
        iv: tuple[int, ...] = (0, 7)
    elif kind == "dim":
        iv = (0, 3, 6)
    elif kind == "m7b5":
        iv = (0, 3, 6, 10)
    elif kind == "sus2":
        iv = (0, 2, 7)
    elif kind == "sus4":
        iv = (0, 5, 7)
    elif kind == "7":
        iv = (0, third, 7, 10)
    elif kind == "maj7":
        iv = (0, third, 7, 11)
    elif kind == "add9":
        iv = (0, third, 7, 14)
    else:
        iv = (0, third, 7)
    # vii in a major key is diminished when written plain
    if numeral == "vii" and not acc and kind is None:
        iv = (0, 3, 6)
    return Chord(symbol, root, iv)


def chord_tones(chord: Chord, tonic: int, lo: int, hi: int) -> list[int]:
    """All MIDI notes in [lo, hi] that belong to the chord."""
    pcs = set(chord.pitch_classes(tonic))
    return [n for n in range(lo, hi + 1) if n % 12 in pcs]


def scale_tones(scale: tuple[int, ...], tonic: int, lo: int, hi: int) -> list[int]:
    pcs = {(tonic + s) % 12 for s in scale}
    return [n for n in range(lo, hi + 1) if n % 12 in pcs]


def bass_root(chord: Chord, tonic: int, lo: int = 28) -> int:
    """The chord root in the bass register (E1 .. D#2 for lo=28)."""
    pc = (tonic + chord.root) % 12
    return lo + (pc - lo) % 12


def close_voicing(chord: Chord, tonic: int, center: int, notes: int = 4) -> list[int]:
    """A close-position voicing of ``notes`` pitches near ``center`` (for pads and keys), so
    successive chords move by small steps instead of jumping with the root."""
    pcs = chord.pitch_classes(tonic)
    pool = [n for n in range(center - 8, center + 12) if n % 12 in pcs]
    best: list[int] = []
    best_cost = 1e9
    for start in range(len(pool)):
        cand = pool[start : start + notes]
        if len(cand) < min(notes, len(pcs)):
            continue
        cost = abs(sum(cand) / len(cand) - center) + (0 if pcs[0] in {c % 12 for c in cand} else 6)
        if cost < best_cost:
            best, best_cost = cand, cost
    return best or [center]


def power_chord(chord: Chord, tonic: int, lo: int = 40) -> list[int]:
    """Root, fifth and octave on the low strings (E2 .. D#3 root)."""
    r = lo + ((tonic + chord.root) % 12 - lo) % 12
    return [r, r + 7, r + 12]


def guitar_voicing(chord: Chord, tonic: int) -> list[int]:
    """A six-string-like open voicing: root low, then fifth, octave, third, fifth, octave."""
    r = 40 + ((tonic + chord.root) % 12 - 40) % 12
    third = chord.intervals[1] if len(chord.intervals) > 2 else 7
    fifth = chord.intervals[2] if len(chord.intervals) > 2 else 7
    seventh = chord.intervals[3] if len(chord.intervals) > 3 else 12
    return [r, r + fifth, r + 12, r + 12 + third, r + 12 + fifth, r + 12 + seventh]
