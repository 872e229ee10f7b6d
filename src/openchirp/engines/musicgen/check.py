"""What is wrong with a MusicGen model directory and the engine's options, one line each
(``openchirp models check``). Nothing is loaded onto a device; the weights are only measured."""

from __future__ import annotations

import inspect
import json
import math
import struct
from pathlib import Path
from typing import Any

from openchirp.engines.musicgen.model import folder_problems
from openchirp.engines.neural import modeldir, runtime

WORKING_SHARE = 1.3
"""Weights plus the key/value cache, activations and codec of a batch: a rough floor."""


def problems(directory: Path | str | None, options: dict[str, Any] | None = None) -> list[str]:
    """Every problem, one line each: the folder's files and config, the engine's options, and
    the device, dtype and free memory in the same lines as every neural engine's."""
    options = options or {}
    found = _option_problems(options)
    folder = modeldir.folder_problem(directory)
    if folder:
        return [folder, *found]
    directory = Path(str(directory)).expanduser()
    config, files = folder_problems(directory)
    found = files + found
    if config is not None:
        absent = [k for k in ("text_encoder", "audio_encoder", "decoder") if k not in config]
        if absent:
            found.append(f"{directory / 'config.json'}: no {', '.join(absent)} section")
    if (directory / "tokenizer_config.json").is_file():
        found += _tokenizer_problems(directory)
    params = _parameter_count(directory)
    found += runtime.problems(
        options, lambda dtype: int(params * runtime.dtype_bytes(dtype) * WORKING_SHARE)
    )
    return found


def _option_problems(options: dict[str, Any]) -> list[str]:
    from openchirp.engines.musicgen.engine import MAX_WINDOW_S, MusicgenEngine

    found = []
    known = set(inspect.signature(MusicgenEngine.__init__).parameters) - {"self"}
    unknown = sorted(set(options) - known)
    if unknown:
        found.append(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
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


def _parameter_count(directory: Path) -> int:
    """Parameters in the safetensors files (read from their headers); for ``.bin`` weights, their
    size over 4 bytes (float32, as such checkpoints are saved); 0 when unreadable."""
    total = 0
    for path in sorted(directory.glob("*.safetensors")):
        try:
            with path.open("rb") as fh:
                (size,) = struct.unpack("<Q", fh.read(8))
                header = json.loads(fh.read(size))
        except (OSError, struct.error, ValueError):
            continue  # an empty or broken file: has_weights has said so
        for name, info in header.items():
            if name != "__metadata__":
                total += math.prod(info["shape"])
    if not total:
        total = sum(p.stat().st_size for p in directory.glob("*.bin")) // 4
    return total
