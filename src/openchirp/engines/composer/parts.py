"""The band's parts, one bar at a time: bass, comping (guitar/piano/synth), pad, colour keys, and
the lead's fills and solos. Every function returns events (start beat, beats, channel, key, vel)."""

from __future__ import annotations

import numpy as np

from openchirp.engines.composer.drums import GROOVES, SILENCE, Event
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


def bass_bar(
    style: Style, chord: Chord, nxt: Chord, bar: float, energy: int, rng: np.random.Generator
) -> list[Event]:
    if "bass" not in style.instruments:
        return []
    ch = CHANNELS["bass"]
    lo = 24 if style.bass_style == "808" else 28
    r = bass_root(chord, style.tonic, lo)
    fifth = r + 7 if r + 7 <= lo + 19 else r - 5
    nr = bass_root(nxt, style.tonic, lo)
    m = style.meter
    v = 0.72 + 0.07 * min(energy, 3)
    s = style.bass_style
    out: list[Event] = []
    if energy <= 0 and s not in ("sustain", "808"):
        return [(bar, m * 0.95, ch, r, v * 0.85)]
    if s == "root8":
        for i in range(2 * m):
            key = r if i < 2 * m - 1 or nr == r else (nr - 1 if nr > r else nr + 1)
            out.append((bar + i / 2, 0.45, ch, key, v * (1.0 if i % 2 == 0 else 0.85)))
    elif s == "rootfifth":
        for i in range(m):
            key = r if i % 2 == 0 else fifth
            if i == m - 1 and nr != r and rng.random() < 0.5:
                key = nr - 2 if nr > r else nr + 2
            out.append((bar + i, 0.9, ch, key, v))
    elif s == "sustain":
        out.append((bar, m * 0.5 - 0.05, ch, r, v))
        out.append((bar + m * 0.5, m * 0.5 - 0.05, ch, r if rng.random() < 0.6 else fifth, v * 0.9))
    elif s in ("octave", "synth16"):
        div = 4 if s == "synth16" else 2
        for i in range(div * m):
            key = r + (12 if (s == "octave" and i % 2 == 1) else 0)
            out.append((bar + i / div, 0.8 / div, ch, key, v * (1.0 if i % div == 0 else 0.8)))
    elif s == "walking":
        tones = chord_tones(chord, style.tonic, r, r + 12)
        line = [r] + [int(rng.choice(tones)) for _ in range(m - 2)]
        line.append(nr - 1 if rng.random() < 0.5 else nr + 1)
        for i, key in enumerate(line):
            out.append((bar + i, 0.9, ch, key, v * (1.0 if i == 0 else 0.85)))
    elif s == "808":
        ks = kick_steps(style)
        for j, st in enumerate(ks):
            end = ks[j + 1] if j + 1 < len(ks) else 4 * m
            key = r if j == 0 or rng.random() < 0.7 else r + 12 if r + 12 < 48 else fifth
            out.append((bar + st / 4, max(0.25, (end - st) / 4 - 0.05), ch, key, v))
    elif s == "funk":
        pat = ["R..r.O.R..R.5.O.", "R.r..OR...R.5rO.", "R..R.O.r.R..O.5."][int(rng.integers(3))]
        for i, c in enumerate(pat[: 4 * m]):
            if c == ".":
                continue
            key = {"R": r, "r": r, "O": r + 12, "5": fifth}[c]
            out.append(
                (bar + i / 4, 0.2 if c in "rO" else 0.35, ch, key, v * (1.0 if c == "R" else 0.75))
            )
    elif s == "reggae":
        for st, d, key in ((0, 1.4, r), (2, 0.4, r), (2.5, 0.4, fifth), (3, 0.9, r + 12)):
            if st < m:
                out.append((bar + st, d, ch, key, v))
    elif s == "tumbao":
        for st, d, key in ((1.5, 1.4, r), (3, 0.9, fifth)):
            if st < m:
                out.append((bar + st, d, ch, key, v))
        out.append((bar, 0.45, ch, r, v * 0.7))
    else:  # "follow": play on the kick, root mostly, fifth or octave on later hits
        ks = kick_steps(style)
        for j, st in enumerate(ks):
            if st >= 4 * m:
                continue
            end = ks[j + 1] if j + 1 < len(ks) else 4 * m
            key = r if j == 0 or rng.random() < 0.65 else (r + 12 if rng.random() < 0.5 else fifth)
            out.append((bar + st / 4, max(0.25, (end - st) / 4 * 0.9), ch, key, v))
    return out


