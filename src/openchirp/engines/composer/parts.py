"""The band's parts, one bar at a time: bass, comping (guitar/piano/synth), pad, colour keys, and
the lead's fills and solos. Every function returns :class:`~events.NoteEvent` s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from openchirp.engines.composer.drums import GROOVES
from openchirp.engines.composer.events import NoteEvent, channel_cut
from openchirp.engines.composer.harmony import (
    Chord,
    bass_root,
    chord_tones,
    close_voicing,
    guitar_voicing,
    power_chord,
    scale_tones,
)
from openchirp.engines.composer.style import Style

CHANNELS = {
    "bass": 0,
    "comp": 1,
    "pad": 2,
    "lead": 3,
    "keys": 4,
    "melody": 5,
    "comp2": 6,
    "pad2": 7,
    "keys2": 8,
}


def _synth(style: Style) -> bool:
    """Comping on a synth patch (GM 80..103): pads and leads whose releases last seconds."""
    return 80 <= style.instruments.get("comp", 0) <= 103


def _steps(pattern: str) -> list[int]:
    return [i for i, c in enumerate(pattern) if c != "."]


def kick_steps(style: Style) -> list[int]:
    groove = GROOVES.get(style.groove) or GROOVES["rock"]
    return _steps(groove[1].get("K", "X.......X.......")) or [0, 8]


@dataclass(frozen=True)
class _BassBar:
    """What every bass style knows about its bar."""

    style: Style
    chord: Chord
    bar: float
    """Start beat of the bar."""
    root: int
    fifth: int
    next_root: int
    """The next chord's root, for approach notes."""
    velocity: float

    def note(self, start: float, beats: float, key: int, gain: float = 1.0) -> NoteEvent:
        """A bass note ``start`` beats into the bar."""
        return NoteEvent(self.bar + start, beats, CHANNELS["bass"], key, self.velocity * gain)


def bass_bar(
    style: Style, chord: Chord, nxt: Chord, bar: float, energy: int, rng: np.random.Generator
) -> list[NoteEvent]:
    if "bass" not in style.instruments:
        return []
    lo = 24 if style.bass_style == "808" else 28
    r = bass_root(chord, style.tonic, lo)
    b = _BassBar(
        style,
        chord,
        bar,
        r,
        r + 7 if r + 7 <= lo + 19 else r - 5,
        bass_root(nxt, style.tonic, lo),
        0.72 + 0.07 * min(energy, 3),
    )
    if energy <= 0 and style.bass_style not in ("sustain", "808"):
        return [b.note(0.0, style.meter * 0.95, r, 0.85)]  # quiet sections: one long root
    return _BASS_STYLES.get(style.bass_style, _bass_follow)(b, rng)


