"""Drum grooves (General MIDI percussion, channel 10) per genre and energy, with fills and crashes.

Patterns are one character per sixteenth: X accent, x normal, o soft, g ghost, . rest. A 3/4 bar
uses the first twelve steps.
"""

from __future__ import annotations

import numpy as np

from openchirp.engines.composer.events import NoteEvent, channel_cut

DRUM_CHANNEL = 9
KICK_CHANNEL = 10
SNARE_CHANNEL = 11
DRUM_CHANNELS = (DRUM_CHANNEL, KICK_CHANNEL, SNARE_CHANNEL)
"""Kick and snare get channels of their own (drum kits too) so that each hit can choke the
previous one's ring: inaudible under the new hit, and it keeps the synth's voice count low."""
_CHOKED = {36: KICK_CHANNEL, 38: SNARE_CHANNEL}
KIT = {
    "K": 36,
    "S": 38,
    "M": 37,
    "L": 39,
    "H": 42,
    "P": 44,
    "O": 46,
    "C": 49,
    "R": 51,
    "N": 52,
    "B": 54,
    "W": 56,
    "Z": 70,
    "T": 50,
    "t": 47,
    "f": 45,
    "F": 41,
    "A": 81,
}
VEL = {"X": 1.0, "x": 0.8, "o": 0.56, "g": 0.3}
_8 = "x.x.x.x.x.x.x.x."
_16 = "xoxoxoxoxoxoxoxo"
_24 = "....X.......X..."

