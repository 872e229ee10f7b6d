"""The acestep engine's throughput: seconds of audio per second of work, and peak memory, for
batches of 1, 2, 4 and 8 clips, through the server's paths against the pipeline called directly
in the same run (same pipeline object, same seeds, same shapes).

    .venv/bin/python bench/neural.py                 # tiny random model on the CPU
    .venv/bin/python bench/neural.py --full --device cuda --dtype bfloat16 --seconds 60

Paths, each timed as the median of ``--runs`` calls after one warm-up call:

- ``direct``: ``pipe(prompt=[...], lyrics=[...], generator=[...])``, audio to numpy.
- ``engine``: ``AceStepEngine.plan_batch`` (the worker's call), every block read.
- ``worker``: the whole render job in this process (``B/2`` creates queued, one worker claims
  them into one batch): covers, the growing mp3, wav, peaks, database. Batch 1 has no create of
  one clip, so it is left out there.

Overhead = path / direct - 1 (target: ``engine`` under 10%). ``--full`` builds randomly
initialised models of the published ACE-Step 1.5 sizes (turbo DiT, Qwen3-Embedding-0.6B text
encoder, the 48 kHz Oobleck VAE): the compute is that of the trained weights, the output noise.
Full size is for a GPU machine; the default tiny model runs anywhere in seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]  # this checkout's code, also in a worktree

from openchirp.engines.acestep import tiny  # noqa: E402
from openchirp.engines.acestep.engine import AceStepEngine  # noqa: E402
from openchirp.engines.base import PlanRequest  # noqa: E402
from openchirp.engines.neural import runtime  # noqa: E402

LYRICS = "[Verse]\nneon rain on the avenue\nhold on tight\n[Chorus]\nwe run all night"
BATCHES = (1, 2, 4, 8)


def model_folder(full: bool, dtype: str, where: Path) -> Path:
    """Written through ``save_pretrained`` and loaded back by the engine, as a user's folder."""
    folder = where / ("acestep-full" if full else "acestep-tiny")
    if full:
        import torch

        tiny.build(full=True).to(getattr(torch, dtype)).save_pretrained(str(folder))
    else:
        tiny.write_tiny(folder)
    return folder


def requests(batch: int) -> list[PlanRequest]:
    return [
        PlanRequest(
            lyrics=LYRICS, tags="synthwave, female vocals", seed=1000 + i // 2, variant=i % 2
        )
        for i in range(batch)
    ]


def direct(engine: AceStepEngine, batch: int, seconds: float) -> None:
    import torch

    reqs = requests(batch)
    out = engine.pipe(
        prompt=[r.tags for r in reqs],
        lyrics=[r.lyrics for r in reqs],
        audio_duration=seconds,
        vocal_language="en",
        num_inference_steps=engine.steps,
        guidance_scale=engine.guidance_scale,
        shift=engine.shift,
        generator=[torch.Generator("cpu").manual_seed(r.seed * 2 + r.variant) for r in reqs],
    ).audios
    out.float().cpu().numpy()


def through_engine(engine: AceStepEngine, batch: int, seconds: float) -> None:
    for render in engine.plan_batch(requests(batch)):
        for _ in render.blocks():
            pass


def clock(cpu: bool) -> float:
    return time.process_time() if cpu else time.perf_counter()


def paired(runs: int, cpu: bool, *calls: Any) -> list[float]:
    """Median seconds of each call, after a warm-up of each; the calls take turns, so a busy
    moment of the machine weighs on all of them alike. ``cpu``: this process's CPU seconds (all
    its threads) instead of wall time: on a machine shared with other work, wall time mostly
    measures the others."""
    for call in calls:
        call()
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for call, spent in zip(calls, times, strict=True):
            started = clock(cpu)
            call()
            spent.append(clock(cpu) - started)
    return [statistics.median(t) for t in times]


