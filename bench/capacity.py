"""The figures behind docs/scaling.md: what one song costs a worker, the database, the broker and
the storage, measured on the Celery path.

    .venv/bin/python bench/capacity.py [--songs 3] [--tone]

Needs PostgreSQL on 127.0.0.1:5432. A song is one create (Suno's pair of clips). The API app
runs in this process on a fresh PostgreSQL database with the built-in engine and videos on;
each job runs through ``celery_queue.run_job`` (the task a Celery worker runs: the exact claim,
the worker, the after-commit publish), with the broker replaced by a recorder, so every message
the API and the workers would publish is counted. Per song it prints:

- CPU seconds per job kind (render: both clips, covers, mp3, wav, stems; video: the mp4s),
  and the audio seconds made, so the built-in engine's throughput per core;
- SQL statements by kind and table, and transactions, on the API side (the create) and the
  worker side (each job kind), from SQLAlchemy's cursor events; also one sweep's statements
  (each Celery worker process sweeps every ``OPENCHIRP_QUEUE_SWEEP_SECONDS``);
- broker messages (one per job) by queue;
- storage objects and bytes per song by file type.

``--tone`` uses the tests' tone engine (2-second clips) for a quick run (the test of this script):
the database and broker counts are the same, the CPU and byte figures are not a song's.
"""

from __future__ import annotations

import os

# As `openchirp worker` and `serve` run their workers (cli.one_blas_thread): set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import collections  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from openchirp.db.database import Database  # noqa: E402
from openchirp.jobs import celery_queue  # noqa: E402
from openchirp.jobs.worker import Worker  # noqa: E402
from tests.support.inprocess import InProcessApp, inprocess_settings  # noqa: E402
from tests.support.server import TONE, PgDatabase  # noqa: E402
from tests.support.shapes import starry_lyrics  # noqa: E402

STATEMENT = re.compile(
    r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s+(?:.*?\bFROM\s+)?(\w+)", re.I | re.S
)


WALL = "wall"
HEARTBEATS = "heartbeats (per job-second)"


