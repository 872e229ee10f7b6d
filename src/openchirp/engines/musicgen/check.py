"""What is wrong with a MusicGen model directory and the engine's options, one line each
(``openchirp models check``). Nothing is loaded onto a device; the weights are only measured."""

from __future__ import annotations

import inspect
import json
import struct
from pathlib import Path
from typing import Any

from openchirp.engines.musicgen.model import (
    DTYPES,
    ModelDirError,
    missing_files,
    parse_device,
    parse_dtype,
    read_config,
)
from openchirp.engines.neural import runtime

BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1}
WORKING_SHARE = 1.3
"""Weights plus the key/value cache, activations and codec of a batch: a rough floor."""


def problems(directory: Path, options: dict[str, Any]) -> list[str]:
    directory = Path(directory).expanduser()
    found: list[str] = []
    found += _option_problems(options)
    if not directory.is_dir():
        return [f"model_dir {directory} is not a directory", *found]
    missing = missing_files(directory)
    if missing:
        found.append(f"model_dir {directory} lacks {', '.join(missing)}")
    if (directory / "config.json").is_file():
        try:
            config = read_config(directory)
        except ModelDirError as exc:
            found.append(str(exc))
        else:
            absent = [k for k in ("text_encoder", "audio_encoder", "decoder") if k not in config]
            if absent:
                found.append(f"config.json lacks the {', '.join(absent)} section")
    if (directory / "tokenizer_config.json").is_file():
        found += _tokenizer_problems(directory)
    params = _parameter_count(directory)
    if params is not None:
        found += _memory_problems(params, options)
    return found


def _option_problems(options: dict[str, Any]) -> list[str]:
    from openchirp.engines.musicgen.engine import MAX_WINDOW_S, MusicgenEngine

    found = []
    known = set(inspect.signature(MusicgenEngine.__init__).parameters) - {"self"}
    unknown = sorted(set(options) - known)
    if unknown:
        found.append(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    for name, parse in (("device", parse_device), ("dtype", parse_dtype)):
        if name in options:
            try:
                parse(options[name])
            except ModelDirError as exc:
                found.append(str(exc))
    window = options.get("window_s", MAX_WINDOW_S)
    if not isinstance(window, int | float) or not 0 < window <= MAX_WINDOW_S:
        found.append(f"window_s must be more than 0 and at most {MAX_WINDOW_S}; got {window!r}")
    return found


def _tokenizer_problems(directory: Path) -> list[str]:
    from transformers import AutoTokenizer  # without the neural extra: ImportError, said so

    try:
        AutoTokenizer.from_pretrained(directory, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure is the line to print
        return [f"the tokenizer does not load: {str(exc).splitlines()[0][:200]}"]
    return []


def _parameter_count(directory: Path) -> int | None:
    """Parameters in the safetensors files (read from their headers), or None if there are none."""
    files = sorted(directory.glob("*.safetensors"))
    if not files:
        return None
    total = 0
    for path in files:
        with path.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(size))
        for name, info in header.items():
            if name != "__metadata__":
                count = 1
                for n in info["shape"]:
                    count *= n
                total += count
    return total


def _memory_problems(params: int, options: dict[str, Any]) -> list[str]:
    dtype = str(options.get("dtype", "float32")).lower()
    per = 4 if dtype not in DTYPES or dtype == "float32" else 2
    need = int(params * per * WORKING_SHARE)
    device = str(options.get("device", "cpu")).lower()
    try:
        free, where = _free_bytes(device)
    except (RuntimeError, ValueError, AssertionError) as exc:
        return [f"device {device!r} is not usable here: {exc}"]
    if free is not None and free < need:
        return [
            f"{where} has {free / 2**30:.1f} GiB free; the model needs about "
            f"{need / 2**30:.1f} GiB in {dtype}"
        ]
    return []


def _free_bytes(device: str) -> tuple[int | None, str]:
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError("torch sees no CUDA device")
        index = int(device.partition(":")[2] or 0)
        return runtime.free_bytes(f"cuda:{index}"), f"cuda:{index}"
    if device != "cpu":
        return None, device
    return runtime.available_ram(), "memory"
