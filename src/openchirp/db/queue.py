"""The durable job queue, kept in the application database.

A worker claims a pending job with a lease (owner + expiry) and heartbeats to extend it. Every
state change of a job is fenced by its owner: a worker whose lease was taken over cannot finish
or fail the job any more, so a clip completes exactly once even across crashes. Expired leases
go back to pending; a job out of attempts fails, and the caller ends its clip in ``error``.

Jobs run by priority, then age: a song's audio before stems, stems before videos, so a new song
never waits behind older songs' videos. A running low-priority job may hand itself back
(:func:`release`) when a higher one waits, without losing an attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, and_, or_, select, update

from openchirp.db.database import ENQUEUED
from openchirp.db.repo import new_id, utcnow
from openchirp.db.tables import jobs

PRIORITIES: dict[str, int] = {
    "lyrics": 40,  # quick, and a client waits on it
    "render": 30,  # a song's audio, and a whole song (concat): what a listener waits for
    "concat": 30,
    "callback": 25,  # a quick post: after audio (a slow receiver must not hold a song back),
    # before stems and videos (which yield to it between chunks)
    "stems": 20,
    "video": 10,
}
"""Higher runs first. Both clips of a create share one priority, so free workers take both; a
worker alone takes both at once (``claim_subjects``, jobs/render.py)."""


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    subject_id: str
    attempts: int
    owner: str
    priority: int = 0


@dataclass(frozen=True)
class Filter:
    """What a worker may claim: some job kinds, and render jobs of some engines (None: any)."""

    kinds: tuple[str, ...] | None = None
    engines: tuple[str, ...] | None = None


ANY = Filter()


def enqueue(conn: Connection, kind: str, subject_id: str, *, engine: str | None = None) -> str:
    """Queue a job at its kind's priority; ``engine``: the engine a render job runs on."""
    now = utcnow()
    job_id = new_id()
    conn.execute(
        jobs.insert().values(
            id=job_id,
            kind=kind,
            subject_id=subject_id,
            state="pending",
            priority=PRIORITIES.get(kind, 0),
            engine=engine,
            attempts=0,
            run_after=now,
            created_at=now,
            updated_at=now,
        )
    )
    enqueued = conn.info.get(ENQUEUED)  # Database.write's after-commit hooks publish these
    if enqueued is not None:
        enqueued.append((job_id, kind, engine, PRIORITIES.get(kind, 0)))
    return job_id


def _runnable(now: datetime, allowed: Filter) -> ColumnElement[bool]:
    condition = and_(jobs.c.state == "pending", jobs.c.run_after <= now)
    if allowed.kinds is not None:
        condition = and_(condition, jobs.c.kind.in_(allowed.kinds))
    if allowed.engines is not None:
        condition = and_(
            condition, or_(jobs.c.engine.is_(None), jobs.c.engine.in_(allowed.engines))
        )
    return condition


def has_runnable(conn: Connection, allowed: Filter = ANY, *, above: int | None = None) -> bool:
    """Whether a job waits (with ``above``: one of a higher priority than that).

    A plain read, so idle workers poll, and busy ones look for work more urgent than theirs,
    without taking the write lock."""
    condition = _runnable(utcnow(), allowed)
    if above is not None:
        condition = and_(condition, jobs.c.priority > above)
    query = select(jobs.c.id).where(condition).limit(1)
    return conn.execute(query).first() is not None


def claim(conn: Connection, owner: str, lease_seconds: float, allowed: Filter = ANY) -> Job | None:
    """Take the most urgent runnable job, oldest first. Call inside a write transaction."""
    now = utcnow()
    query = (
        select(jobs.c.id, jobs.c.kind, jobs.c.subject_id, jobs.c.attempts, jobs.c.priority)
        .where(_runnable(now, allowed))
        .order_by(jobs.c.priority.desc(), jobs.c.created_at)
        .limit(1)
    )
    if conn.dialect.name != "sqlite":
        # SQLite writers are already serialised by BEGIN IMMEDIATE.
        query = query.with_for_update(skip_locked=True)
    row = conn.execute(query).first()
    if row is None:
        return None
    conn.execute(
        update(jobs)
        .where(jobs.c.id == row.id)
        .values(
            state="running",
            attempts=row.attempts + 1,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            started_at=now,
            updated_at=now,
        )
    )
    return Job(row.id, row.kind, row.subject_id, row.attempts + 1, owner, row.priority)


