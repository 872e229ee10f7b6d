"""The acestep engine's throughput: seconds of audio per second of work, and peak memory, for
batches of 1, 2, 4 and 8 clips, through the server's paths against the pipeline called directly
in the same run (same pipeline object, same seeds, same shapes).

    .venv/bin/python bench/neural.py                 # tiny random model on the CPU
    .venv/bin/python bench/neural.py --full --device cuda --dtype bfloat16 --seconds 60

Paths, each timed as the median of ``--runs`` calls after one warm-up call:

- ``direct``: ``pipe(prompt=[...], lyrics=[...], generator=[...])``, audio to numpy.
- ``engine``: ``AceStepEngine.plan_batch`` (the worker's call), every block read.
- ``worker``: the whole render job in this process (``--worker-batches`` batches of ``B/2``
  creates queued, one worker takes them ``B`` clips a model call): covers, the growing mp3,
  wav, peaks, database, pipelined as the worker runs (the next batch's model call while the
  last batch's files are written).
- ``serial``: the same with ``render_pipeline`` off (the baseline: one batch at a time, the
  files written while the model waits). Batch 1 has no create of one clip, so both are left
  out there.

Overhead: a path's time outside ``AceStepPipeline.__call__`` over its time inside, within the
same call (so other work on the machine between calls cannot skew it; ``direct`` shows what
remains of the pipeline's own output handling). Target: ``engine`` and ``worker`` under 10%.
Throughput (x real time) is seconds of audio over the median seconds of a whole call.

``--full`` builds randomly initialised models of the published ACE-Step 1.5 sizes (turbo DiT,
Qwen3-Embedding-0.6B text encoder, the 48 kHz Oobleck VAE): the compute is that of the trained
weights, the output noise.
Full size is for a GPU machine; the default tiny model runs anywhere in seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]  # this checkout's code, also in a worktree

from openchirp.config import Settings  # noqa: E402
from openchirp.engines.acestep import tiny  # noqa: E402
from openchirp.engines.acestep.engine import AceStepEngine  # noqa: E402
from openchirp.engines.base import PlanRequest  # noqa: E402
from openchirp.engines.neural import runtime  # noqa: E402
from openchirp.engines.registry import load_engine  # noqa: E402

LYRICS = "[Verse]\nneon rain on the avenue\nhold on tight\n[Chorus]\nwe run all night"
BATCHES = (1, 2, 4, 8)


def model_folder(full: bool, dtype: str, where: Path) -> Path:
    """Written through ``save_pretrained`` and loaded back by the engine, as a user's folder."""
    folder = where / ("acestep-full" if full else "acestep-tiny")
    if full:
        import torch

        # Without the cover modules: the figures are for songs, as before they existed.
        tiny.build(full=True, cover=False).to(getattr(torch, dtype)).save_pretrained(str(folder))
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


OFF_MAIN = ThreadPoolExecutor(1, thread_name_prefix="bench")


def off_main(call: Any) -> Any:
    return OFF_MAIN.submit(call).result()


def through_engine(engine: AceStepEngine, batch: int, seconds: float) -> None:
    for render in engine.plan_batch(requests(batch)):
        for _ in render.blocks():
            pass


def clock(cpu: bool) -> float:
    return time.process_time() if cpu else time.perf_counter()


class PipelineClock:
    """Time spent inside ``AceStepPipeline.__call__``, whoever calls it (the engine in this
    process, the worker's engine): a path's overhead is its time outside the pipeline, measured
    within the same call, so other work on the machine between calls does not skew it."""

    def __init__(self, cpu: bool) -> None:
        from diffusers import AceStepPipeline

        self.cpu, self.inside = cpu, 0.0
        original = AceStepPipeline.__call__

        def timed(pipe: Any, *args: Any, **kwargs: Any) -> Any:
            started = clock(cpu)
            try:
                return original(pipe, *args, **kwargs)
            finally:
                self.inside += clock(cpu) - started

        AceStepPipeline.__call__ = timed  # type: ignore[method-assign]

    def measure(self, call: Any) -> tuple[float, float]:
        """(seconds of the call, of which inside the pipeline); a call that measures a part of
        itself (the worker path: its jobs, not the app's set-up) returns that pair."""
        self.inside = 0.0
        started = clock(self.cpu)
        got = call()
        return got if isinstance(got, tuple) else (clock(self.cpu) - started, self.inside)


def paired(clock_: PipelineClock, runs: int, *calls: Any) -> list[tuple[float, float]]:
    """Per call: the median seconds and the median overhead (time outside the pipeline over
    time inside it), after a warm-up of each; the calls take turns."""
    for call in calls:
        call()
    runs_of: list[list[tuple[float, float]]] = [[] for _ in calls]
    for _ in range(runs):
        for call, seen in zip(calls, runs_of, strict=True):
            seen.append(clock_.measure(call))
    return [
        (
            statistics.median(total for total, _ in seen),
            statistics.median(total / inside - 1 for total, inside in seen),
        )
        for seen in runs_of
    ]