def _bass_root8(b: _BassBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Straight eighths on the root, a chromatic step into the next chord on the last one."""
    m, r, nr = b.style.meter, b.root, b.next_root
    out = []
    for i in range(2 * m):
        key = r if i < 2 * m - 1 or nr == r else (nr - 1 if nr > r else nr + 1)
        out.append(b.note(i / 2, 0.45, key, 1.0 if i % 2 == 0 else 0.85))
    return out


def _bass_rootfifth(b: _BassBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Root and fifth on the beats (country, polka), sometimes a step into the next chord."""
    m, r, nr = b.style.meter, b.root, b.next_root
    out = []
    for i in range(m):
        key = r if i % 2 == 0 else b.fifth
        if i == m - 1 and nr != r and rng.random() < 0.5:
            key = nr - 2 if nr > r else nr + 2
        out.append(b.note(i, 0.9, key))
    return out


def _bass_sustain(b: _BassBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Two half-bar notes: the root, then the root or the fifth."""
    half = b.style.meter * 0.5
    return [
        b.note(0.0, half - 0.05, b.root),
        b.note(half, half - 0.05, b.root if rng.random() < 0.6 else b.fifth, 0.9),
    ]


def _bass_pulse(div: int, octaves: bool) -> BassStyle:
    """Repeated roots ``div`` to the beat, every other one an octave up if ``octaves``."""

    def play(b: _BassBar, rng: np.random.Generator) -> list[NoteEvent]:
        out = []
        for i in range(div * b.style.meter):
            key = b.root + (12 if (octaves and i % 2 == 1) else 0)
            out.append(b.note(i / div, 0.8 / div, key, 1.0 if i % div == 0 else 0.8))
        return out

    return play


def _bass_walking(b: _BassBar, rng: np.random.Generator) -> list[NoteEvent]:
    """A quarter-note walk through the chord's tones, a half step into the next root."""
    m, r, nr = b.style.meter, b.root, b.next_root
    tones = chord_tones(b.chord, b.style.tonic, r, r + 12)
    line = [r] + [int(rng.choice(tones)) for _ in range(m - 2)]
    line.append(nr - 1 if rng.random() < 0.5 else nr + 1)
    return [b.note(i, 0.9, key, 1.0 if i == 0 else 0.85) for i, key in enumerate(line)]


def _bass_808(b: _BassBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Long 808 notes on the kicks, held to the next one, now and then an octave up."""
    ks = kick_steps(b.style)
    r = b.root
    out = []
    for j, st in enumerate(ks):
        end = ks[j + 1] if j + 1 < len(ks) else 4 * b.style.meter
        key = r if j == 0 or rng.random() < 0.7 else r + 12 if r + 12 < 48 else b.fifth
        out.append(b.note(st / 4, max(0.25, (end - st) / 4 - 0.05), key))
    return out


_FUNK_RIFFS = ("R..r.O.R..R.5.O.", "R.r..OR...R.5rO.", "R..R.O.r.R..O.5.")


def _bass_funk(b: _BassBar, rng: np.random.Generator) -> list[NoteEvent]:
    """A sixteenth-note riff: R root, r ghosted root, O octave, 5 fifth."""
    riff = _FUNK_RIFFS[int(rng.integers(3))]
    keys = {"R": b.root, "r": b.root, "O": b.root + 12, "5": b.fifth}
    out = []
    for i, c in enumerate(riff[: 4 * b.style.meter]):
        if c == ".":
            continue
        out.append(b.note(i / 4, 0.2 if c in "rO" else 0.35, keys[c], 1.0 if c == "R" else 0.75))
    return out


def _bass_reggae(b: _BassBar, rng: np.random.Generator) -> list[NoteEvent]:
    r = b.root
    hits = ((0, 1.4, r), (2, 0.4, r), (2.5, 0.4, b.fifth), (3, 0.9, r + 12))
    return [b.note(st, d, key) for st, d, key in hits if st < b.style.meter]


def _bass_tumbao(b: _BassBar, rng: np.random.Generator) -> list[NoteEvent]:
    """The Cuban tumbao: anticipations on the and of two and on four, a soft downbeat."""
    hits = ((1.5, 1.4, b.root), (3, 0.9, b.fifth))
    out = [b.note(st, d, key) for st, d, key in hits if st < b.style.meter]
    out.append(b.note(0.0, 0.45, b.root, 0.7))
    return out


def _bass_follow(b: _BassBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Play on the kick: the root mostly, the fifth or the octave on later hits."""
    ks = kick_steps(b.style)
    r, steps = b.root, 4 * b.style.meter
    out = []
    for j, st in enumerate(ks):
        if st >= steps:
            continue
        end = ks[j + 1] if j + 1 < len(ks) else steps
        key = r if j == 0 or rng.random() < 0.65 else (r + 12 if rng.random() < 0.5 else b.fifth)
        out.append(b.note(st / 4, max(0.25, (end - st) / 4 * 0.9), key))
    return out


BassStyle = Callable[[_BassBar, np.random.Generator], list[NoteEvent]]
_BASS_STYLES: dict[str, BassStyle] = {
    "root8": _bass_root8,
    "rootfifth": _bass_rootfifth,
    "sustain": _bass_sustain,
    "octave": _bass_pulse(2, octaves=True),
    "synth16": _bass_pulse(4, octaves=False),
    "walking": _bass_walking,
    "808": _bass_808,
    "funk": _bass_funk,
    "reggae": _bass_reggae,
    "tumbao": _bass_tumbao,
    "follow": _bass_follow,
}
"""Bass style -> one bar of it; an unknown style follows the kick."""


@dataclass(frozen=True)
class _CompBar:
    """What every comping style knows about its bar."""

    style: Style
    chord: Chord
    bar: float
    energy: int
    velocity: float

    @property
    def meter(self) -> int:
        return self.style.meter

    def note(self, start: float, beats: float, key: int, gain: float = 1.0) -> NoteEvent:
        """A comping note ``start`` beats into the bar."""
        return NoteEvent(self.bar + start, beats, CHANNELS["comp"], key, self.velocity * gain)

    def cut(self, start: float) -> NoteEvent:
        """Damp what still rings on the comping channel, ``start`` beats into the bar."""
        return channel_cut(self.bar + start, CHANNELS["comp"])


def comp_bar(
    style: Style, chord: Chord, bar: float, energy: int, rng: np.random.Generator
) -> list[NoteEvent]:
    if "comp" not in style.instruments:
        return []
    c = _CompBar(style, chord, bar, energy, 0.6 + 0.08 * min(energy, 3))
    return _COMP_STYLES.get(style.comp_style, _comp_block)(c, rng)


def _comp_power8(c: _CompBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Power chords: held in quiet verses, palm-muted eighths, double-tracked in choruses."""
    m, energy = c.meter, c.energy
    pc = power_chord(c.chord, c.style.tonic)
    if energy <= 1:  # palm-muted verses: root and fifth are enough, and half the voices
        pc = pc[:2]
    if energy <= 0:
        hits = [(0.0, m - 0.1, 0.8)]
    elif energy == 1:
        hits = [(i / 2, 0.4, 0.78 if i % 2 else 0.95) for i in range(2 * m)]
    else:
        hits = (
            [(0.0, 1.4, 1.0), (1.5, 0.45, 0.85), (2.0, 1.9, 0.95)]
            if m == 4
            else [(0.0, m - 0.1, 1.0)]
        )
        if energy >= 3 or rng.random() < 0.5:
            hits = [(i / 2, 0.45, 1.0 if i % 2 == 0 else 0.85) for i in range(2 * m)]
    double = CHANNELS["comp2"]
    out = []
    for st, d, a in hits:
        # a new hit damps the strings still ringing from the last one
        out.append(c.cut(st))
        if energy >= 2:
            out.append(channel_cut(c.bar + st + 0.02, double))
        for k in pc:
            out.append(c.note(st, d, k, a))
            if energy >= 2 and k != pc[-1]:  # double-tracked on the other side in choruses
                out.append(NoteEvent(c.bar + st + 0.02, d, double, k, c.velocity * a * 0.9))
    return out


def _comp_strum(c: _CompBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Down and up strums of a guitar voicing, each string a little after the last."""
    m = c.meter
    voicing = guitar_voicing(c.chord, c.style.tonic)
    pattern = "D.DU.UDU" if m == 4 else "D.DUDU"
    if c.energy <= 0:
        pattern = "D......." if m == 4 else "D....."
    out = []
    for i, stroke in enumerate(pattern):
        if stroke == ".":
            continue
        strings = voicing if stroke == "D" else voicing[:2:-1]
        nxt = next((j for j in range(i + 1, len(pattern)) if pattern[j] != "."), len(pattern))
        dur = (nxt - i) / 2 - 0.05  # each strum rings until the next one
        if stroke == "D":  # a down-strum re-strikes every string: the old vibrations stop
            out.append(c.cut(i / 2))
        for j, k in enumerate(strings):
            v = c.velocity * (0.95 if stroke == "D" else 0.7) * (1 - 0.04 * j)
            out.append(NoteEvent(c.bar + i / 2 + j * 0.025, dur, CHANNELS["comp"], k, v))
    return out


def _comp_arp(c: _CompBar, rng: np.random.Generator) -> list[NoteEvent]:
    """The chord's tones up and down, in sixteenths for the synth genres once they go."""
    style, m = c.style, c.meter
    tones = close_voicing(c.chord, style.tonic, 64, 4)
    tones = sorted(tones + [t + 12 for t in tones[:2]])
    seq = tones + tones[-2:0:-1]
    fast = style.genre in ("synthwave", "trance", "electronic") and c.energy >= 1
    div = 4 if fast else 2
    mono = _synth(style)
    out = []
    for i in range(div * m):
        if mono:  # a synth arp is monophonic: each step cuts the last one's long release
            out.append(c.cut(i / div))
        out.append(c.note(i / div, 1.6 / div, seq[i % len(seq)], 1.0 if i % div == 0 else 0.82))
    return out


def _comp_stab(c: _CompBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Short chords on the offbeats (house, disco); one held chord in quiet sections."""
    tones = close_voicing(c.chord, c.style.tonic, 62, 4)
    steps = [2, 6, 10, 14] if c.meter == 4 else [2, 6, 10]
    if c.energy <= 0:
        steps = [0]
    out = []
    for st in steps:
        if _synth(c.style):  # synth stabs are gated: cut the previous stab's release
            out.append(c.cut(st / 4))
        for k in tones:
            out.append(c.note(st / 4, 0.35 if c.energy else c.meter - 0.1, k))
    return out


def _comp_skank(c: _CompBar, rng: np.random.Generator) -> list[NoteEvent]:
    """The reggae skank on two and four (every offbeat eighth in ska)."""
    tones = close_voicing(c.chord, c.style.tonic, 64, 3)
    steps = [4, 12] if c.style.genre != "ska" else [2, 6, 10, 14]
    return [c.note(st / 4, 0.22, k) for st in steps[: c.meter] for k in tones]


_JAZZ_RHYTHMS = ([(0.0, 1.4), (1.5, 0.45)], [(0.5, 1.0), (2.5, 1.0)], [(0.0, 0.9), (2.5, 1.2)])


def _comp_jazz(c: _CompBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Shell voicings (third, seventh, ninth) in one of a few syncopated rhythms."""
    chord, tonic = c.chord, c.style.tonic
    third = chord.intervals[1] if len(chord.intervals) > 2 else 4
    seventh = chord.intervals[3] if len(chord.intervals) > 3 else 12
    base = 52 + ((tonic + chord.root) % 12 - 52) % 12
    tones = [base + third, base + seventh, base + 14 if base + 14 < 76 else base + 7]
    rhythm = _JAZZ_RHYTHMS[int(rng.integers(3))]
    return [c.note(st, d, k, 0.85) for st, d in rhythm if st < c.meter for k in tones]


def _comp_rhythm16(c: _CompBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Funk guitar sixteenths, accents on the beats."""
    tones = close_voicing(c.chord, c.style.tonic, 67, 3)
    steps = 4 * c.meter
    pat = "x.xx.x.xx.x.x.xx"[:steps] if c.energy >= 1 else "x.......x......."[:steps]
    out = []
    for i, hit in enumerate(pat):
        if hit == ".":
            continue
        for k in tones:
            out.append(c.note(i / 4, 0.12, k, 0.9 if i % 4 == 0 else 0.65))
    return out


def _comp_pad(c: _CompBar, rng: np.random.Generator) -> list[NoteEvent]:
    return [
        c.note(0.0, c.meter - 0.05, k, 0.8) for k in close_voicing(c.chord, c.style.tonic, 60, 4)
    ]


def _comp_block(c: _CompBar, rng: np.random.Generator) -> list[NoteEvent]:
    """Piano: the left hand holds the root, the right hand plays the chord in a rhythm."""
    m, tonic, chord = c.meter, c.style.tonic, c.chord
    tones = close_voicing(chord, tonic, 64, 4)
    lh = 40 + ((tonic + chord.root) % 12 - 40) % 12
    if c.energy <= 0:
        hits = [(0.0, m - 0.1)]
    elif c.energy == 1:
        hits = (
            [(0.0, m / 2 - 0.1), (m / 2, m / 2 - 0.1)]
            if m == 4
            else [(0.0, 0.9), (1.0, 0.9), (2.0, 0.9)]
        )
    else:
        hits = [(float(i), 0.9) for i in range(m)]
        if m == 4 and rng.random() < 0.5:
            hits = [(0.0, 1.4), (1.5, 1.0), (2.5, 0.5), (3.0, 0.9)]
    out = [c.note(0.0, m - 0.1, lh, 0.85)]
    for st, d in hits:
        out += [c.note(st, d, k, 0.95 if st == 0 else 0.8) for k in tones]
    return out


CompStyle = Callable[[_CompBar, np.random.Generator], list[NoteEvent]]
_COMP_STYLES: dict[str, CompStyle] = {
    "power8": _comp_power8,
    "strum": _comp_strum,
    "arp": _comp_arp,
    "stab": _comp_stab,
    "skank": _comp_skank,
    "jazz": _comp_jazz,
    "rhythm16": _comp_rhythm16,
    "pad": _comp_pad,
    "block": _comp_block,
}
"""Comping style -> one bar of it; an unknown style plays piano blocks."""


def pad_bar(
    style: Style, chord: Chord, bar: float, energy: int, role: str = "pad", center: int = 60
) -> list[NoteEvent]:
    """A sustained chord for the bar. Successive bars alternate between two channels with the
    same patch, and each new chord cuts the previous one's release (which on synth pads lasts
    seconds) after a beat and a half: the crossfade stays, the pile-up of tails does not."""
    if role not in style.instruments:
        return []
    v = 0.5 + 0.08 * min(energy, 3)
    odd = int(round(bar / style.meter)) % 2
    ch, other = (
        CHANNELS[role + "2"] if odd else CHANNELS[role],
        CHANNELS[role] if odd else (CHANNELS[role + "2"]),
    )
    out: list[NoteEvent] = [channel_cut(bar + min(1.5, style.meter / 2), other)]
    out += [
        NoteEvent(bar, style.meter - 0.02, ch, k, v)
        for k in close_voicing(chord, style.tonic, center, 3)
    ]
    return out


def lead_fill(
    style: Style,
    chord: Chord,
    start: float,
    beats: float,
    rng: np.random.Generator,
    register: tuple[int, int] = (64, 84),
    channel: int | None = None,
) -> list[NoteEvent]:
    """A short answering motif in a gap between sung lines (call and response)."""
    if "lead" not in style.instruments or beats < 1.5:
        return []
    ch = CHANNELS["lead"] if channel is None else channel
    tones = chord_tones(chord, style.tonic, *register)
    scale = scale_tones(style.scale, style.tonic, *register)
    if not tones:
        return []
    n = int(rng.integers(3, 6))
    step = 0.5 if beats >= n * 0.5 + 0.5 else 0.25
    p = int(rng.choice(tones))
    out: list[NoteEvent] = []
    for i in range(n):
        d = step if i < n - 1 else max(step, min(1.5, beats - n * step))
        out.append(NoteEvent(start + i * step, d * 0.95, ch, p, 0.55 + 0.1 * (i == 0)))
        idx = scale.index(p) if p in scale else 0
        move = int(rng.choice([-2, -1, 1, 2]))
        p = scale[int(np.clip(idx + move, 0, len(scale) - 1))]
    if out and out[-1].key not in tones:  # end on a chord tone
        last = out[-1]
        out[-1] = last._replace(key=min(tones, key=lambda t: abs(t - last.key)))
    return out


def solo_bar(
    style: Style,
    chord: Chord,
    bar: float,
    energy: int,
    rng: np.random.Generator,
    prev: int,
    register: tuple[int, int],
    channel: int,
) -> tuple[list[NoteEvent], int]:
    """One bar of an improvised solo: chord tones on beats, scale runs between, rests now and
    then so it breathes. Returns the events and the last pitch (to continue from)."""
    m = style.meter
    scale = scale_tones(style.scale, style.tonic, *register)
    tones = chord_tones(chord, style.tonic, *register) or scale
    div = 4 if energy >= 3 or (energy >= 2 and style.tempo < 120) else 2
    out: list[NoteEvent] = []
    p = prev if prev in scale else min(scale, key=lambda s: abs(s - prev))
    i = 0
    while i < div * m:
        on_beat = i % div == 0
        if rng.random() < 0.12 and not on_beat:
            i += 1
            continue
        if on_beat:
            p = min(tones, key=lambda t: abs(t - p) + (0 if t != p else 2))
        else:
            idx = scale.index(p) if p in scale else 0
            p = scale[int(np.clip(idx + int(rng.choice([-1, 1, 1, 2, -2])), 0, len(scale) - 1))]
        length = 1 if rng.random() < 0.8 else 2
        out.append(NoteEvent(bar + i / div, length / div * 0.95, channel, p, 0.62 + 0.12 * on_beat))
        i += length
    return out, p
