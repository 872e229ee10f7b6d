"""Devices, dtypes, memory and out-of-memory for engines that run torch models."""

from __future__ import annotations

import logging
import os
import re
import resource
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openchirp.engines.base import EngineError

log = logging.getLogger("openchirp.engines")

DTYPES = {
    "float32": "float32",
    "fp32": "float32",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
}


class OutOfMemory(EngineError):
    """The device ran out of memory: the clip ends in ``error`` with ``out_of_memory`` at once
    (the same request on the same device would run out again) and the worker keeps serving."""

    error_type = "out_of_memory"
    retry = False


class ModelDirError(ValueError):
    """A model folder that cannot be loaded: one line per problem."""

    def __init__(self, engine: str, directory: object, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"engine {engine}: the model folder {directory} cannot be used:\n{lines}")


DEVICES = "auto, cpu, cuda, cuda:N or mps"
"""The device spellings every neural engine accepts (any case, spaces around ignored)."""
_DEVICE = re.compile(r"cpu|mps|cuda(:\d+)?")


def dtype_name(name: str | None, device: str) -> str:
    """A dtype's canonical name; ``auto``: bfloat16 on a GPU that has it (else float16), float32
    elsewhere. Raises ValueError naming the accepted spellings."""
    text = "" if name is None else str(name).strip().lower()
    if text in ("", "auto"):
        if device.startswith("cuda"):
            import torch

            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        return "float32"
    try:
        return DTYPES[text]
    except KeyError:
        raise ValueError(f"dtype {name!r}: use one of auto, {', '.join(sorted(DTYPES))}") from None


def dtype_bytes(dtype: str) -> int:
    """Bytes a parameter takes in a canonical dtype."""
    return 4 if dtype == "float32" else 2


def torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, name)


def device_name(name: str | None) -> str:
    """A device's canonical spelling; ``auto``: the first GPU when there is one, else the CPU.
    Not checked here (``device_problem`` says what is wrong with it)."""
    text = "" if name is None else str(name).strip().lower()
    if text in ("", "auto"):
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return text


def device_problem(device: str) -> str | None:
    """Why ``device`` (a ``device_name``) cannot run a model here, or None."""
    if not _DEVICE.fullmatch(device):
        return f"device {device!r}: use {DEVICES}"
    if device == "cpu":
        return None
    import torch

    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            return f"device {device}: no CUDA GPU is visible to torch {torch.__version__}"
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            return f"device {device}: only {torch.cuda.device_count()} GPU(s) here"
        return None
    return None if torch.backends.mps.is_available() else "device mps: not available"


def problems(options: dict[str, Any], need_bytes: Callable[[str], int]) -> list[str]:
    """What is wrong with an engine's ``device`` and ``dtype`` options on this machine, and
    whether the model fits in the free memory, one line each: the same lines for every neural
    engine (``openchirp models check``, start-up checks, building an engine).
    ``need_bytes(dtype)``: roughly what the model needs in that dtype."""
    try:
        device = device_name(options.get("device"))
    except ImportError as exc:
        return [f"torch is not installed ({exc}): pip install 'openchirp[neural]'"]
    out = []
    bad_device = device_problem(device)
    if bad_device:
        out.append(bad_device)
    try:
        # an ``auto`` dtype depends on the device: only asked of a usable one
        dtype = dtype_name(options.get("dtype"), device if not bad_device else "cpu")
    except ValueError as exc:
        return [*out, str(exc)]
    if bad_device:
        return out
    if device == "cpu" and dtype == "float16":
        out.append("dtype float16 on the cpu: use float32 or bfloat16")
    need = need_bytes(dtype)
    free = free_bytes(device) if device.startswith("cuda") else available_ram()
    if free is not None and need > free:
        gib = 1024**3
        where = device if device.startswith("cuda") else f"{device} (RAM)"
        out.append(
            f"device {where}: {free / gib:.1f} GiB free, the model needs about "
            f"{need / gib:.1f} GiB in {dtype}"
        )
    return out


def free_bytes(device: str) -> int | None:
    """Free memory on the device (None for the CPU: the operating system's business)."""
    if not device.startswith("cuda"):
        return None
    import torch

    free, _total = torch.cuda.mem_get_info(torch.device(device))
    return int(free)


def memory(device: str) -> dict[str, float]:
    """Memory figures in MiB: the GPU's allocated, reserved, peak and free; on a CPU, the
    process's peak resident set."""
    mib = 1024 * 1024
    if device.startswith("cuda"):
        import torch

        dev = torch.device(device)
        free, total = torch.cuda.mem_get_info(dev)
        return {
            "allocated_mib": torch.cuda.memory_allocated(dev) / mib,
            "reserved_mib": torch.cuda.memory_reserved(dev) / mib,
            "peak_mib": torch.cuda.max_memory_allocated(dev) / mib,
            "free_mib": free / mib,
            "total_mib": total / mib,
        }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return {"peak_rss_mib": peak / (mib if sys.platform == "darwin" else 1024)}


def reset_peak(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats(torch.device(device))


def is_out_of_memory(exc: BaseException) -> bool:
    """torch's out-of-memory error. Without torch imported no engine could have raised one,
    and the question (asked of every batching engine's errors) imports nothing."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def release_cached(device: str) -> None:
    """Give the allocator's cached blocks back after a failure, so the next job starts clean."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


def simulated_out_of_memory(device: str) -> BaseException:
    """torch's own out-of-memory error, as a GPU raises it (tests and drills on a CPU)."""
    import torch

    return torch.cuda.OutOfMemoryError(
        f"CUDA out of memory (simulated on {device} by the simulate_oom_tag option)"
    )


def available_ram() -> int | None:
    """MemAvailable (free plus reclaimable cache) on Linux, else free pages, else unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