def comp_bar(
    style: Style, chord: Chord, bar: float, energy: int, rng: np.random.Generator
) -> list[Event]:
    if "comp" not in style.instruments:
        return []
    ch = CHANNELS["comp"]
    m = style.meter
    s = style.comp_style
    v = 0.6 + 0.08 * min(energy, 3)
    out: list[Event] = []
    if s == "power8":
        pc = power_chord(chord, style.tonic)
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
        for st, d, a in hits:
            # a new hit damps the strings still ringing from the last one
            out.append((bar + st, 0.0, ch, SILENCE, 0.0))
            if energy >= 2:
                out.append((bar + st + 0.02, 0.0, CHANNELS["comp2"], SILENCE, 0.0))
            for k in pc:
                out.append((bar + st, d, ch, k, v * a))
                if energy >= 2 and k != pc[-1]:  # double-tracked on the other side in choruses
                    out.append((bar + st + 0.02, d, CHANNELS["comp2"], k, v * a * 0.9))
    elif s == "strum":
        voicing = guitar_voicing(chord, style.tonic)
        pattern = "D.DU.UDU" if m == 4 else "D.DUDU"
        if energy <= 0:
            pattern = "D......." if m == 4 else "D....."
        for i, c in enumerate(pattern):
            if c == ".":
                continue
            strings = voicing if c == "D" else voicing[:2:-1]
            nxt = next((j for j in range(i + 1, len(pattern)) if pattern[j] != "."), len(pattern))
            dur = (nxt - i) / 2 - 0.05  # each strum rings until the next one
            if c == "D":  # a down-strum re-strikes every string: the old vibrations stop
                out.append((bar + i / 2, 0.0, ch, SILENCE, 0.0))
            for j, k in enumerate(strings):
                out.append(
                    (
                        bar + i / 2 + j * 0.025,
                        dur,
                        ch,
                        k,
                        v * (0.95 if c == "D" else 0.7) * (1 - 0.04 * j),
                    )
                )
    elif s == "arp":
        tones = close_voicing(chord, style.tonic, 64, 4)
        tones = sorted(tones + [t + 12 for t in tones[:2]])
        seq = tones + tones[-2:0:-1]
        div = 4 if style.genre in ("synthwave", "trance", "electronic") and energy >= 1 else 2
        mono = _synth(style)
        for i in range(div * m):
            if mono:  # a synth arp is monophonic: each step cuts the last one's long release
                out.append((bar + i / div, 0.0, ch, SILENCE, 0.0))
            out.append(
                (
                    bar + i / div,
                    1.6 / div,
                    ch,
                    seq[i % len(seq)],
                    v * (1.0 if i % div == 0 else 0.82),
                )
            )
    elif s == "stab":
        tones = close_voicing(chord, style.tonic, 62, 4)
        steps = [2, 6, 10, 14] if m == 4 else [2, 6, 10]
        if energy <= 0:
            steps = [0]
        for st in steps:
            if _synth(style):  # synth stabs are gated: cut the previous stab's release
                out.append((bar + st / 4, 0.0, ch, SILENCE, 0.0))
            for k in tones:
                out.append((bar + st / 4, 0.35 if energy else m - 0.1, ch, k, v))
    elif s == "skank":
        tones = close_voicing(chord, style.tonic, 64, 3)
        steps = [4, 12] if style.genre != "ska" else [2, 6, 10, 14]
        for st in steps[:m]:
            for k in tones:
                out.append((bar + st / 4, 0.22, ch, k, v))
    elif s == "jazz":
        third = chord.intervals[1] if len(chord.intervals) > 2 else 4
        seventh = chord.intervals[3] if len(chord.intervals) > 3 else 12
        base = 52 + ((style.tonic + chord.root) % 12 - 52) % 12
        tones = [base + third, base + seventh, base + 14 if base + 14 < 76 else base + 7]
        rhythms = [[(0.0, 1.4), (1.5, 0.45)], [(0.5, 1.0), (2.5, 1.0)], [(0.0, 0.9), (2.5, 1.2)]]
        for st, d in rhythms[int(rng.integers(3))]:
            if st < m:
                for k in tones:
                    out.append((bar + st, d, ch, k, v * 0.85))
    elif s == "rhythm16":
        tones = close_voicing(chord, style.tonic, 67, 3)
        pat = "x.xx.x.xx.x.x.xx"[: 4 * m] if energy >= 1 else "x.......x......."[: 4 * m]
        for i, c in enumerate(pat):
            if c == ".":
                continue
            for k in tones:
                out.append((bar + i / 4, 0.12, ch, k, v * (0.9 if i % 4 == 0 else 0.65)))
    elif s == "pad":
        for k in close_voicing(chord, style.tonic, 60, 4):
            out.append((bar, m - 0.05, ch, k, v * 0.8))
    else:  # "block": piano, left hand root + right hand chord
        tones = close_voicing(chord, style.tonic, 64, 4)
        lh = 40 + ((style.tonic + chord.root) % 12 - 40) % 12
        if energy <= 0:
            hits = [(0.0, m - 0.1)]
        elif energy == 1:
            hits = (
                [(0.0, m / 2 - 0.1), (m / 2, m / 2 - 0.1)]
                if m == 4
                else [(0.0, 0.9), (1.0, 0.9), (2.0, 0.9)]
            )
        else:
            hits = [(float(i), 0.9) for i in range(m)]
            if m == 4 and rng.random() < 0.5:
                hits = [(0.0, 1.4), (1.5, 1.0), (2.5, 0.5), (3.0, 0.9)]
        out.append((bar, m - 0.1, ch, lh, v * 0.85))
        for st, d in hits:
            for k in tones:
                out.append((bar + st, d, ch, k, v * (0.95 if st == 0 else 0.8)))
    return out