class WorkerPath:
    """The render job in this process: an app on a fresh database, a worker driven by hand."""

    def __init__(self, folder: Path, options: dict[str, Any], where: Path) -> None:
        from tests.support.inprocess import InProcessApp, inprocess_settings

        self.where = where
        self.options = {**options, "model_dir": str(folder)}
        self.app, self.settings = InProcessApp, inprocess_settings
        self.runs = 0

    def make(self, batch: int, n: int) -> Any:
        return self.app(
            self.settings(
                self.where / f"data-{batch}-{n}",
                default_engine=None,
                model_engines={"chirp-auk": "acestep"},
                engine_options={"acestep": {**self.options, "max_batch": batch}},
                make_video=False,
            )
        )

    def run(self, batch: int, cpu: bool) -> float:
        self.runs += 1
        with self.make(batch, self.runs) as app:
            body = {"prompt": LYRICS, "tags": "synthwave, female vocals", "model": "chirp-auk"}
            for _ in range(batch // 2):
                assert app.client.post("/api/custom_generate", json=body).status_code == 200
            started = clock(cpu)
            assert app.drive() == 1  # one job took the others: one batch
            return clock(cpu) - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="published sizes (for a GPU)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--seconds", type=float, default=None, help="audio per clip")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)))
    parser.add_argument("--no-worker", action="store_true", help="skip the worker path")
    parser.add_argument(
        "--cpu-time", action="store_true", help="CPU seconds instead of wall time (busy hosts)"
    )
    args = parser.parse_args()
    seconds = args.seconds or (60.0 if args.full else 5.0)
    batches = [int(b) for b in args.batches.split(",")]
    options = {
        "device": args.device,
        "dtype": args.dtype,
        "steps": args.steps,
        "duration_s": seconds,
        "max_duration_s": seconds,
        "max_batch": max(batches),
    }
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        folder = model_folder(args.full, args.dtype, where)
        engine = AceStepEngine(model_dir=str(folder), **options)
        worker = None if args.no_worker else WorkerPath(folder, options, where)
        rows = []
        for batch in batches:
            runtime.reset_peak(engine.device)
            d, e = paired(
                args.runs,
                args.cpu_time,
                partial(direct, engine, batch, seconds),
                partial(through_engine, engine, batch, seconds),
            )
            w = None
            if worker is not None and batch % 2 == 0:
                worker.run(batch, args.cpu_time)  # warm-up: the engine of these options loads
                w = statistics.median(worker.run(batch, args.cpu_time) for _ in range(args.runs))
            audio = batch * seconds
            memory = engine.memory()
            rows.append(
                {
                    "batch": batch,
                    "audio_s": audio,
                    "direct_x": round(audio / d, 2),
                    "engine_x": round(audio / e, 2),
                    "worker_x": round(audio / w, 2) if w else None,
                    "engine_overhead_pct": round(100 * (e / d - 1), 1),
                    "worker_overhead_pct": round(100 * (w / d - 1), 1) if w else None,
                    "peak_mib": memory.get("peak_mib", memory.get("peak_rss_mib")),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    size = "full (published sizes, random weights)" if args.full else "tiny (random weights)"
    print(f"\nacestep {size}, {args.device} {args.dtype}, {args.steps} steps, {seconds:g} s a clip")
    unit = "CPU second" if args.cpu_time else "second"
    print(f"seconds of audio per {unit} of work (x real time); overhead against direct calls")
    heads = ("batch", "direct", "engine", "worker", "eng +%", "wrk +%", "peak MiB")
    print(" ".join(f"{h:>{w}}" for h, w in zip(heads, (5, 8, 8, 8, 7, 7, 9), strict=True)))
    for r in rows:
        wx = f"{r['worker_x']:>8}" if r["worker_x"] else f"{'-':>8}"
        wo = (
            f"{r['worker_overhead_pct']:>7}"
            if r["worker_overhead_pct"] is not None
            else f"{'-':>7}"
        )
        print(
            f"{r['batch']:>5} {r['direct_x']:>8} {r['engine_x']:>8} {wx} "
            f"{r['engine_overhead_pct']:>7} {wo} {r['peak_mib']:>9.0f}"
        )


if __name__ == "__main__":
    main()
