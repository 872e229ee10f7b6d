"""Vocal (and lead) melodies: syllable stresses -> rhythm on the beat grid -> pitches.

Rhythm: stressed syllables get the longer values and are moved onto beats when there is slack;
leading unstressed syllables become a pickup before the downbeat; the last syllable is held and
the rest of the line's slot is a breath. Pitch: a contour (arch, rise, fall, wave) chosen per line
*template* (section kind + line index, so verse 2 sings verse 1's tune), chord tones on strong
beats, scale steps between, a cadence at the end of the line (open on odd lines, home on the last).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from openchirp.engines.composer.harmony import Chord, chord_tones, scale_tones


@dataclass(frozen=True)
class MelodyNote:
    beat: float
    """Absolute song beat of the onset."""
    beats: float
    midi: int
    syllable: int
    """Index of the syllable this note starts, or -1 when it holds the previous one."""


@dataclass(frozen=True)
class LineContext:
    start_beat: float
    slot_beats: float
    meter: int
    tempo: float
    register: tuple[int, int]
    center: int
    tonic: int
    scale: tuple[int, ...]
    cadence: str
    """'open' (end on 3rd/5th), 'close' (end on the tonic) or 'none'."""
    template_seed: int
    """Same seed -> same contour and ornaments: parallel lines sound like the same tune."""
    pickup_allowed: bool = True
    """False for a section's first line, which must not start inside the previous section."""
    rap: bool = False
    """Rhythmic, narrow-pitched delivery (hip hop verses)."""


def _unit(tempo: float) -> float:
    """Grid unit in beats: eighths unless they would be shorter than ~0.22 s."""
    return 0.5 if 30.0 / tempo >= 0.22 else 1.0


def rhythm(
    stresses: list[bool], ctx: LineContext, rng: np.random.Generator
) -> list[tuple[float, float]]:
    """(start beat relative to the slot, length in beats) for each syllable."""
    n = len(stresses)
    if n == 0:
        return []
    u = _unit(ctx.tempo)
    if ctx.rap:  # rapped lines ride sixteenths (eighths at fast tempos) with no long holds
        u = 0.25 if ctx.tempo < 115 else 0.5
    span = ctx.slot_beats - max(1.0, ctx.slot_beats * 0.12)
    units = [2 if s else 1 for s in stresses]
    if rng.random() < 0.45:  # a long-short ("dotted") feel on stressed-unstressed pairs
        for i in range(len(units) - 2):
            if stresses[i] and not stresses[i + 1]:
                units[i] = 3
    units[-1] = max(units[-1], 2)
    # Too many syllables for the slot: shorten stressed ones, then halve the grid.
    while sum(units) * u > span and any(x > 1 for x in units[:-1]):
        i = max(range(n - 1), key=lambda k: units[k])
        units[i] -= 1
    while sum(units) * u > span and u > 0.25:
        u /= 2
    # Lots of room (slow lines, few syllables): stretch values by a template-chosen factor.
    stretch = 1
    if sum(units) * u * 2 <= span * (0.4 if ctx.rap else 0.75):
        stretch = 2
    units = [x * stretch for x in units]

    # Pickup: up to two unstressed syllables before the first stressed one go before beat 0.
    first_stress = next((i for i, s in enumerate(stresses) if s), 0)
    pickup = min(first_stress, 2) if ctx.pickup_allowed else 0
    pos = -sum(u for _ in range(pickup))
    out: list[tuple[float, float]] = []
    total = sum(units) * u
    slack = span - total - pos
    for i in range(n):
        if i >= pickup and stresses[i] and abs(pos - round(pos)) > 1e-6:
            move = math.ceil(pos - 1e-9) - pos
            if move <= slack:
                if out:
                    b, d = out[-1]
                    out[-1] = (b, d + move)
                pos += move
                slack -= move
        d = units[i] * u
        out.append((pos, d))
        pos += d
    # Hold the last syllable towards the breath, so lines end on a long note.
    b, d = out[-1]
    hold_to = min(span, max(b + d, b + 2.0, ctx.slot_beats * (0.55 + 0.1 * rng.random())))
    if ctx.rap:
        hold_to = min(span, b + max(d, 1.0))
    out[-1] = (b, max(d, hold_to - b))
    return out


