"""``problems(directory, options)``: what is wrong with a MusicGen directory, one line each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.neural import require_neural

require_neural()

from openchirp.engines.musicgen.check import problems  # noqa: E402
from openchirp.engines.musicgen.tiny import write_tiny  # noqa: E402
from openchirp.engines.neural import runtime  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("musicgen-check")
    write_tiny(directory)
    return directory


def test_a_good_directory_has_no_problems(tiny: Path) -> None:
    assert problems(tiny, {}) == []
    assert problems(tiny, {"model_dir": str(tiny), "device": "cpu", "dtype": "bfloat16"}) == []
    names = {p.name for p in tiny.iterdir()}
    assert {"config.json", "generation_config.json", "model.safetensors"} <= names
    assert {"tokenizer.json", "tokenizer_config.json"} <= names


def test_each_problem_is_one_line(tiny: Path, tmp_path: Path) -> None:
    assert problems(tmp_path / "nowhere", {}) == [
        f"{tmp_path / 'nowhere'}: no such folder "
        "(weights are never downloaded: put them there first)"
    ]
    broken = tmp_path / "broken"
    shutil.copytree(tiny, broken)
    (broken / "model.safetensors").unlink()
    config = json.loads((broken / "config.json").read_text())
    (broken / "config.json").write_text(json.dumps({**config, "model_type": "bark"}))
    found = problems(broken, {"dtype": "int8", "device": "tpu", "steps": 3, "window_s": 31})
    assert len(found) == 6 and all("\n" not in line for line in found)
    text = "\n".join(found)
    for expected in (
        "no weights (*.safetensors or *.bin)",
        "a 'bark' model, not MusicGen",
        "dtype 'int8': use one of auto, bf16, bfloat16, float16, float32, fp16, fp32, half",
        "device 'tpu': use auto, cpu, cuda, cuda:N or mps",
        "unknown option(s) steps",
        "window_s must be",
    ):
        assert expected in text


def test_too_little_memory_is_reported(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "available_ram", lambda: 1024)
    (line,) = problems(tiny, {"device": "cpu", "dtype": "bfloat16"})
    assert line.startswith("device cpu (RAM): 0.0 GiB free, the model needs about")
    assert line.endswith("GiB in bfloat16")
