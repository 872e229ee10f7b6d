"""The acestep engine on uploaded audio (tiny random folder, loaded as a user's is): an
upload-extend continues audio that has no plan, at any sample rate, and joins its last sample; a
cover is the upload's length (up to the model's longest), both clips from one call; a folder
without the audio tokenizer says it cannot cover. Random weights make noise: nothing here judges
music."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openchirp.config import Settings
from openchirp.engines.base import Continuation, Cover, PlanRequest, capabilities_of
from openchirp.engines.registry import load_engine, operation_problems
from tests.support.neural import ACESTEP_OPTIONS, require_neural, tiny_acestep

require_neural()

from openchirp.engines.acestep import check  # noqa: E402
from openchirp.engines.acestep.engine import (  # noqa: E402
    SAMPLE_RATE,
    AceStepEngine,
)
from openchirp.engines.base import EngineError, FailedRender  # noqa: E402
from openchirp.engines.neural.audio import resample  # noqa: E402

LYRICS = "[Verse]\nmy own words\n[Chorus]\nla la"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> AceStepEngine:
    folder = tiny_acestep(tmp_path_factory)
    settings = Settings(engine_options={"acestep": {**ACESTEP_OPTIONS, "model_dir": str(folder)}})
    built = load_engine("acestep", settings)
    assert isinstance(built, AceStepEngine)
    return built


def request(variant: int = 0, **fields: object) -> PlanRequest:
    values: dict[str, object] = {"lyrics": LYRICS, "tags": "folk, warm", "seed": 11}
    return PlanRequest(**{**values, "variant": variant, **fields})  # type: ignore[arg-type]


def pcm_of(render: object) -> np.ndarray:
    return np.concatenate([b.mix for b in render.blocks()])  # type: ignore[attr-defined]


def upload(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    """What decoding a user's file gives: a tone with a slow swell, not silence."""
    t = np.arange(round(seconds * rate)) / rate
    tone = 0.4 * np.sin(2 * np.pi * 220 * t + 1.0) * (0.5 + 0.5 * t / seconds)
    tone = tone.astype(np.float32)
    return np.repeat(tone[:, None], channels, axis=1) if channels > 1 else tone[:, None]


def test_it_declares_the_upload_operations() -> None:
    assert {"upload_extend", "upload_cover"} <= capabilities_of(AceStepEngine)
    assert not {"add_vocals", "add_instrumental", "stems"} & capabilities_of(AceStepEngine)


@pytest.mark.slow  # a few pipeline calls on the CPU
def test_an_upload_extension_continues_audio_with_no_plan(engine: AceStepEngine) -> None:
    rate = 22_050  # a user's file at another rate than the model's: resampled
    audio = np.repeat(upload(0.8, rate), 2, axis=1)
    at = 0.8
    cont = Continuation({}, at, source_audio=audio, source_sample_rate=rate)
    first, second = engine.plan_batch(
        [request(0, continuation=cont), request(1, continuation=cont)]
    )
    a, b = pcm_of(first), pcm_of(second)
    assert a.shape == b.shape == (48_000, 2) and np.isfinite(a).all()
    assert first.plan["continued"] and first.plan["call"] == second.plan["call"]
    assert first.plan["prompt"] == "folk, warm"  # no source plan: the request's style
    at48 = resample(audio, rate, SAMPLE_RATE)
    last = at48[min(len(at48), round(at * SAMPLE_RATE)) - 1]
    assert np.abs(last).max() > 0.1  # the join is onto real signal, not silence
    assert np.allclose(a[0], last, atol=1e-4) and np.allclose(b[0], last, atol=1e-4)
    assert not np.allclose(a, b)


@pytest.mark.slow  # a few pipeline calls on the CPU
def test_a_cover_is_the_uploads_length_both_clips_in_one_call(engine: AceStepEngine) -> None:
    rate = 44_100
    cover = Cover(upload(1.3, rate, channels=2), rate, source_id="up-1", strength=0.6)
    first, second = engine.plan_batch([request(0, cover=cover), request(1, cover=cover)])
    a, b = pcm_of(first), pcm_of(second)
    frames = (round(1.3 * SAMPLE_RATE) // engine.hop) * engine.hop  # whole latent frames
    assert a.shape == b.shape == (frames, 2) and first.duration_s == pytest.approx(1.28)
    assert np.isfinite(a).all() and 0 < np.abs(a).max() <= 1.0
    assert first.plan["cover"] and not first.plan["continued"]
    assert first.plan["call"] == second.plan["call"] and first.plan["batch_size"] == 2
    assert not np.allclose(a, b)
    assert first.has_vocal and [w.word for w in first.words][:3] == ["my", "own", "words"]
    (instrumental,) = engine.plan_batch([request(cover=cover, instrumental=True)])
    assert not instrumental.has_vocal and instrumental.words == []


@pytest.mark.slow  # a few pipeline calls on the CPU
def test_a_cover_is_capped_at_the_models_longest_and_refuses_a_blip(
    engine: AceStepEngine,
) -> None:
    capped = AceStepEngine(pipeline=engine.pipe, device="cpu", max_duration_s=1.0)
    long = Cover(upload(2.5, 48_000), 48_000, source_id="up-2")
    (render,) = capped.plan_batch([request(cover=long)])
    assert pcm_of(render).shape == (48_000, 2)
    blip = Cover(upload(0.1, 48_000), 48_000, source_id="up-3")
    (failed,) = engine.plan_batch([request(cover=blip)])
    assert isinstance(failed, FailedRender)
    with pytest.raises(EngineError, match="at least 0.20 s"):
        pcm_of(failed)


def test_a_folder_without_the_audio_tokenizer_cannot_cover(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from openchirp.engines.acestep.tiny import build, write_tiny

    assert check.cover_problems(tiny_acestep(tmp_path_factory)) == []
    folder = tmp_path / "no-tokenizer"
    write_tiny(folder, cover=False)
    assert check.problems(folder, {"device": "cpu"}) == []  # it loads, and makes songs
    found = check.cover_problems(folder)
    assert len(found) == 2 and "no audio_tokenizer" in found[0]
    assert "no audio_token_detokenizer" in found[1]
    settings = Settings(engine_options={"acestep": {"model_dir": str(folder)}})
    assert operation_problems("acestep", "upload_cover", settings) == found
    assert operation_problems("acestep", "upload_extend", settings) == []
    from typer.testing import CliRunner

    from openchirp.cli import app

    said = CliRunner().invoke(app, ["models", "check", str(folder), "--device", "cpu"])
    assert said.exit_code == 0 and "a usable acestep model folder" in said.output
    assert "upload-cover unavailable" in said.output and "no audio_tokenizer" in said.output
    bare = AceStepEngine(pipeline=build(cover=False), device="cpu", steps=1, duration_s=1.0)
    (failed,) = bare.plan_batch([request(cover=Cover(upload(1.0, 48_000), 48_000, "up-4"))])
    with pytest.raises(EngineError, match="no audio_tokenizer"):
        pcm_of(failed)
