"""Devices, dtypes, memory and out-of-memory for engines that run torch models."""

from __future__ import annotations

import logging
import os
import resource
import sys
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


def dtype_name(name: str | None, device: str) -> str:
    """A dtype's canonical name; ``auto``: bfloat16 on a GPU that has it, else float32."""
    if name in (None, "", "auto"):
        if device.startswith("cuda"):
            import torch

            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        return "float32"
    try:
        return DTYPES[name.lower()]
    except KeyError:
        raise ValueError(f"dtype {name!r}: use one of auto, {', '.join(sorted(DTYPES))}") from None


def torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, name)


def device_name(name: str | None) -> str:
    """``auto``: the first GPU when there is one, else the CPU."""
    if name in (None, "", "auto"):
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def device_problem(device: str) -> str | None:
    """Why ``device`` cannot run a model here, or None."""
    if device == "cpu":
        return None
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            return f"device {device}: no CUDA GPU is visible to torch {torch.__version__}"
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            return f"device {device}: only {torch.cuda.device_count()} GPU(s) here"
        return None
    if device == "mps":
        import torch

        return None if torch.backends.mps.is_available() else "device mps: not available"
    return f"device {device!r}: use cpu, cuda, cuda:N or mps"


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
    import torch

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
