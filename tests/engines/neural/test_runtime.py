"""``engines/neural/runtime``: the one set of device and dtype spellings, and the one set of
problem lines, that every neural engine (acestep, musicgen) uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.neural import require_neural

require_neural()

from openchirp.engines.acestep import check as acestep_check  # noqa: E402
from openchirp.engines.musicgen import check as musicgen_check  # noqa: E402
from openchirp.engines.neural import runtime  # noqa: E402


def test_device_and_dtype_spellings() -> None:
    assert runtime.device_name(" CUDA:1 ") == "cuda:1"
    assert runtime.device_name("Cpu") == "cpu"
    assert runtime.device_name(None) == runtime.device_name("AUTO") in ("cpu", "cuda")
    for bad in ("tpu", "cuda:x", "cuda:", "gpu"):
        assert runtime.device_problem(bad) == f"device {bad!r}: use auto, cpu, cuda, cuda:N or mps"
    assert runtime.device_problem("cpu") is None
    assert runtime.dtype_name(" FP16", "cpu") == "float16"
    assert runtime.dtype_name("bf16", "cpu") == "bfloat16"
    assert runtime.dtype_name("auto", "cpu") == runtime.dtype_name(None, "cpu") == "float32"
    with pytest.raises(ValueError, match="dtype 'int8': use one of auto, bf16"):
        runtime.dtype_name("int8", "cpu")
    assert runtime.dtype_bytes("float32") == 4 and runtime.dtype_bytes("bfloat16") == 2


def test_problems_report_device_dtype_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    need = lambda dtype: runtime.dtype_bytes(dtype) * 2**30  # noqa: E731
    assert runtime.problems({"device": "cpu"}, lambda dtype: 0) == []
    assert runtime.problems({"device": "tpu", "dtype": "int8"}, need) == [
        "device 'tpu': use auto, cpu, cuda, cuda:N or mps",
        "dtype 'int8': use one of auto, bf16, bfloat16, float16, float32, fp16, fp32, half",
    ]
    assert runtime.problems({"device": "cpu", "dtype": "half"}, lambda dtype: 0) == [
        "dtype float16 on the cpu: use float32 or bfloat16"
    ]
    monkeypatch.setattr(runtime, "available_ram", lambda: 3 * 2**30)
    assert runtime.problems({"device": "cpu", "dtype": "bf16"}, need) == []
    monkeypatch.setattr(runtime, "available_ram", lambda: 2**30)
    assert runtime.problems({"device": "cpu", "dtype": "float32"}, need) == [
        "device cpu (RAM): 1.0 GiB free, the model needs about 4.0 GiB in float32"
    ]


@pytest.mark.parametrize(
    "options",
    [{"device": "tpu", "dtype": "int8"}, {"device": "cpu", "dtype": "fp16"}, {"dtype": "x"}],
)
def test_both_engines_say_the_same_about_device_and_dtype(tmp_path: Path, options: dict) -> None:
    def runtime_lines(found: list[str]) -> list[str]:
        return [line for line in found if line.startswith(("device", "dtype"))]

    ace = runtime_lines(acestep_check.problems(tmp_path, options))
    music = runtime_lines(musicgen_check.problems(tmp_path, options))
    assert ace and ace == music