GROOVES: dict[str, dict[int, dict[str, str]]] = {
    "rock": {
        1: {"K": "X.......X.x.....", "S": _24, "H": _8},
        2: {"K": "X.....x.X.x.....", "S": _24, "R": _8},
    },
    "metal": {
        1: {"K": "X.x.X.x.X.x.X.x.", "S": _24, "H": _8},
        2: {"K": "XxXxXxXxXxXxXxXx", "S": _24, "N": "x...x...x...x..."},
    },
    "punk": {
        1: {"K": "X.x.X.x.X.x.X.x.", "S": _24, "H": _8},
        2: {"K": "X...X...X...X...", "S": "..X...X...X...X.", "R": _8},
    },
    "halftime": {
        1: {"K": "X.........x.....", "S": "........X.......", "H": _8},
        2: {"K": "X.x.......x..x..", "S": "........X.......", "R": _8},
    },
    "pop": {
        1: {"K": "X.....x.X.......", "S": _24, "H": _8},
        2: {"K": "X.....x.X.x.....", "S": _24, "L": _24, "H": "x.xox.xox.xox.xo"},
    },
    "four": {
        1: {"K": "X...X...X...X...", "H": "..x...x...x...x.", "L": "....x.......x..."},
        2: {"K": "X...X...X...X...", "O": "..x...x...x...x.", "L": _24, "H": "x...x...x...x..."},
    },
    "house": {
        1: {"K": "X...X...X...X...", "O": "..x...x...x...x.", "Z": _16},
        2: {"K": "X...X...X...X...", "O": "..x...x...x...x.", "L": _24, "Z": _16},
    },
    "techno": {
        1: {"K": "X...X...X...X...", "O": "..x...x...x...x.", "M": "...x..x....x..x."},
        2: {"K": "X...X...X...X...", "O": "..x...x...x...x.", "L": _24, "H": _16},
    },
    "disco": {
        1: {"K": "X...X...X...X...", "O": "..x...x...x...x.", "S": _24},
        2: {"K": "X...X...X...X...", "O": "..x...x...x...x.", "S": _24, "H": "x.o.x.o.x.o.x.o."},
    },
    "boombap": {
        1: {"K": "X......x.xX.....", "S": _24, "H": _8},
        2: {"K": "X......x.xX.....", "S": _24, "H": _8, "O": "..............o."},
    },
    "trap": {
        1: {"K": "X......X..X.....", "L": "........X.......", "H": _8},
        2: {
            "K": "X......X..X...x.",
            "L": "........X.......",
            "S": "........X.......",
            "H": "xxxxxxxxxxxxxxxx",
        },
    },
    "lofi": {
        1: {"K": "X.......X.x.....", "M": "....x.......x...", "H": "o.o.o.o.o.o.o.o."},
        2: {"K": "X......x..X.....", "S": _24, "H": _8},
    },
    "funk": {
        1: {"K": "X..x..X...x..x..", "S": "....X..g.g..X..g", "H": "xgxgxgxgxgxgxgxg"},
        2: {"K": "X..x..X...x..x..", "S": "....X..g.g..X..g", "H": "xgxgxgxgxgxgxgog"},
    },
    "onedrop": {
        1: {"K": "........X.......", "M": "........X.......", "H": _8},
        2: {"K": "X.......X.......", "S": "........X.......", "H": "x.xxx.xxx.xxx.xx"},
    },
    "ska": {
        1: {"K": "X.......X.......", "S": _24, "H": "..x...x...x...x."},
        2: {"K": "X...X...X...X...", "S": _24, "O": "..x...x...x...x."},
    },
    "shuffle": {
        1: {"K": "X.......X.......", "S": _24, "H": _8},
        2: {"K": "X.....x.X.......", "S": _24, "R": _8},
    },
    "swing": {
        1: {"R": "x...x.x.x...x.x.", "P": _24, "K": "o.......o......."},
        2: {"R": "x...x.x.x...x.x.", "P": _24, "S": "..........g...g.", "K": "o...o...o...o..."},
    },
    "soul": {
        1: {"K": "X.......X.x.....", "S": _24, "H": _8},
        2: {"K": "X.......X.x.....", "S": _24, "H": _8, "B": _24},
    },
    "rnb": {
        1: {"K": "X......x..X.....", "S": _24, "H": "x.x.x.xxx.x.x.x."},
        2: {"K": "X......x..X.....", "S": _24, "L": _24, "H": "x.x.x.xxx.x.x.x."},
    },
    "dnb": {
        1: {"K": "X.........X.....", "S": _24, "H": _8},
        2: {"K": "X.........X..x..", "S": _24, "H": "xxxxxxxxxxxxxxxx"},
    },
    "synthwave": {
        1: {"K": "X.......X.......", "S": _24, "H": _8},
        2: {"K": "X...X...X...X...", "S": _24, "H": _16},
    },
    "electro": {
        1: {"K": "X..x..X...X.....", "L": _24, "H": _8},
        2: {"K": "X..x..X...X.....", "L": _24, "S": _24, "H": _16},
    },
    "folk": {
        1: {"K": "X.......X.......", "M": "....x.......x...", "Z": _16},
        2: {"K": "X.......X.x.....", "S": _24, "B": "..x...x...x...x."},
    },
    "country": {
        1: {"K": "X.......X.......", "S": _24, "H": _8},
        2: {"K": "X.......X.x.....", "S": _24, "H": _8, "B": _24},
    },
    "ballad": {
        1: {"K": "X.......o.......", "M": "....x.......x...", "H": "o.o.o.o.o.o.o.o."},
        2: {"K": "X.......X.x.....", "S": _24, "R": _8},
    },
    "orchestral": {
        1: {"F": "X.......x.......", "B": ""},
        # the triangle on the half bars: the big sections' sparkle over timpani and snare
        2: {
            "F": "X..x..X.X..x..x.",
            "f": "......x.......x.",
            "S": "............X...",
            "A": "x.......o.......",
        },
    },
    "waltz": {
        1: {"K": "X...........", "M": "....x...x...", "H": "x...x...x..."},
        2: {"K": "X.......x...", "S": "....X...X...", "H": "x.x.x.x.x.x."},
    },
    "bossa": {
        1: {"K": "X..xX..xX..xX..x", "M": "x..x..x...x..x..", "H": _8},
        2: {"K": "X..xX..xX..xX..x", "M": "x..x..x...x..x..", "Z": _16},
    },
    "dembow": {
        1: {"K": "X...X...X...X...", "S": "...x..x....x..x.", "H": _8},
        2: {"K": "X...X...X...X...", "S": "...x..x....x..x.", "L": "...x..x....x..x.", "H": _16},
    },
    "afro": {
        1: {"K": "X.....x...X.....", "S": "....x..x....x...", "Z": _16},
        2: {"K": "X.....x...X.....", "S": "....x..x....x...", "Z": _16, "W": "x..x..x...x.x..."},
    },
}
_FILLS = ("SSSSSSSS", "TTttffFF", "S.S.TtfF", "..S.SSSS", "TtTtfFfF")
_GROOVE_FILLS = {"orchestral": ("RRRRRRRR", "RRRRRRRR", "RRRRTtfF")}
"""Fills of their own: a film score swells a suspended cymbal (a roll, louder to the downbeat)
into its next section rather than playing a kit's fill."""