def claim_subjects(
    conn: Connection,
    kind: str,
    subject_ids: list[str],
    owner: str,
    lease_seconds: float,
    allowed: Filter = ANY,
) -> list[Job]:
    """Also take the runnable ``kind`` jobs of these subjects (a render's sibling clips, made
    alongside it by the same worker), each with its own lease. Inside a write transaction."""
    if not subject_ids:
        return []
    now = utcnow()
    query = (
        select(jobs.c.id, jobs.c.kind, jobs.c.subject_id, jobs.c.attempts, jobs.c.priority)
        .where(_runnable(now, allowed), jobs.c.kind == kind, jobs.c.subject_id.in_(subject_ids))
        .order_by(jobs.c.created_at)
    )
    if conn.dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for row in conn.execute(query).all():
        conn.execute(
            update(jobs)
            .where(jobs.c.id == row.id)
            .values(
                state="running",
                attempts=row.attempts + 1,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                started_at=now,
                updated_at=now,
            )
        )
        claimed.append(Job(row.id, row.kind, row.subject_id, row.attempts + 1, owner, row.priority))
    return claimed


def claim_engine_jobs(
    conn: Connection,
    kind: str,
    engine: str,
    limit: int,
    owner: str,
    lease_seconds: float,
    allowed: Filter = ANY,
) -> list[Job]:
    """Also take up to ``limit`` runnable ``kind`` jobs of ``engine``, most urgent and oldest
    first (a batching engine fills its batch). Inside a write transaction."""
    query = (
        select(jobs.c.subject_id)
        .where(_runnable(utcnow(), allowed), jobs.c.kind == kind, jobs.c.engine == engine)
        .order_by(jobs.c.priority.desc(), jobs.c.created_at)
        .limit(limit)
    )
    subjects = [row.subject_id for row in conn.execute(query).all()]
    return claim_subjects(conn, kind, subjects, owner, lease_seconds, allowed)


def _owned(job: Job):  # type: ignore[no-untyped-def]
    return and_(jobs.c.id == job.id, jobs.c.lease_owner == job.owner, jobs.c.state == "running")


def heartbeat(conn: Connection, job: Job, lease_seconds: float) -> bool:
    """Extend the lease; False when the job is no longer ours (stop working on it)."""
    now = utcnow()
    result = conn.execute(
        update(jobs)
        .where(_owned(job))
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
    )
    return result.rowcount == 1


def still_owned(conn: Connection, job: Job) -> bool:
    return conn.execute(select(jobs.c.id).where(_owned(job))).first() is not None


def finish(conn: Connection, job: Job) -> bool:
    result = conn.execute(
        update(jobs)
        .where(_owned(job))
        .values(
            state="done",
            lease_owner=None,
            lease_expires_at=None,
            finished_at=utcnow(),
            updated_at=utcnow(),
        )
    )
    return result.rowcount == 1


def release(conn: Connection, job: Job) -> bool:
    """Hand a running job back to the queue untouched: pending at once, the attempt not
    counted, no error recorded (a more urgent job took its worker)."""
    result = conn.execute(
        update(jobs)
        .where(_owned(job))
        .values(
            state="pending",
            attempts=job.attempts - 1,
            lease_owner=None,
            lease_expires_at=None,
            run_after=utcnow(),
            updated_at=utcnow(),
        )
    )
    return result.rowcount == 1


def fail(
    conn: Connection, job: Job, error: str, *, max_attempts: int, retry_delay: float = 1.0
) -> str | None:
    """Record a failure: back to pending for another try, or ``failed`` when out of attempts.

    Returns the new state, or None when the job was no longer ours.
    """
    now = utcnow()
    final = job.attempts >= max_attempts
    state = "failed" if final else "pending"
    result = conn.execute(
        update(jobs)
        .where(_owned(job))
        .values(
            state=state,
            lease_owner=None,
            lease_expires_at=None,
            last_error=error[:2000],
            run_after=now + timedelta(seconds=0 if final else retry_delay),
            updated_at=now,
        )
    )
    return state if result.rowcount == 1 else None


def expire_leases(
    conn: Connection, *, max_attempts: int, per_kind: Mapping[str, int] | None = None
) -> list[tuple[str, str, str]]:
    """Re-queue running jobs whose lease ran out (their worker died).

    Jobs already out of attempts (``per_kind``'s for their kind, else ``max_attempts``) fail
    instead. Returns (job id, kind, subject id) of the failed
    ones, so the caller can end their clips in ``error``.
    """
    now = utcnow()
    expired = and_(jobs.c.state == "running", jobs.c.lease_expires_at < now)
    query = select(jobs.c.id, jobs.c.kind, jobs.c.subject_id, jobs.c.attempts).where(expired)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    failed: list[tuple[str, str, str]] = []
    for row in conn.execute(query).all():
        out_of_attempts = row.attempts >= (per_kind or {}).get(row.kind, max_attempts)
        conn.execute(
            update(jobs)
            .where(jobs.c.id == row.id)
            .values(
                state="failed" if out_of_attempts else "pending",
                lease_owner=None,
                lease_expires_at=None,
                run_after=now,
                last_error="worker lost (lease expired)",
                updated_at=now,
            )
        )
        if out_of_attempts:
            failed.append((row.id, row.kind, row.subject_id))
    return failed


def counts(conn: Connection) -> dict[str, int]:
    from sqlalchemy import func

    rows = conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state)).all()
    return {state: n for state, n in rows}
