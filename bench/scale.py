"""Throughput of the Celery queue with 1, 2 and 4 workers, and the queue's added latency per job.

    .venv/bin/python bench/scale.py [--clips 48] [--render-seconds 2.0] [--broker redis]

Needs PostgreSQL (127.0.0.1:5432) and the broker (Redis 127.0.0.1:6379 or RabbitMQ :5672).
The engine is the tests' tone engine with TONE_BLOCK_DELAY: each render waits ``render-seconds``
on a timed sleep, as a render on a GPU waits on the device, so the 2 cores here are not what
limits the workers. For each worker count: one ``openchirp serve --workers 0`` and one
``openchirp worker --count N`` on a fresh database; once the worker is ready, ``clips / 2``
creates go in from 8 clients at once; throughput is clips over the span from the first job's
creation to the last one's finish (read from the jobs table). Prints clips/s and the ratio to
one worker (target: 4 workers >= 3.6x), and on Redis the commands the server ran per job over
the run (INFO commandstats: the publishes, deliveries and acks, and the workers' idle polling).

Latency: one create at a time on an idle system, queue wait = the job's start minus its creation
(``jobs.started_at - created_at``), median over ``--latency-jobs`` creates, for the embedded
queue (``serve --workers 1``) and for Celery; the difference is what the broker adds per job.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import redis
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openchirp.db.database import Database  # noqa: E402
from openchirp.db.tables import jobs  # noqa: E402
from tests.support.server import PgDatabase, Server  # noqa: E402
from tests.support.topology import broker_url  # noqa: E402

SONG = {"prompt": "[Verse]\nwait for the device", "tags": "pop", "title": "Bench"}


def tone_env(render_seconds: float) -> dict[str, str]:
    # 4 blocks of 0.25 s audio a second of audio; each block sleeps its share of the render.
    return {"TONE_SECONDS": "1", "TONE_BLOCK_DELAY": str(render_seconds / 4)}


def start_worker(server: Server, count: int) -> subprocess.Popen[bytes]:
    log = server.data_dir / f"worker-{count}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "openchirp", "worker", "--count", str(count)],
        env=server.env,
        cwd=server.data_dir,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while b" ready." not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def wait_done(db: Database, n: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with db.read() as conn:
            done = conn.execute(
                select(func.count()).select_from(jobs).where(jobs.c.state == "done")
            ).scalar()
        if done >= n:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{done} of {n} jobs done")
        time.sleep(0.05)


def redis_calls(queue_url: str) -> int | None:
    """Commands the Redis server has run (all clients, all databases); None on RabbitMQ."""
    if not queue_url.startswith("redis"):
        return None
    stats = redis.Redis.from_url(queue_url).info("commandstats")
    return sum(int(v["calls"]) for v in stats.values())


def throughput(
    workers: int, clips: int, render_seconds: float, queue_url: str
) -> tuple[float, float | None]:
    """Clips a second, and Redis commands per job over the run (idle polling included)."""
    pg = PgDatabase()
    db = Database(pg.url)
    data = Path(tempfile.mkdtemp(prefix="scale-"))
    env = {**tone_env(render_seconds), "OPENCHIRP_WORKERS": "0", "OPENCHIRP_QUEUE_URL": queue_url}
    server = Server(data, pg.url, **env).start()
    worker = start_worker(server, workers)
    try:
        calls = redis_calls(queue_url)
        with httpx.Client(base_url=server.url, timeout=60) as client, ThreadPoolExecutor(8) as pool:
            for answer in pool.map(
                lambda _: client.post("/api/custom_generate", json=SONG), range(clips // 2)
            ):
                answer.raise_for_status()
        wait_done(db, clips)
        after = redis_calls(queue_url)
        with db.read() as conn:
            first, last = conn.execute(
                select(func.min(jobs.c.created_at), func.max(jobs.c.finished_at))
            ).one()
        per_job = None if calls is None or after is None else (after - calls) / clips
        return clips / (last - first).total_seconds(), per_job
    finally:
        stop(worker)
        server.stop()
        db.dispose()
        pg.drop()


def queue_wait(queue_url: str | None, n: int) -> float:
    """Median seconds from a job's creation to its start, one job at a time."""
    pg = PgDatabase()
    db = Database(pg.url)
    data = Path(tempfile.mkdtemp(prefix="latency-"))
    env = {"TONE_SECONDS": "0.5", "TONE_BLOCK_DELAY": "0"}
    if queue_url:
        env |= {"OPENCHIRP_WORKERS": "0", "OPENCHIRP_QUEUE_URL": queue_url}
    else:
        env |= {"OPENCHIRP_WORKERS": "1"}
    server = Server(data, pg.url, **env).start()
    worker = start_worker(server, 1) if queue_url else None
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            client.post("/api/custom_generate", json=SONG).raise_for_status()  # warm
            wait_done(db, 2)
            for i in range(n):
                client.post("/api/custom_generate", json=SONG).raise_for_status()
                wait_done(db, 2 * (i + 2))
        with db.read() as conn:
            rows = conn.execute(
                select(jobs.c.created_at, jobs.c.started_at).order_by(jobs.c.created_at)
            ).all()[2:]
        return statistics.median((s - c).total_seconds() for c, s in rows)
    finally:
        if worker:
            stop(worker)
        server.stop()
        db.dispose()
        pg.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 48: with fewer, the last round of renders leaves workers idle and hides the scaling.
    parser.add_argument("--clips", type=int, default=48)
    parser.add_argument("--render-seconds", type=float, default=2.0)
    parser.add_argument("--broker", choices=["redis", "amqp"], default="redis")
    parser.add_argument("--latency-jobs", type=int, default=10)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    queue_url, _ = broker_url(args.broker)
    print(f"broker {args.broker}, {args.clips} clips, each render waits {args.render_seconds} s")
    base = None
    for n in (int(w) for w in args.workers.split(",")):
        rate, calls = throughput(n, args.clips, args.render_seconds, queue_url)
        base = base or rate
        broker = "" if calls is None else f"  ({calls:.0f} Redis commands per job)"
        print(
            f"{n} worker(s): {rate:6.2f} clips/s  {rate / base:4.2f}x one worker{broker}",
            flush=True,
        )
    if args.latency_jobs < 1:
        return
    embedded = queue_wait(None, args.latency_jobs)
    celery = queue_wait(queue_url, args.latency_jobs)
    print(
        f"queue wait per job (median of {args.latency_jobs}): embedded {embedded * 1000:.1f} ms, "
        f"celery {celery * 1000:.1f} ms, added {(celery - embedded) * 1000:+.1f} ms"
    )


if __name__ == "__main__":
    main()
