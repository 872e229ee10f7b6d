"""API read throughput against a bare FastAPI route, 64 connections, 10,000 stored clips.

    .venv/bin/python bench/api.py [--seconds 10] [--warmup 2] [--connections 64]

Fills a fresh SQLite data folder with 10,000 complete clips (the "Starry night" lyrics of seed
000 as prompt), starts ``python -m openchirp serve`` on it (no workers), and loads

* dialect B: ``GET /api/get?ids=a,b``
* dialect A: ``GET /api/v2/suno/v3.5/clips?ids=a,b``
* bare: a FastAPI app, its own uvicorn process with the server's uvicorn settings, answering
  both paths from async routes with the exact bytes the real endpoints returned (one constant
  each).

Load comes from wrk (``apt-get install wrk``): ``-t1 -c64``, a warm-up run, then a timed run with
``--latency`` for p50/p99. Without wrk it falls back to an asyncio+httpx generator in this
process; its figures are much lower (the client, not the server, is then the bottleneck) and
only the ratios are worth comparing. Prints target, req/s, p50 ms, p99 ms and ratio to bare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.shapes import starry_lyrics  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CLIPS = 10_000
TAGS = "heavy metal, epic, male vocals"


@dataclass(frozen=True)
class Result:
    target: str
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    """Server process CPU time per request: steadier than req/s on a shared machine."""


# -- data ---------------------------------------------------------------------------------------


def real_plans(lyrics: str) -> tuple[list[dict[str, Any]], list[list[list[Any]]]]:
    """What the built-in engine stores with each clip (plan ~50 KB, word timings): planned for
    real, so the rows weigh what production rows weigh."""
    from openchirp.engines.base import PlanRequest
    from openchirp.engines.composer.engine import ComposerEngine

    engine = ComposerEngine(preload_soundfont=False)
    plans, words = [], []
    for variant in (0, 1):
        render = engine.plan(PlanRequest(lyrics=lyrics, tags=TAGS, seed=7, variant=variant))
        plans.append(render.plan)
        words.append([[w.word, round(w.start_s, 3), round(w.end_s, 3)] for w in render.words])
    return plans, words


def fill_database(data_dir: Path, count: int) -> list[str]:
    """Store ``count`` complete clips (two per batch) for the local owner; return their ids."""
    from openchirp.core.clip import new_metadata
    from openchirp.db import repo
    from openchirp.db.database import Database
    from openchirp.db.migrate import upgrade
    from openchirp.db.tables import batches, clips

    db = Database(f"sqlite:///{data_dir / 'openchirp.db'}")
    upgrade(db)
    lyrics = starry_lyrics()
    plans, words = real_plans(lyrics)
    start = datetime.now(UTC) - timedelta(days=30)
    batch_rows: list[dict[str, Any]] = []
    clip_rows: list[dict[str, Any]] = []
    with db.write() as conn:
        owner = repo.ensure_user(conn, repo.LOCAL_HANDLE, "Local owner")
        for b in range(count // 2):
            batch_id = str(uuid.uuid4())
            created = start + timedelta(seconds=60 * b)
            request = {
                "kind": "generate",
                "lyrics": lyrics,
                "tags": TAGS,
                "title": "Starry",
                "negative_tags": "",
                "model": "chirp-v3-5",
            }
            batch_rows.append(
                {
                    "id": batch_id,
                    "user_id": owner.id,
                    "kind": "generate",
                    "model": "chirp-v3-5",
                    "request": request,
                    "created_at": created,
                }
            )
            for variant in (0, 1):
                clip_id = str(uuid.uuid4())
                meta = new_metadata(tags=TAGS, prompt=lyrics)
                meta["duration"] = 150.56 + 40 * variant
                folder = f"clips/{clip_id}"
                clip_rows.append(
                    {
                        "id": clip_id,
                        "batch_id": batch_id,
                        "user_id": owner.id,
                        "status": "complete",
                        "title": "Starry night",
                        "model": "chirp-v3-5",
                        "engine": "composer",
                        "seed": 1000 + b,
                        "variant": variant,
                        "meta": meta,
                        "audio_key": f"{folder}/audio.mp3",
                        "image_key": f"{folder}/image.jpeg",
                        "image_large_key": f"{folder}/image_large.jpeg",
                        "video_key": f"{folder}/video.mp4",
                        "wav_key": f"{folder}/audio.wav",
                        "plan": plans[variant],
                        "words": words[variant],
                        "stems": {
                            "vocals": f"{folder}/stems/vocals.wav",
                            "instrumental": f"{folder}/stems/instrumental.wav",
                        },
                        "credits": 5,
                        "completions": 1,
                        "is_public": False,
                        "is_trashed": False,
                        "is_liked": False,
                        "play_count": 0,
                        "upvote_count": 0,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
        conn.execute(batches.insert(), batch_rows)
        conn.execute(clips.insert(), clip_rows)
    db.dispose()
    return [r["id"] for r in clip_rows]


# -- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not start: {log.read_text()[-3000:]}")


def start(
    args: list[str], env: dict[str, str], log: Path, ready_url: str
) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT)
    wait_ready(ready_url, proc, log)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def serve_bare(port: int, bodies_file: Path) -> None:
    """The baseline: one FastAPI route per path, answering constant bytes, same uvicorn settings."""
    import uvicorn
    from fastapi import FastAPI, Response

    from openchirp.cli import uvicorn_options

    bodies: dict[str, bytes] = {
        k: v.encode() for k, v in json.loads(bodies_file.read_text()).items()
    }
    body_a, body_b = bodies["a"], bodies["b"]
    app = FastAPI()

    # Async, like the real routes: a plain ``def`` route would add a thread-pool hop per
    # request and halve the baseline (~2,100 against ~4,300 req/s here), flattering the ratio.
    @app.get("/api/get")
    async def get_b() -> Response:
        return Response(body_b, media_type="application/json")

    @app.get("/api/v2/suno/{mv}/clips")
    async def get_a(mv: str) -> Response:
        return Response(body_a, media_type="application/json")

    uvicorn.run(app, **uvicorn_options("127.0.0.1", port))


# -- load -------------------------------------------------------------------------------------


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(url: str, seconds: float, connections: int, threads: int) -> tuple[float, float, float]:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw failed responses from {url}:\n{out}")
    if "Socket errors" in out:  # e.g. requests slower than wrk's 2 s timeout on a busy host
        print(
            f"warning: {url}: {out.split('Socket errors:')[1].splitlines()[0].strip()}",
            file=sys.stderr,
        )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    return rps, p50, p99


async def _httpx_load(url: str, seconds: float, connections: int) -> tuple[float, float, float]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code}")

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - t0
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e3  # noqa: E731
    return len(latencies) / elapsed, pick(0.50), pick(0.99)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(target: str, url: str, pid: int, args: argparse.Namespace, use_wrk: bool) -> Result:
    if use_wrk:
        wrk(url, args.warmup, args.connections, args.threads)
        cpu0 = cpu_seconds(pid)
        rps, p50, p99 = wrk(url, args.seconds, args.connections, args.threads)
    else:
        asyncio.run(_httpx_load(url, args.warmup, args.connections))
        cpu0 = cpu_seconds(pid)
        rps, p50, p99 = asyncio.run(_httpx_load(url, args.seconds, args.connections))
    cpu_ms = (cpu_seconds(pid) - cpu0) * 1e3 / (rps * args.seconds)
    return Result(target, rps, p50, p99, cpu_ms)


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--clips", type=int, default=CLIPS)
    parser.add_argument("--rounds", type=int, default=1, help="median of this many rounds")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument("--bare", nargs=2, metavar=("PORT", "BODIES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        serve_bare(int(args.bare[0]), Path(args.bare[1]))
        return

    use_wrk = shutil.which("wrk") is not None
    data_dir = Path(tempfile.mkdtemp(prefix="openchirp-bench-api-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        t0 = time.perf_counter()
        ids = fill_database(data_dir, args.clips)
        print(f"stored {len(ids)} clips in {time.perf_counter() - t0:.1f} s ({data_dir})")
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO / "src") + os.pathsep + str(REPO),
            "OPENCHIRP_DATA_DIR": str(data_dir),
            "OPENCHIRP_PORT": str(port),
            "OPENCHIRP_HOST": "127.0.0.1",
            "OPENCHIRP_WORKERS": "0",
        }
        env.pop("OPENCHIRP_DATABASE_URL", None)
        base = f"http://127.0.0.1:{port}"
        procs.append(
            start(
                [sys.executable, "-m", "openchirp", "serve"],
                env,
                data_dir / "server.log",
                f"{base}/healthz",
            )
        )
        pair = f"{ids[len(ids) // 2]},{ids[len(ids) // 2 + 1]}"
        paths = {"b": f"/api/get?ids={pair}", "a": f"/api/v2/suno/v3.5/clips?ids={pair}"}
        bodies = {}
        for dialect, path in paths.items():
            response = httpx.get(base + path, timeout=10)
            response.raise_for_status()
            assert len(response.json()["clips"] if dialect == "a" else response.json()) == 2
            bodies[dialect] = response.text
        bodies_file = data_dir / "bodies.json"
        bodies_file.write_text(json.dumps(bodies))
        bare_port = free_port()
        bare = f"http://127.0.0.1:{bare_port}"
        procs.append(
            start(
                [sys.executable, __file__, "--bare", str(bare_port), str(bodies_file)],
                env,
                data_dir / "bare.log",
                f"{bare}{paths['b']}",
            )
        )
        for dialect, path in paths.items():
            assert httpx.get(bare + path).content == bodies[dialect].encode()

        server_pid, bare_pid = procs[0].pid, procs[1].pid
        rounds: list[list[tuple[Result, Result]]] = []
        for _ in range(args.rounds):  # alternate targets, so drift on a shared host hits both
            rounds.append(
                [
                    (
                        measure(
                            f"bare FastAPI, {d.upper()} path", bare + path, bare_pid, args, use_wrk
                        ),
                        measure(
                            f"{d.upper()}  GET {path.split('?')[0]}",
                            base + path,
                            server_pid,
                            args,
                            use_wrk,
                        ),
                    )
                    for d, path in paths.items()
                ]
            )
    finally:
        for proc in procs:
            stop(proc)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    gen = (
        f"wrk -t{args.threads} -c{args.connections}"
        if use_wrk
        else f"httpx asyncio, {args.connections} connections (lower figures: client-bound)"
    )
    print(
        f"load: {gen}, {args.warmup:g} s warm-up + {args.seconds:g} s per target, "
        f"response {len(bodies['b'])} B (B) / {len(bodies['a'])} B (A)"
    )
    print(f"{'target':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'cpu ms/req':>11}")
    for i in range(len(paths)):
        bare_result = median([r[i][0] for r in rounds])
        real = median([r[i][1] for r in rounds])
        for r, ratio in ((bare_result, 1.0), (real, real.rps / bare_result.rps)):
            print(
                f"{r.target:34} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {ratio:6.2f} "
                f"{r.cpu_ms:11.3f}"
            )


def median(results: list[Result]) -> Result:
    """The round with the median req/s (its own latencies and CPU come with it)."""
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]


if __name__ == "__main__":
    main()
