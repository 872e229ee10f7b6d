"""The song's vocal stem is sung in tune: its F0 follows the planned notes."""

from __future__ import annotations

import numpy as np
import pytest
import pyworld
from scipy.signal import resample_poly

from openchirp.engines.base import SAMPLE_RATE, PlanRequest
from openchirp.engines.composer.engine import ComposerEngine
from openchirp.engines.composer.render import voice_available
from openchirp.engines.composer.soundfont import bundled_soundfont
from tests.engines.composer.test_composer_render import SHORT, collect

ANALYSIS_RATE = 16_000
EDGE_S = 0.03
"""Left out at both ends of each note: the glide into it and the consonants around it."""


@pytest.fixture(scope="module")
def engine() -> ComposerEngine:
    return ComposerEngine(bundled_soundfont())


@pytest.mark.slow  # ~7 s each: sings and pitch-tracks a whole song
@pytest.mark.skipif(not voice_available(), reason="the singing voice is not installed")
@pytest.mark.parametrize(
    ("tags", "seed"),
    [
        ("acoustic folk ballad, female vocals", 3),
        ("heavy metal", 11),
        ("synthwave, male vocals", 5),
    ],
)
def test_vocal_stem_follows_the_planned_notes(engine: ComposerEngine, tags: str, seed: int) -> None:
    render = engine.plan(PlanRequest(SHORT, tags, seed=seed))
    vocals = collect(render)["vocals"].mean(axis=1).astype(np.float64)
    x = resample_poly(vocals, ANALYSIS_RATE // 100, SAMPLE_RATE // 100)
    f0, times = pyworld.harvest(x, ANALYSIS_RATE, f0_floor=70, f0_ceil=1000, frame_period=5)
    planned = np.full(len(times), np.nan)
    for note in render.plan["vocal_notes"]:
        start, end = note["start_s"] + EDGE_S, note["start_s"] + note["duration_s"] - EDGE_S
        planned[(times >= start) & (times < end)] = note["midi"]
    voiced = ~np.isnan(planned) & (f0 > 0)
    assert voiced.sum() > 500, "the vocal stem should be mostly voiced where notes are planned"
    target_hz = 440.0 * 2 ** ((planned[voiced] - 69) / 12)
    cents = 1200 * np.log2(f0[voiced] / target_hz)
    in_tune = float(np.mean(np.abs(cents) < 50))
    print(f"{tags}: {in_tune:.1%} of {voiced.sum()} voiced frames within 50 cents")
    assert in_tune >= 0.85
