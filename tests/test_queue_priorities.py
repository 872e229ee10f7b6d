"""Job priorities, cooperative preemption and workers limited to some kinds and engines.

In-process on SQLite: the queue and the worker loop, with recording handlers in place of real
ones (what a handler does is tested end to end elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from openchirp.config import Settings
from openchirp.db import queue
from openchirp.db.database import Database
from openchirp.db.migrate import upgrade
from openchirp.db.tables import jobs
from openchirp.jobs import worker as worker_module
from openchirp.jobs.context import JobContext, Preempted
from openchirp.jobs.worker import JobKind, Worker


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, workers=0)


@pytest.fixture
def db(settings: Settings) -> Database:
    database = Database(settings.resolved_database_url)
    upgrade(database)
    return database


def enqueue(db: Database, kind: str, subject: str, engine: str | None = None) -> str:
    with db.write() as conn:
        return queue.enqueue(conn, kind, subject, engine=engine)


def claim(db: Database, allowed: queue.Filter = queue.ANY) -> queue.Job | None:
    with db.write() as conn:
        return queue.claim(conn, "w", 30, allowed)


def state(db: Database, job_id: str) -> tuple[str, int]:
    with db.read() as conn:
        row = conn.execute(select(jobs.c.state, jobs.c.attempts).where(jobs.c.id == job_id)).one()
    return row.state, row.attempts


def test_audio_before_stems_before_videos(db: Database) -> None:
    for n in range(3):
        enqueue(db, "video", f"v{n}")
    enqueue(db, "stems", "s")
    enqueue(db, "render", "a", "composer")
    enqueue(db, "render", "b", "composer")
    enqueue(db, "concat", "c")
    order = [claim(db).subject_id for _ in range(7)]
    assert order == ["a", "b", "c", "s", "v0", "v1", "v2"]


def test_a_video_hands_its_worker_to_a_new_song(db: Database, settings: Settings) -> None:
    enqueue(db, "video", "v")
    video = claim(db)
    ctx = JobContext(settings, db, storage=None, job=video)  # type: ignore[arg-type]
    ctx.yield_if_needed()  # nothing more urgent: carry on
    enqueue(db, "stems", "s")
    ctx._next_check = 0.0
    with pytest.raises(Preempted):
        ctx.yield_if_needed()
    # Cheap: within the check interval it does not even look.
    enqueue(db, "render", "r", "composer")
    ctx.yield_if_needed()
    with db.write() as conn:
        assert queue.release(conn, video)
    assert state(db, video.id) == ("pending", 0)  # the attempt is not counted


def test_no_preemption_when_disabled_or_for_work_it_cannot_take(
    db: Database, settings: Settings
) -> None:
    enqueue(db, "video", "v")
    video = claim(db)
    enqueue(db, "render", "r", "acestep")
    off = JobContext(settings.model_copy(update={"preempt": False}), db, None, video)  # type: ignore[arg-type]
    off.yield_if_needed()
    only_composer = queue.Filter(engines=("composer",))
    JobContext(settings, db, None, video, only_composer).yield_if_needed()  # type: ignore[arg-type]
    with pytest.raises(Preempted):
        JobContext(settings, db, None, video).yield_if_needed()  # type: ignore[arg-type]


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every kind's handler replaced by one that records (kind, subject) and ends the job."""
    seen: list[tuple[str, str]] = []

    def record(ctx: JobContext) -> None:
        seen.append((ctx.job.kind, ctx.job.subject_id))
        with ctx.db.write() as conn:
            ctx.finish(conn)

    for kind, handler in list(worker_module.KINDS.items()):
        monkeypatch.setitem(worker_module.KINDS, kind, JobKind(record, handler.failed))
    return seen


def test_a_limited_worker_leaves_other_jobs_alone(
    db: Database, settings: Settings, ran: list[tuple[str, str]]
) -> None:
    ids = {
        "composer": enqueue(db, "render", "composer-song", "composer"),
        "other": enqueue(db, "render", "other-song", "acestep"),
        "video": enqueue(db, "video", "a-video"),
        "lyrics": enqueue(db, "lyrics", "some-lyrics"),
    }
    limited = Worker(settings, db, name="limited", kinds=("render",), engines=("composer",))
    while limited.run_once():
        pass
    assert ran == [("render", "composer-song")]
    assert state(db, ids["other"])[0] == state(db, ids["video"])[0] == "pending"
    assert state(db, ids["lyrics"])[0] == "pending"
    videos = Worker(settings, db, name="videos", kinds=("video",))
    while videos.run_once():
        pass
    assert ran[1:] == [("video", "a-video")]
    assert state(db, ids["other"])[0] == "pending"


def test_a_limited_worker_loads_only_its_engines(settings: Settings, db: Database) -> None:
    configured = {"composer", "acestep"}
    assert Worker(settings, db).engines_to_load(configured) == configured
    assert Worker(settings, db, engines=("acestep",)).engines_to_load(configured) == {"acestep"}
    named = Worker(settings, db, engines=("tests.support.toy_engine:ToyEngine",))
    assert named.engines_to_load(configured) == {"tests.support.toy_engine:ToyEngine"}
    assert Worker(settings, db, kinds=("video", "stems")).engines_to_load(configured) == set()
    with pytest.raises(ValueError, match="unknown job kinds"):
        Worker(settings, db, kinds=("renders",))


def test_a_worker_hands_a_preempted_job_back_and_takes_the_urgent_one(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def video(ctx: JobContext) -> None:
        seen.append("video")
        enqueue(db, "render", "song", "composer")  # a new song arrives mid-video
        ctx.yield_if_needed()
        raise AssertionError("the video should have been handed back")

    def render(ctx: JobContext) -> None:
        seen.append("render")
        with ctx.db.write() as conn:
            ctx.finish(conn)

    kinds = worker_module.KINDS
    monkeypatch.setitem(kinds, "video", JobKind(video, kinds["video"].failed))
    monkeypatch.setitem(kinds, "render", JobKind(render, kinds["render"].failed))
    video_id = enqueue(db, "video", "v")
    worker = Worker(settings, db, name="w")
    assert worker.run_once() and worker.run_once()
    assert seen == ["video", "render"]
    with db.read() as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == video_id)).one()
    assert (row.state, row.attempts, row.last_error, row.lease_owner) == ("pending", 0, None, None)
