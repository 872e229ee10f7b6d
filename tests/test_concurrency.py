"""Several worker processes on one database: no lost update, no job claimed twice."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from openchirp.db import queue, repo
from openchirp.db.database import Database
from openchirp.db.migrate import upgrade
from openchirp.db.tables import clips, users
from tests.support.server import PgDatabase

PROCESSES = 3
ROUNDS = 200


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'c.db'}"
        return
    pg = PgDatabase()
    yield pg.url
    pg.drop()


def _increment(url: str, user_id: str) -> None:
    db = Database(url)
    for _ in range(ROUNDS):
        with db.write() as conn:
            repo.lock_user(conn, user_id)
            value = conn.execute(select(users.c.monthly_limit).where(users.c.id == user_id))
            current = value.scalar_one()
            conn.execute(
                update(users).where(users.c.id == user_id).values(monthly_limit=current + 1)
            )
    db.dispose()


def test_read_modify_write_from_several_processes_loses_nothing(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db)
    with db.write() as conn:
        user = repo.ensure_user(conn, "counter")
        repo.set_monthly_limit(conn, user.id, 0)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_increment, args=(db_url, user.id)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with db.read() as conn:
        assert repo.get_user(conn, user.id).monthly_limit == PROCESSES * ROUNDS
    db.dispose()


def _claim_all(url: str, name: str, out: mp.Queue) -> None:
    db = Database(url)
    claimed = []
    while True:
        with db.write() as conn:
            job = queue.claim(conn, name, 30)
        if job is None:
            break
        claimed.append(job.id)
        with db.write() as conn:
            assert queue.finish(conn, job)
    out.put(claimed)
    db.dispose()


def test_each_job_is_claimed_by_exactly_one_worker(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db)
    with db.write() as conn:
        ids = {queue.enqueue(conn, "render", repo.new_id()) for _ in range(150)}
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(db_url, f"w{i}", out)) for i in range(3)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    claimed = [job for result in results for job in result]
    assert len(claimed) == len(set(claimed)) == len(ids)
    assert set(claimed) == ids
    db.dispose()


def test_lease_fencing(db_url: str) -> None:
    """A worker whose lease expired and was taken over can neither beat nor finish."""
    db = Database(db_url)
    upgrade(db)
    with db.write() as conn:
        queue.enqueue(conn, "render", "clip-1")
        first = queue.claim(conn, "first", 30)
        # Its lease runs out...
        conn.execute(
            text("UPDATE jobs SET lease_expires_at = :t"), {"t": repo.utcnow().replace(year=2000)}
        )
    with db.write() as conn:
        assert queue.expire_leases(conn, max_attempts=3) == []
        second = queue.claim(conn, "second", 30)
    assert second is not None and second.attempts == 2
    with db.write() as conn:
        assert not queue.heartbeat(conn, first, 30)
        assert not queue.finish(conn, first)
        assert queue.fail(conn, first, "late", max_attempts=3) is None
        assert queue.heartbeat(conn, second, 30)
        assert queue.finish(conn, second)
    with db.read() as conn:
        assert queue.counts(conn) == {"done": 1}
    db.dispose()


def test_expired_job_out_of_attempts_fails(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db)
    with db.write() as conn:
        queue.enqueue(conn, "render", "clip-2")
    for attempt in range(1, 4):
        with db.write() as conn:
            job = queue.claim(conn, f"w{attempt}", 30)
            assert job is not None and job.attempts == attempt
            conn.execute(
                text("UPDATE jobs SET lease_expires_at = :t"),
                {"t": repo.utcnow().replace(year=2000)},
            )
        with db.write() as conn:
            failed = queue.expire_leases(conn, max_attempts=3)
        assert (failed != []) == (attempt == 3)
    assert failed[0][2] == "clip-2"
    with db.write() as conn:
        assert queue.claim(conn, "w4", 30) is None
    db.dispose()


def test_clips_table_exists_after_migration(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db)
    upgrade(db)  # idempotent
    with db.read() as conn:
        assert conn.execute(select(clips.c.id)).all() == []
    db.dispose()