def _pattern(groove: str, energy: int, meter: int) -> dict[str, str]:
    table = GROOVES.get(groove) or GROOVES["rock"]
    if energy <= 0:
        base = table[1]
        sparse = {"K": "X" + "." * 15}
        for k in ("H", "R", "Z", "M"):
            if k in base:
                sparse[k] = "".join(
                    c if i % 4 == 0 and c != "." else "." for i, c in enumerate(base[k])
                )
                break
        pat = sparse
    else:
        pat = dict(table[min(2, energy)])
    steps = 4 * meter
    return {k: (v + "." * 16)[:steps] for k, v in pat.items() if v}


def drum_bar(
    groove: str,
    energy: int,
    meter: int,
    bar_beat: float,
    *,
    fill: bool,
    crash: bool,
    rng: np.random.Generator,
) -> list[NoteEvent]:
    """One bar of drums starting at ``bar_beat``."""
    if groove == "none":
        return []
    pat = _pattern(groove, energy, meter)
    steps = 4 * meter
    fill_from = steps
    if fill and energy >= 1:
        fills = _GROOVE_FILLS.get(groove, _FILLS)
        fill_pat = fills[int(rng.integers(len(_FILLS))) % len(fills)]
        n = 8 if energy >= 2 else 4
        fill_from = steps - n
        fill_pat = fill_pat[-n:]
    out: list[NoteEvent] = []
    level = 0.82 + 0.06 * min(energy, 3)
    for name, p in pat.items():
        key = KIT[name]
        for i, ch in enumerate(p):
            if ch == "." or (i >= fill_from and name not in ("K",)):
                continue
            v = VEL[ch] * level * float(rng.uniform(0.92, 1.0))
            out.append(NoteEvent(bar_beat + i / 4.0, 0.25, DRUM_CHANNEL, key, v))
    if fill_from < steps:
        for j, ch in enumerate(fill_pat):
            if ch == ".":
                continue
            v = level * (0.7 + 0.3 * j / len(fill_pat)) * float(rng.uniform(0.9, 1.0))
            out.append(NoteEvent(bar_beat + (fill_from + j) / 4.0, 0.25, DRUM_CHANNEL, KIT[ch], v))
    if crash:
        out.append(NoteEvent(bar_beat, 2.0, DRUM_CHANNEL, KIT["C"], 0.85 * level))
        if not any(e.start_beat == bar_beat and e.key == KIT["K"] for e in out):
            out.append(NoteEvent(bar_beat, 0.25, DRUM_CHANNEL, KIT["K"], 0.9 * level))
    return _route(out)


def final_hit(bar_beat: float) -> list[NoteEvent]:
    """The last downbeat of a song: kick and crash, left to ring."""
    return _route(
        [
            NoteEvent(bar_beat, 4.0, DRUM_CHANNEL, KIT["C"], 0.9),
            NoteEvent(bar_beat, 0.25, DRUM_CHANNEL, KIT["K"], 0.95),
        ]
    )


def _route(events: list[NoteEvent]) -> list[NoteEvent]:
    out: list[NoteEvent] = []
    for e in events:
        ch = _CHOKED.get(e.key)
        if ch is None:
            out.append(e)
        else:
            out.append(channel_cut(e.start_beat, ch))
            out.append(NoteEvent(e.start_beat, e.length_beats, ch, e.key, e.velocity))
    return out
