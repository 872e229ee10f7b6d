"""The seam's rule for every engine: a continuation keeps its source's sound, whatever tags the
extend request sends (engines/base.py, Continuation)."""

from __future__ import annotations

import pytest

from openchirp.engines.base import Continuation, Engine, PlanRequest
from tests.support.tone_engine import ToneEngine

LYRICS = "[Verse]\nStars they shine above me\nMoonlight softly glows"
MORE = "[Verse]\nDancing with the moon\nCarrying a tune"


def composer() -> Engine:
    from openchirp.engines.composer.engine import ComposerEngine
    from openchirp.engines.composer.soundfont import bundled_soundfont

    return ComposerEngine(bundled_soundfont(), preload_soundfont=False)


@pytest.mark.parametrize("make", [composer, ToneEngine], ids=["composer", "tone"])
def test_a_continuation_ignores_new_tags(make) -> None:  # type: ignore[no-untyped-def]
    engine = make()
    source = engine.plan(PlanRequest(LYRICS, "heavy metal", seed=11, max_duration_s=30.0))
    point = Continuation(source.plan, continue_at=6.0)

    def extend(tags: str, negative_tags: str = "") -> dict:
        request = PlanRequest(
            MORE, tags, negative_tags, seed=11, max_duration_s=30.0, continuation=point
        )
        return engine.plan(request).plan

    same = extend("heavy metal")
    assert extend("acoustic folk ballad, female vocals", "metal, guitar") == same
    assert extend("") == same