def pad_bar(
    style: Style, chord: Chord, bar: float, energy: int, role: str = "pad", center: int = 60
) -> list[Event]:
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
    out: list[Event] = [(bar + min(1.5, style.meter / 2), 0.0, other, SILENCE, 0.0)]
    out += [
        (bar, style.meter - 0.02, ch, k, v) for k in close_voicing(chord, style.tonic, center, 3)
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
) -> list[Event]:
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
    out: list[Event] = []
    for i in range(n):
        d = step if i < n - 1 else max(step, min(1.5, beats - n * step))
        out.append((start + i * step, d * 0.95, ch, p, 0.55 + 0.1 * (i == 0)))
        idx = scale.index(p) if p in scale else 0
        move = int(rng.choice([-2, -1, 1, 2]))
        p = scale[int(np.clip(idx + move, 0, len(scale) - 1))]
    if out and out[-1][3] not in tones:
        last = out[-1]
        out[-1] = (last[0], last[1], last[2], min(tones, key=lambda t: abs(t - last[3])), last[4])
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
) -> tuple[list[Event], int]:
    """One bar of an improvised solo: chord tones on beats, scale runs between, rests now and
    then so it breathes. Returns the events and the last pitch (to continue from)."""
    m = style.meter
    scale = scale_tones(style.scale, style.tonic, *register)
    tones = chord_tones(chord, style.tonic, *register) or scale
    div = 4 if energy >= 3 or (energy >= 2 and style.tempo < 120) else 2
    out: list[Event] = []
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
        out.append((bar + i / div, length / div * 0.95, channel, p, 0.62 + 0.12 * on_beat))
        i += length
    return out, p
