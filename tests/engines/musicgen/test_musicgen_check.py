"""``problems(directory, options)``: what is wrong with a MusicGen directory, one line each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.neural import require_neural

require_neural()

from openchirp.engines.musicgen import check  # noqa: E402
from openchirp.engines.musicgen.check import problems  # noqa: E402
from openchirp.engines.musicgen.tiny import write_tiny  # noqa: E402


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
        f"model_dir {tmp_path / 'nowhere'} is not a directory"
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
        "lacks model.safetensors",
        "not a MusicGen model",
        "dtype must be",
        "device must be",
        "unknown option(s) steps",
        "window_s must be",
    ):
        assert expected in text


def test_too_little_memory_is_reported(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check, "_free_bytes", lambda device: (1024, "memory"))
    (line,) = problems(tiny, {"dtype": "float16"})
    assert line.startswith("memory has 0.0 GiB free; the model needs about")
    assert "float16" in line