class WorkerPath:
    """The render job in this process: an app on a fresh database, a worker driven by hand."""

    def __init__(
        self, folder: Path, options: dict[str, Any], where: Path, clock_: PipelineClock
    ) -> None:
        from tests.support.inprocess import InProcessApp, inprocess_settings

        self.clock = clock_
        self.where = where
        self.options = {**options, "model_dir": str(folder)}
        self.app, self.settings = InProcessApp, inprocess_settings
        self.runs = 0

    def make(self, batch: int, n: int, pipeline: bool) -> Any:
        return self.app(
            self.settings(
                self.where / f"data-{batch}-{n}",
                default_engine=None,
                model_engines={"chirp-auk": "acestep"},
                # The bench's options exactly: the worker's registry builds no second model
                # (one full-size model is all a 24 GiB machine holds) but takes the engine
                # the other paths use (its max_batch set to the row's batch by main).
                engine_options={"acestep": self.options},
                make_video=False,
                render_pipeline=pipeline,
            )
        )

    def run(self, batch: int, batches: int, pipeline: bool) -> tuple[float, float]:
        self.runs += 1
        with self.make(batch, self.runs, pipeline) as app:
            body = {"prompt": LYRICS, "tags": "synthwave, female vocals", "model": "chirp-auk"}
            for _ in range(batches * batch // 2):
                assert app.client.post("/api/custom_generate", json=body).status_code == 200
            ran: list[int] = []
            result = self.clock.measure(lambda: ran.append(app.drive()))
            # pipelined, one job chains the batches; else one job a batch (it takes the others)
            assert ran == [1 if pipeline else batches], ran
            return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="published sizes (for a GPU)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--seconds", type=float, default=None, help="audio per clip")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)))
    parser.add_argument("--no-worker", action="store_true", help="skip the worker paths")
    parser.add_argument(
        "--worker-batches", type=int, default=3, help="model calls a worker path run makes"
    )
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
        # Built through the registry, as a worker builds it: the worker path then shares it.
        engine = load_engine(
            "acestep", Settings(engine_options={"acestep": {**options, "model_dir": str(folder)}})
        )
        pipeline_clock = PipelineClock(args.cpu_time)
        worker = None if args.no_worker else WorkerPath(folder, options, where, pipeline_clock)
        rows = []
        for batch in batches:
            runtime.reset_peak(engine.device)
            # One engine serves every path (and the worker's registry): its batch size is this
            # row's, so the worker claims ``batch`` clips a model call, as a GPU worker would.
            engine.max_batch = batch
            # Every pipeline call runs off the main thread, as the worker's does (render_batch):
            # on a busy CPU, torch's threads made main-thread calls 2.4x slower in wall time
            # for 1.2x the CPU time, which would favour the worker path unfairly.
            calls = [
                partial(off_main, partial(direct, engine, batch, seconds)),
                partial(off_main, partial(through_engine, engine, batch, seconds)),
            ]
            n = args.worker_batches
            if worker is not None and batch % 2 == 0:
                calls.append(partial(worker.run, batch, n, True))
                calls.append(partial(worker.run, batch, n, False))
            measured = paired(pipeline_clock, args.runs, *calls)
            (d, d_over), (e, e_over) = measured[:2]
            w, w_over = measured[2] if len(measured) > 2 else (None, None)
            s_, s_over = measured[3] if len(measured) > 3 else (None, None)
            audio = batch * seconds
            memory = engine.memory()

            def pct(over: float | None) -> float | None:
                return None if over is None else round(100 * over, 1)

            rows.append(
                {
                    "batch": batch,
                    "audio_s": audio,
                    "direct_x": round(audio / d, 2),
                    "engine_x": round(audio / e, 2),
                    "worker_x": round(n * audio / w, 2) if w else None,
                    "serial_x": round(n * audio / s_, 2) if s_ else None,
                    "direct_overhead_pct": pct(d_over),
                    "engine_overhead_pct": pct(e_over),
                    "worker_overhead_pct": pct(w_over),
                    "serial_overhead_pct": pct(s_over),
                    "peak_mib": memory.get("peak_mib", memory.get("peak_rss_mib")),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    size = "full (published sizes, random weights)" if args.full else "tiny (random weights)"
    print(f"\nacestep {size}, {args.device} {args.dtype}, {args.steps} steps, {seconds:g} s a clip")
    unit = "CPU second" if args.cpu_time else "second"
    print(f"seconds of audio per {unit} of work (x real time); overhead: outside the pipeline")
    print(f"worker, serial: {args.worker_batches} model calls a run (serial: the baseline)")
    heads = ("batch", "direct", "engine", "worker", "serial", "eng +%", "wrk +%", "ser +%", "MiB")
    widths = (5, 8, 8, 8, 8, 7, 7, 7, 7)
    print(" ".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True)))
    keys = ("batch", "direct_x", "engine_x", "worker_x", "serial_x", "engine_overhead_pct")
    keys += ("worker_overhead_pct", "serial_overhead_pct", "peak_mib")
    for r in rows:
        cells = ["-" if r[k] is None else f"{r[k]:.0f}" if k == "peak_mib" else r[k] for k in keys]
        print(" ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))


if __name__ == "__main__":
    main()