def _contour(kind: int, x: float, amp: float) -> float:
    if kind == 0:  # arch
        return amp * math.sin(math.pi * x)
    if kind == 1:  # rise
        return amp * (x - 0.3)
    if kind == 2:  # fall
        return amp * (0.7 - x)
    return amp * 0.6 * math.sin(2 * math.pi * x)  # wave


def pitches(
    rhythm_: list[tuple[float, float]],
    stresses: list[bool],
    ctx: LineContext,
    chord_at: Callable[[float], Chord],
) -> list[MelodyNote]:
    """Pitch every syllable; may add a melisma note at the cadence. Beats become absolute."""
    trng = np.random.default_rng([ctx.template_seed, 77])
    shape = int(trng.integers(4))
    amp = float(trng.uniform(4.0, 8.0)) if not ctx.rap else 1.5  # rap: a narrow, spoken line
    lo, hi = ctx.register
    scale_set = scale_tones(ctx.scale, ctx.tonic, lo, hi)
    n = len(rhythm_)
    notes: list[MelodyNote] = []
    prev = ctx.center
    for i, ((b, d), stressed) in enumerate(zip(rhythm_, stresses, strict=True)):
        beat = ctx.start_beat + b
        chord = chord_at(beat)
        x = i / max(1, n - 1)
        target = ctx.center + _contour(shape, x, amp)
        strong = abs(beat - round(beat)) < 1e-6 and (stressed or round(beat) % 2 == 0)
        last = i == n - 1
        if last and ctx.cadence == "close":
            # home: the tonic when the chord holds it, else the chord's root
            pcs = {ctx.tonic % 12} if 0 in _rel(chord) else {(ctx.tonic + chord.root) % 12}
            cands = [p for p in range(lo, hi + 1) if p % 12 in pcs]
        elif last and ctx.cadence == "open":
            pcs = set(chord.pitch_classes(ctx.tonic)[1:3])
            cands = [p for p in range(lo, hi + 1) if p % 12 in pcs]
        elif strong or d >= 1.5:
            cands = chord_tones(chord, ctx.tonic, lo, hi)
        else:
            cands = scale_set
        cands = cands or scale_set

        def cost(p: int, target: float = target, prev: int = prev) -> float:
            # follow the contour, prefer steps, avoid both big leaps and droning on one note
            leap = abs(p - prev)
            return (
                abs(p - target)
                + 0.35 * leap
                + (1.2 if leap == 0 else 0.0)
                + (5.0 if leap > 7 else 0.0)
            )

        p = min(cands, key=cost)
        notes.append(MelodyNote(beat, d, p, i))
        prev = p
    # Cadence ornament: approach the final note from a step above on long held endings.
    if n >= 3 and trng.random() < 0.4 and notes[-1].beats >= 2.0:
        fin = notes[-1]
        above = [s for s in scale_set if s > fin.midi]
        if above:
            first = min(above)
            split = 1.0 if fin.beats >= 3 else 0.5
            notes[-1] = MelodyNote(fin.beat, split, first, fin.syllable)
            notes.append(MelodyNote(fin.beat + split, fin.beats - split, fin.midi, -1))
    return notes


def _rel(chord: Chord) -> set[int]:
    """Chord pitch classes relative to the tonic."""
    return {(chord.root + i) % 12 for i in chord.intervals}


def compose_line(
    stresses: list[bool], ctx: LineContext, chord_at: Callable[[float], Chord]
) -> list[MelodyNote]:
    rng = np.random.default_rng([ctx.template_seed, 11])
    r = rhythm(stresses, ctx, rng)
    return pitches(r, stresses, ctx, chord_at)


def pseudo_stresses(rng: np.random.Generator, lo: int = 5, hi: int = 9) -> list[bool]:
    """Stress pattern of an imagined line, for instrumental melodies."""
    n = int(rng.integers(lo, hi + 1))
    first = bool(rng.random() < 0.7)
    return [(i % 2 == 0) == first for i in range(n)]
