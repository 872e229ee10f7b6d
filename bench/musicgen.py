"""The musicgen engine against transformers' MusicGen called directly, per batch size.

    .venv/bin/python bench/musicgen.py                       # tiny random model, CPU
    .venv/bin/python bench/musicgen.py --size small --device cuda --dtype float16

Randomly initialised models (``engines/musicgen/tiny.py``): ``tiny`` anywhere, or a published
size (``small``, ``medium``, ``large``: the compute of the trained model, on a GPU). For each
batch size: seconds of audio per second of wall time through the engine (plan_batch, every
block streamed and consumed, per-clip sampling, guidance), and through ``model.generate`` as its
documentation calls it (text prompts, ``do_sample``, the same guidance scale and length, audio
decoded once at the end); the engine's overhead against it; the time to the engine's first
block; peak device memory (CUDA) or peak resident memory (CPU). Then one extension of a clip
from its codes against one from its audio alone (an upload: the last stretch encoded by the
model's codec first): seconds to the first block and in all. Figures, never asserted.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from openchirp.engines.base import Continuation, PlanRequest
from openchirp.engines.musicgen.engine import MusicgenEngine
from openchirp.engines.musicgen.tiny import write_random, write_tiny


def requests(batch: int) -> list[PlanRequest]:
    tags = ["synthwave, dreamy", "lofi hip hop", "orchestral, epic", "jazz, piano"]
    return [
        PlanRequest(lyrics="", tags=tags[i % 4], instrumental=True, seed=1, variant=i)
        for i in range(batch)
    ]


def through_engine(engine: MusicgenEngine, batch: int) -> tuple[float, float, float]:
    """(seconds of audio, wall seconds, seconds to the first block)."""
    renders = engine.plan_batch(requests(batch))
    began = time.perf_counter()
    first = None
    samples = 0
    streams = [r.blocks() for r in renders]
    while streams:
        for stream in list(streams):
            block = next(stream, None)
            if block is None:
                streams.remove(stream)
                continue
            first = first if first is not None else time.perf_counter() - began
            samples += len(block.mix)
    wall = time.perf_counter() - began
    return samples / engine.loaded.sampling_rate, wall, first or wall


def extensions(engine: MusicgenEngine, seconds: float) -> dict[str, tuple[float, float]]:
    """(seconds to the first block, wall seconds) extending a clip at ``seconds`` - 1 from its
    codes, and from its audio with no plan (as an upload is handed over)."""
    source = engine.plan(requests(1)[0])
    audio = np.concatenate([b.mix for b in source.blocks()])
    at = max(0.0, seconds - 1.0)
    out = {}
    rate = engine.loaded.sampling_rate
    for name, continuation in (
        ("codes", Continuation(source.plan, at)),
        ("audio", Continuation({}, at, audio, rate)),
    ):
        request = PlanRequest(lyrics="", tags="ambient", seed=2, continuation=continuation)
        began = time.perf_counter()
        stream = engine.plan(request).blocks()
        next(stream)
        first = time.perf_counter() - began
        for _ in stream:
            pass
        out[name] = (first, time.perf_counter() - began)
    return out


def direct(engine: MusicgenEngine, batch: int, seconds: float) -> tuple[float, float]:
    import torch

    loaded = engine.loaded
    texts = [engine._render(r).job.prompt for r in requests(batch)]
    inputs = loaded.tokenizer(texts, return_tensors="pt", padding=True).to(loaded.device)
    frames = round(seconds * loaded.frame_rate)
    delay = loaded.num_codebooks // loaded.audio_channels
    began = time.perf_counter()
    with torch.inference_mode():
        audio = loaded.model.generate(
            **inputs,
            do_sample=True,
            guidance_scale=engine.settings.guidance_scale,
            max_new_tokens=frames + delay - 1,
        )
    if loaded.device.startswith("cuda"):
        torch.cuda.synchronize()
    wall = time.perf_counter() - began
    return audio.shape[0] * audio.shape[-1] / loaded.sampling_rate, wall


def peak_memory(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        peak = torch.cuda.max_memory_allocated(device) / 2**30
        torch.cuda.reset_peak_memory_stats(device)
        return f"{peak:.2f} GiB (device)"
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB (resident)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="tiny", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--model-dir", type=Path, default=None, help="reuse a written model")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per clip")
    parser.add_argument("--batches", default="1,2,4,8")
    parser.add_argument("--runs", type=int, default=2, help="best of")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch's CPU threads (on a busy host OpenMP's spinning makes the main thread's "
        "calls several times slower than the engine's generation thread: 1 compares fairly)",
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.model_dir or Path(tmp) / args.size
        if not (folder / "config.json").exists():
            (write_tiny if args.size == "tiny" else lambda d: write_random(d, args.size))(folder)
        engine = MusicgenEngine(
            str(folder),
            device=args.device,
            dtype=args.dtype,
            duration_s=args.seconds,
            max_batch=max(int(b) for b in args.batches.split(",")),
        )
        through_engine(engine, 1)  # warm: kernels, allocator
        print(f"musicgen {args.size} on {args.device} ({args.dtype}), {args.seconds:g} s clips")
        for batch in (int(b) for b in args.batches.split(",")):
            ours = min(
                (through_engine(engine, batch) for _ in range(args.runs)), key=lambda r: r[1]
            )
            theirs = min(direct(engine, batch, args.seconds) for _ in range(args.runs))
            overhead = (ours[1] - theirs[1]) / theirs[1] * 100
            print(
                f"batch {batch}: engine {ours[0] / ours[1]:.2f} s/s (first block {ours[2]:.2f} s), "
                f"generate {theirs[0] / theirs[1]:.2f} s/s, overhead {overhead:+.0f}%, "
                f"peak {peak_memory(args.device)}"
            )
        ext = [extensions(engine, args.seconds) for _ in range(args.runs)]
        for name in ("codes", "audio"):
            first, wall = min(e[name] for e in ext)
            print(f"extend from {name}: first block {first:.2f} s, {wall:.2f} s in all")


if __name__ == "__main__":
    main()
