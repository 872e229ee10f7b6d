"""The jobs table as the distributed queue's outbox (db/dispatch.py) and the queue routing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openchirp.db import dispatch, queue, repo
from openchirp.db.database import Database
from openchirp.db.migrate import upgrade
from openchirp.jobs.routing import broker_priority, worker_queues
from tests.support.server import PgDatabase, pg_available


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgres" and not pg_available():
        pytest.skip("needs PostgreSQL")
    pg = PgDatabase() if request.param == "postgres" else None
    database = Database(pg.url if pg else f"sqlite:///{tmp_path / 'd.db'}")
    upgrade(database)
    yield database
    database.dispose()
    if pg:
        pg.drop()


def sweep(db: Database, grace: float = 0.0) -> list[str]:
    with db.write() as conn:
        found = dispatch.take_undispatched(conn, grace_seconds=grace, redispatch_seconds=600)
    return sorted(d.job_id for d in found)


def test_after_commit_hooks_see_the_jobs_a_transaction_enqueued(db: Database) -> None:
    seen: list[list[tuple]] = []
    db.after_commit.append(seen.append)
    with db.write() as conn:
        render = queue.enqueue(conn, "render", repo.new_id(), engine="composer")
        video = queue.enqueue(conn, "video", repo.new_id())
    with db.write() as conn:  # nothing enqueued: no call
        queue.counts(conn)
    with pytest.raises(RuntimeError), db.write() as conn:  # rolled back: no call
        queue.enqueue(conn, "lyrics", repo.new_id())
        raise RuntimeError
    assert seen == [[(render, "render", "composer", 30), (video, "video", None, 10)]]


def test_a_job_whose_publish_never_happened_is_swept_once(db: Database) -> None:
    with db.write() as conn:  # committed, then the process died before publishing
        job_id = queue.enqueue(conn, "render", repo.new_id(), engine="composer")
    assert sweep(db, grace=60) == []  # still the enqueuer's to publish
    assert sweep(db) == [job_id]
    assert sweep(db) == []  # marked: another sweeper does not publish it again


def test_a_published_job_is_swept_again_only_when_it_is_pending_again(db: Database) -> None:
    with db.write() as conn:
        job_id = queue.enqueue(conn, "render", repo.new_id())
    before = repo.utcnow()
    with db.write() as conn:
        dispatch.mark_dispatched(conn, [job_id], before)
    assert sweep(db) == []
    with db.write() as conn:
        job = dispatch.claim_job(conn, job_id, "w1", 30)
    assert job is not None
    with db.write() as conn:  # a second delivery of the message finds it running
        assert dispatch.claim_job(conn, job_id, "w2", 30) is None
    time.sleep(0.01)
    with db.write() as conn:
        assert queue.fail(conn, job, "boom", max_attempts=3, retry_delay=0) == "pending"
    assert sweep(db) == [job_id]  # the retry needs a message


def test_a_mark_after_the_job_changed_does_not_hide_its_retry(db: Database) -> None:
    with db.write() as conn:
        job_id = queue.enqueue(conn, "render", repo.new_id())
    published_at = repo.utcnow()  # the publisher took its time before sending
    time.sleep(0.01)
    with db.write() as conn:
        job = dispatch.claim_job(conn, job_id, "w1", 30)
    assert job is not None
    with db.write() as conn:
        queue.fail(conn, job, "quick failure", max_attempts=3, retry_delay=0)
    with db.write() as conn:  # the publisher's mark lands only now
        dispatch.mark_dispatched(conn, [job_id], published_at)
    assert sweep(db) == [job_id]


def test_claim_job_takes_only_a_due_pending_job(db: Database) -> None:
    with db.write() as conn:
        job_id = queue.enqueue(conn, "render", repo.new_id())
        job = dispatch.claim_job(conn, job_id, "w1", 30)
    assert job is not None and job.attempts == 1
    with db.write() as conn:
        queue.fail(conn, job, "later", max_attempts=3, retry_delay=60)
        assert dispatch.claim_job(conn, job_id, "w1", 30) is None  # waits out its delay
        assert dispatch.claim_job(conn, "no-such-job", "w1", 30) is None


def test_worker_queues_follow_kinds_and_engines() -> None:
    assert worker_queues(["render"], ["acestep"]) == ["render.acestep"]
    assert worker_queues(["render", "concat", "stems", "video", "lyrics"], ["composer", "x"]) == [
        "render.composer",
        "render.x",
        "concat",
        "media",
        "lyrics",
    ]
    assert dispatch.queue_name("callback", None) == "callback"


def test_broker_priorities_keep_the_order_of_the_database_queue() -> None:
    order = sorted(queue.PRIORITIES, key=queue.PRIORITIES.__getitem__, reverse=True)
    amqp = [broker_priority(queue.PRIORITIES[k], "amqp://x") for k in order]
    redis = [broker_priority(queue.PRIORITIES[k], "redis://x") for k in order]
    assert amqp == sorted(amqp, reverse=True) and len(set(amqp)) == len(
        set(queue.PRIORITIES.values())
    )
    assert redis == sorted(redis) and len(set(redis)) == len(set(amqp))  # Redis: 0 runs first
