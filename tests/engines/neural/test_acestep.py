"""The acestep engine on a tiny random ACE-Step 1.5 folder, loaded as a user's folder is: shapes,
lengths, rate, finiteness, a batch of two distinct clips in one call, an extension that joins its
source without a step, out of memory, and the folder checks. Random weights make noise: nothing
here judges music."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from openchirp.config import Settings
from openchirp.engines.base import Continuation, PlanRequest, capabilities_of
from openchirp.engines.registry import load_engine, startup_problems
from tests.support.neural import ACESTEP_OPTIONS, OOM_TAG, require_neural, tiny_acestep

require_neural()

from openchirp.engines.acestep import check  # noqa: E402
from openchirp.engines.acestep.engine import SAMPLE_RATE, AceStepEngine  # noqa: E402
from openchirp.engines.neural.runtime import ModelDirError, OutOfMemory  # noqa: E402
from openchirp.jobs.oom import plan_fitting  # noqa: E402

LYRICS = "[Verse]\nhello bright morning\nsing along\n[Chorus]\nla la la"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_acestep(tmp_path_factory)


@pytest.fixture(scope="session")
def engine(model_dir: Path) -> AceStepEngine:
    settings = Settings(
        engine_options={"acestep": {**ACESTEP_OPTIONS, "model_dir": str(model_dir)}}
    )
    built = load_engine("acestep", settings)  # the registry's path: the server's
    assert isinstance(built, AceStepEngine)
    return built


def request(variant: int = 0, **fields: object) -> PlanRequest:
    values: dict[str, object] = {"lyrics": LYRICS, "tags": "pop, bright", "seed": 7}
    return PlanRequest(**{**values, "variant": variant, **fields})  # type: ignore[arg-type]


def pcm_of(render: object) -> np.ndarray:
    return np.concatenate([b.mix for b in render.blocks()])  # type: ignore[attr-defined]


def test_both_clips_of_a_create_come_from_one_call(engine: AceStepEngine) -> None:
    first, second = engine.plan_batch([request(0), request(1)])
    a, b = pcm_of(first), pcm_of(second)
    for render, pcm in ((first, a), (second, b)):
        assert render.sample_rate == SAMPLE_RATE == 48_000
        assert pcm.dtype == np.float32 and pcm.shape == (48_000, 2)  # duration_s 1.0, stereo
        assert render.duration_s == pytest.approx(1.0)
        assert np.isfinite(pcm).all() and np.abs(pcm).max() <= 1.0 and np.abs(pcm).max() > 0
        assert render.has_vocal
    assert first.plan["call"] == second.plan["call"] and first.plan["batch_size"] == 2
    assert first.plan["seed"] != second.plan["seed"]
    assert not np.allclose(a, b)  # one generator per clip, distinct seeds
    json.dumps(first.plan)  # stored with the clip


def test_word_timings_are_an_estimate_and_say_so(engine: AceStepEngine) -> None:
    (render,) = engine.plan_batch([request()])
    sung = [w for line in LYRICS.splitlines() if not line.startswith("[") for w in line.split()]
    assert [w.word for w in render.words] == sung
    starts = [w.start_s for w in render.words]
    assert starts == sorted(starts) and starts[0] >= 0 and render.words[-1].end_s <= 1.0
    assert all(w.p_align == 0.0 for w in render.words)
    assert render.words[0].to_row()[3] == 0.0  # stored with its p_align, served as not aligned
    (instrumental,) = engine.plan_batch([request(instrumental=True)])
    assert instrumental.words == [] and not instrumental.has_vocal


def test_an_extension_holds_the_new_part_and_starts_where_the_source_stops(
    engine: AceStepEngine,
) -> None:
    (source,) = engine.plan_batch([request()])
    audio = pcm_of(source)
    at = 0.75
    cont = Continuation(source.plan, at, source_audio=audio, source_sample_rate=SAMPLE_RATE)
    new, other = engine.plan_batch([request(0, continuation=cont), request(1, continuation=cont)])
    pcm = pcm_of(new)
    assert pcm.shape == (48_000, 2) and np.isfinite(pcm).all()
    assert new.plan["continued"] and new.plan["batch_size"] == 2  # both in one repaint call
    assert new.plan["prompt"] == source.plan["prompt"]  # the source's sound, not new tags
    last = audio[round(at * SAMPLE_RATE) - 1]
    assert np.allclose(pcm[0], last, atol=1e-4)  # no step at the join
    assert not np.allclose(pcm, pcm_of(other))
    # 44.1 kHz sources (another engine's song) are resampled to the model's rate
    cd = Continuation(
        {}, 0.5, source_audio=np.zeros((44_100, 2), np.float32), source_sample_rate=44_100
    )
    (mixed,) = engine.plan_batch([request(continuation=cd)])
    assert pcm_of(mixed).shape == (48_000, 2)


def test_out_of_memory_fails_only_the_clip_that_ran_out(model_dir: Path) -> None:
    drill = AceStepEngine(
        **{**ACESTEP_OPTIONS, "model_dir": str(model_dir), "simulate_oom_tag": OOM_TAG}
    )
    # the worker's batch path (every batching engine's, jobs/oom.py): it splits the batch
    ok, oom = plan_fitting(drill, "acestep", [request(0), request(1, tags=f"pop, {OOM_TAG}")])
    assert pcm_of(ok).shape == (48_000, 2)  # the batch was split and this half made
    with pytest.raises(OutOfMemory) as caught:
        pcm_of(oom)
    assert caught.value.error_type == "out_of_memory" and caught.value.retry is False
    assert "ran out of memory" in str(caught.value)
    (again,) = plan_fitting(drill, "acestep", [request(0)])  # the engine keeps serving
    assert pcm_of(again).shape == (48_000, 2)


def test_it_declares_what_it_does_and_no_stems() -> None:
    assert capabilities_of(AceStepEngine) == {
        "generate",
        "extend",
        "concat",
        "upload_extend",
        "upload_cover",
    }


def test_folder_checks(model_dir: Path, tmp_path: Path) -> None:
    assert check.problems(model_dir, {"device": "cpu"}) == []
    assert check.problems(tmp_path / "missing", {})[0].endswith(
        "no such folder (weights are never downloaded: put them there first)"
    )
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    next((broken / "transformer").glob("*.safetensors")).unlink()
    (broken / "vae" / "config.json").write_text("{not json")
    found = check.problems(broken, {"device": "cpu", "dtype": "float16"})
    assert any("transformer: no weights" in p for p in found)
    assert any("vae/config.json: unreadable" in p for p in found)
    assert "dtype float16 on the cpu: use float32 or bfloat16" in found
    assert check.problems(model_dir, {"dtype": "fp8"})[0].startswith("dtype 'fp8'")
    with pytest.raises(ModelDirError, match="transformer: no weights"):
        AceStepEngine(model_dir=str(broken), device="cpu")
    settings = Settings(
        model_engines={"chirp-auk": "acestep"},
        engine_options={"acestep": {"model_dir": str(tmp_path / "missing")}},
    )
    assert startup_problems(settings, ["acestep", "composer"]) == [
        f"engine acestep: {tmp_path / 'missing'}: no such folder "
        "(weights are never downloaded: put them there first)"
    ]


def test_a_model_keys_default_length_is_a_quarter_of_its_longest(engine: AceStepEngine) -> None:
    defaults = AceStepEngine(pipeline=engine.pipe, device="cpu", dtype="float32")
    lengths = [defaults._job(0, request(max_duration_s=m)).duration_s for m in (120, 240, 480)]
    assert lengths == [30.0, 60.0, 120.0]
    capped = AceStepEngine(pipeline=engine.pipe, device="cpu", duration_s=400, max_duration_s=200)
    assert capped._job(0, request(max_duration_s=480)).duration_s == 200


def test_render_command_writes_both_clips_at_the_models_rate(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from openchirp.cli import app
    from openchirp.media.audio import decode

    options = {**ACESTEP_OPTIONS, "model_dir": str(model_dir)}
    monkeypatch.setenv("OPENCHIRP_ENGINE_OPTIONS", json.dumps({"acestep": options}))
    monkeypatch.setenv("OPENCHIRP_DATA_DIR", str(tmp_path / "data"))
    lyrics = tmp_path / "song.txt"
    lyrics.write_text(LYRICS)
    out = tmp_path / "out"
    args = ["render", "--engine", "acestep", "--lyrics", str(lyrics), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for n in (1, 2):
        pcm, rate = decode(out / f"clip{n}.wav")
        assert rate == 48_000 and pcm.shape == (48_000, 2)
    plans = [json.loads((out / f"clip{n}.plan.json").read_text()) for n in (1, 2)]
    assert plans[0]["call"] == plans[1]["call"]  # one batched call