class Recorder:
    """Stands in for the Celery app: keeps what would have been published."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []  # (job id, queue)

    def send_task(self, name: str, args: list[str], kwargs: dict[str, Any], **options: Any) -> None:
        self.sent.append((args[0], options["queue"]))


class Statements:
    """SQL statements and commits per phase, from the engines' cursor events."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.counts: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter
        )

    def watch(self, db: Database) -> None:
        event.listen(db.engine, "before_cursor_execute", self._statement)
        event.listen(db.engine, "commit", self._commit)
        # pool_pre_ping: each checkout pings the server first (a round trip, not a statement).
        event.listen(db.engine, "checkout", self._checkout)

    def _where(self) -> str:
        # A job's lease is renewed from its own thread: per second of work, not per job.
        beat = threading.current_thread().name.endswith("(_heartbeat)")
        return HEARTBEATS if beat else self.phase

    def _statement(self, _conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        match = STATEMENT.match(sql)
        if match is None:
            label = sql.split(None, 1)[0].upper() if sql.strip() else "?"
        else:
            verb = match.group(1).split()[0].upper()
            table = match.group(2).lower()
            label = (
                "SELECT 1 (pool ping)"
                if verb == "SELECT" and sql.strip() == "SELECT 1"
                else (f"{verb} {table}")
            )
        self.counts[self._where()][label] += 1

    def _commit(self, _conn: Any) -> None:
        self.counts[self._where()]["COMMIT"] += 1

    def _checkout(self, *_args: Any) -> None:
        self.counts[self._where()]["checkout+ping"] += 1


def song(tone: bool) -> dict[str, Any]:
    if tone:
        return {"prompt": "[Verse]\nround and round we go", "tags": "pop", "title": "Capacity"}
    return {"prompt": starry_lyrics(), "tags": "heavy metal", "title": "Starry night"}


def measure(songs: int, tone: bool) -> dict[str, Any]:
    pg = PgDatabase()
    data = Path(tempfile.mkdtemp(prefix="capacity-"))
    overrides: dict[str, Any] = {
        "database_url": pg.url,
        "make_video": True,
        # The defaults a deployment runs with (the in-process tests shorten them).
        "lease_seconds": 20.0,
        "heartbeat_seconds": 2.0,
        "poll_seconds": 0.1,
    }
    if tone:
        overrides["default_engine"] = TONE
    else:
        overrides["default_engine"] = None
    settings = inprocess_settings(data, **overrides)
    recorder = Recorder()
    statements = Statements()
    cpu: collections.Counter[str] = collections.Counter()
    runs: collections.Counter[str] = collections.Counter()
    try:
        with InProcessApp(settings) as app:
            # The broker: a recorder behind the same Publisher the API and the workers use.
            api_db = app.app.state.db
            api_db.after_commit.append(celery_queue.Publisher(settings, api_db, recorder))
            worker = Worker(settings, name="capacity:0:celery")
            publisher = celery_queue.Publisher(settings, worker.db, recorder)
            worker.db.after_commit.append(publisher)
            celery_queue._state.worker, celery_queue._state.publisher = worker, publisher
            statements.watch(api_db)
            statements.watch(worker.db)
            # Warm: the engine loaded, the first song's one-off costs out of the figures.
            run_all(app, recorder, statements, cpu, runs, song(tone), count=False)
            cpu.clear()
            runs.clear()
            statements.counts.clear()
            first_message = len(recorder.sent)
            ids: list[str] = []
            for _ in range(songs):
                ids += run_all(app, recorder, statements, cpu, runs, song(tone), count=True)
            statements.phase = "one sweep"
            celery_queue.sweep(worker, publisher)
            made = app.client.get("/api/get", params={"ids": ",".join(ids)}).json()
            assert {c["status"] for c in made} == {"complete"}, made
            audio = sum(float(c["duration"]) for c in made)
            files = storage_bytes(data / "files" / "clips", ids)
            queues = collections.Counter(q for _, q in recorder.sent[first_message:])
            worker.db.dispose()
    finally:
        celery_queue._state.worker = celery_queue._state.publisher = None
        pg.drop()
    return {
        "songs": songs,
        "audio_s": audio,
        "cpu": cpu,
        "runs": runs,
        "statements": statements.counts,
        "queues": queues,
        "files": files,
    }


def run_all(
    app: InProcessApp,
    recorder: Recorder,
    statements: Statements,
    cpu: collections.Counter[str],
    runs: collections.Counter[str],
    body: dict[str, Any],
    *,
    count: bool,
) -> list[str]:
    """One create, then every message it leads to, delivered in order (as one worker would);
    the clips' ids."""
    statements.phase = "create (API)"
    before = len(recorder.sent)
    made = app.client.post("/api/custom_generate", json=body)
    made.raise_for_status()
    seen = before
    while seen < len(recorder.sent):
        job_id, queue = recorder.sent[seen]
        seen += 1
        kind = "render" if queue.startswith("render.") else queue
        statements.phase = f"job: {kind}"
        started, wall = time.process_time(), time.monotonic()
        outcome = celery_queue.run_job(job_id)
        if outcome == "ran" and count:
            cpu[kind] += time.process_time() - started
            cpu[WALL] += time.monotonic() - wall
            runs[kind] += 1
        elif count:
            runs[f"{kind} (message for a job already taken)"] += 1
    return [c["id"] for c in made.json()]


def storage_bytes(root: Path, clip_ids: list[str]) -> dict[str, tuple[int, int]]:
    """File type -> (objects, bytes) over these clips' folders."""
    found: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for clip_id in clip_ids:
        for path in (root / clip_id).rglob("*"):
            if path.is_file() and path.suffix != ".done":  # a workspace marker, not an object
                kind = "stem wav" if path.parent.name == "stems" else path.suffix.lstrip(".")
                found[kind][0] += 1
                found[kind][1] += path.stat().st_size
    return {k: (n, size) for k, (n, size) in sorted(found.items())}


def report(figures: dict[str, Any]) -> None:
    n = figures["songs"]
    per = 1 / n
    audio = figures["audio_s"] * per
    print(f"{n} song(s) (2 clips each), {audio:.1f} s of audio per song (both clips)")
    wall = figures["cpu"].pop(WALL, 0.0)
    print("\nCPU seconds per song, by job kind (jobs run per song):")
    for kind, seconds in sorted(figures["cpu"].items()):
        print(f"  {kind:8s} {seconds * per:7.2f} s  ({figures['runs'][kind] * per:.1f} jobs)")
    others = {k: v for k, v in figures["runs"].items() if k not in figures["cpu"]}
    for kind, times in others.items():
        print(f"  {kind}: {times * per:.1f}")
    total = sum(figures["cpu"].values()) * per
    render = figures["cpu"].get("render", 0) * per
    print(f"  total    {total:7.2f} s")
    if render:
        print(f"  render: {audio / render:.0f}x real time per core (audio s per CPU s)")
    print("\nSQL per song (statements, by phase; COMMIT = transactions):")
    writes = 0.0
    for phase, counts in sorted(figures["statements"].items()):
        scale = {"one sweep": 1, HEARTBEATS: 1 / wall if wall else 0}.get(phase, per)
        shown = ", ".join(f"{k} {v * scale:g}" for k, v in sorted(counts.items()))
        print(f"  {phase:22s} {shown}")
        if phase not in ("one sweep", HEARTBEATS):
            writes += (
                sum(v for k, v in counts.items() if k.split()[0] in ("INSERT", "UPDATE")) * per
            )
    per_song = {
        p: c for p, c in figures["statements"].items() if p not in ("one sweep", HEARTBEATS)
    }
    commits = sum(c["COMMIT"] for c in per_song.values()) * per
    print(
        f"  per song: {writes:g} INSERT/UPDATE statements in {commits:g} transactions, "
        f"besides the heartbeats ({wall * per:.1f} job-seconds per song)"
    )
    print("\nBroker messages per song, by queue:")
    for queue, count in sorted(figures["queues"].items()):
        print(f"  {queue:16s} {count * per:g}")
    print(f"  total            {sum(figures['queues'].values()) * per:g}")
    print("\nStorage per song (objects, bytes):")
    total_bytes = 0.0
    for kind, (count, size) in figures["files"].items():
        print(f"  {kind:9s} {count * per:4g}  {size * per / 1e6:8.2f} MB")
        total_bytes += size * per
    print(f"  total          {total_bytes / 1e6:8.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=3)
    parser.add_argument("--tone", action="store_true", help="the tests' tone engine: quick")
    args = parser.parse_args()
    if args.tone:
        os.environ.setdefault("TONE_SECONDS", "2")
    report(measure(args.songs, args.tone))


if __name__ == "__main__":
    main()
