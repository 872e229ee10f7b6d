"""Song -> the JSON plan stored with a clip: what a client or a continuation needs to know."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from openchirp.engines.composer.render import sung_notes
from openchirp.engines.composer.song import ENGINE_NAME, ENGINE_VERSION, Song
from openchirp.engines.composer.style_data import GM, NOTE_NAMES

_GM_NAMES = {v: k for k, v in GM.items()}


def plan_dict(song: Song, sf_path: str) -> dict[str, Any]:
    st = song.style
    t0, t1 = song.offset_s, song.end_s
    bar_s = st.bar_s
    first_bar = int(math.floor(t0 / bar_s + 1e-9))
    last_bar = int(math.ceil(t1 / bar_s - 1e-9))
    sections = []
    for s in song.sections:
        a, b = s.start_bar * bar_s, s.end_bar * bar_s
        if b <= t0 or a >= t1 or s.bars_played == 0:
            continue
        sections.append(
            {
                "kind": s.kind,
                "label": s.label,
                "start_s": round(max(a, t0) - t0, 4),
                "end_s": round(min(b, t1) - t0, 4),
                "start_bar": s.start_bar,
                "bars": s.bars_played,
                "energy": s.energy,
                "chords": s.chords[: s.bars_played],
                "lines": list(s.lines),
            }
        )
    return {
        "engine": ENGINE_NAME,
        "version": ENGINE_VERSION,
        "seed": song.seed,
        "variant": song.variant,
        "genre": st.genre,
        "key": NOTE_NAMES[st.tonic],
        "mode": st.mode,
        "tempo": st.tempo,
        "meter": f"{st.meter}/4",
        "beats_per_bar": st.meter,
        "swing": st.swing,
        "bar_s": bar_s,
        "offset_s": t0,
        "duration_s": song.duration_s,
        "bar_grid": [round(b * bar_s - t0, 4) for b in range(first_bar, last_bar + 1)],
        "sections": sections,
        "instruments": {
            role: {"program": p, "name": _GM_NAMES.get(p, str(p))}
            for role, p in st.instruments.items()
        },
        "drums": st.drums,
        "voice": {
            "kind": song.voice.kind,
            "seed": song.voice.seed,
            "extra": dict(song.voice.extra),
        },
        "tags": list(st.tags),
        "vocal_notes": sung_notes(song),
        "master_gain_db": song.master_gain_db,
        "gain_curve": [[round(t - t0, 4), g] for t, g in song.gain_curve],
        "vocal_gain_db": song.vocal_gain_db,
        "soundfont": Path(sf_path).name,
        "history": list(song.history),
        "song": song.to_dict(),
    }
