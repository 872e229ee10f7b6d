"""The configuration and commands of neural engines that need no model: which model key runs
where, which engines embedded workers take, start-up checks, and ``openchirp models``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from openchirp.cli import app
from openchirp.config import Settings
from openchirp.engines.registry import engine_capabilities, startup_problems


def test_model_engines_as_json_or_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCHIRP_MODEL_ENGINES", " chirp-auk=acestep , chirp-crow=acestep")
    settings = Settings()
    assert settings.model_engines == {"chirp-auk": "acestep", "chirp-crow": "acestep"}
    assert settings.engine_for_model("chirp-auk") == "acestep"
    assert settings.engine_for_model("chirp-v3-5") == "composer"  # merged over the defaults
    monkeypatch.setenv("OPENCHIRP_MODEL_ENGINES", '{"chirp-v4": "acestep"}')
    assert Settings().model_engines == {"chirp-v4": "acestep"}
    monkeypatch.setenv("OPENCHIRP_MODEL_ENGINES", "chirp-auk")
    with pytest.raises(ValidationError, match="is not model=engine"):
        Settings()


def test_worker_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().worker_engines == []
    monkeypatch.setenv("OPENCHIRP_WORKER_ENGINES", "composer, toy")
    assert Settings().worker_engines == ["composer", "toy"]


def test_acestep_is_known_by_name_and_read_without_torch_loading_a_model() -> None:
    assert engine_capabilities("acestep", Settings()) == {
        "generate",
        "extend",
        "concat",
        "upload_extend",
        "upload_cover",
    }
    problems = startup_problems(Settings(), ["acestep"])
    assert problems == [
        "engine acestep: no model_dir option: set it in OPENCHIRP_ENGINE_OPTIONS "
        "(weights are never downloaded)"
    ]
    assert startup_problems(Settings(), ["composer"]) == []
    (unknown,) = startup_problems(Settings(), ["nope"])
    assert unknown.startswith("engine nope: cannot import it")


def test_models_check_names_each_problem(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["models", "check", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no such folder (weights are never downloaded" in result.output
    result = runner.invoke(app, ["models", "check", str(tmp_path), "--engine", "acestep"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert any(line.endswith("model_index.json: missing") for line in lines)
    assert any("transformer: no weights" in line for line in lines)
    result = runner.invoke(app, ["models", "check", str(tmp_path), "--engine", "nope"])
    assert result.exit_code == 2 and "unknown engine 'nope'" in result.output


def test_models_check_says_the_same_for_both_engines(tmp_path: Path) -> None:
    lines = {}
    for engine in ("acestep", "musicgen"):
        result = CliRunner().invoke(
            app,
            ["models", "check", str(tmp_path), "--engine", engine, "--device", "TPU"]
            + ["--dtype", "int8"],
        )
        assert result.exit_code == 1
        lines[engine] = [
            line for line in result.output.splitlines() if ": device " in line or ": dtype" in line
        ]
    assert (
        lines["acestep"]
        == lines["musicgen"]
        == [
            f"{tmp_path}: device 'tpu': use auto, cpu, cuda, cuda:N or mps",
            f"{tmp_path}: dtype 'int8': use one of auto, bf16, bfloat16, float16, float32, fp16, "
            "fp32, half",
        ]
    )


@pytest.mark.skipif(
    importlib.util.find_spec("openchirp.engines.musicgen") is not None,
    reason="the musicgen engine is installed here",
)
def test_models_tiny_for_an_engine_that_is_not_there(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["models", "tiny", "musicgen", str(tmp_path / "m")])
    assert result.exit_code == 1 and "engine musicgen has no tiny.write_tiny" in result.output


def test_serve_stops_at_start_up_with_the_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENCHIRP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENCHIRP_MODEL_ENGINES", "chirp-auk=acestep,chirp-v9=acestep")
    monkeypatch.setenv(
        "OPENCHIRP_ENGINE_OPTIONS", f'{{"acestep": {{"model_dir": "{tmp_path}/x"}}}}'
    )
    monkeypatch.setenv("OPENCHIRP_WORKERS", "1")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "unknown model key 'chirp-v9'" in result.output
    assert f"engine acestep: {tmp_path}/x: no such folder" in result.output
    monkeypatch.setenv("OPENCHIRP_WORKER_ENGINES", "composer")  # the GPU engine runs elsewhere
    monkeypatch.setenv("OPENCHIRP_MODEL_ENGINES", "chirp-v9=acestep")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1 and "unknown model key 'chirp-v9'" in result.output
    assert "engine acestep" not in result.output
