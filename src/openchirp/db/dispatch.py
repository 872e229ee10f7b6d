"""The jobs table as an outbox for a distributed queue (jobs/celery_queue.py).

The database stays the source of truth: a broker message only says "job X may be runnable". The
task that receives it claims exactly that row with a lease (fenced as in db/queue.py); a message
for a job that is running, done or failed is acknowledged and dropped. A pending job that has not
been dispatched since it last became pending (new, retried, handed back, its worker lost) is
published by a sweeper, and one dispatched long ago is published again (a lost message), so
neither a crash between commit and publish nor a lost message loses a job; a duplicate is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, or_, select, update

from openchirp.db.queue import Job
from openchirp.db.repo import utcnow
from openchirp.db.tables import jobs

MEDIA_KINDS = ("stems", "video")


def queue_name(kind: str, engine: str | None) -> str:
    """The broker queue of a job: one per engine for renders (``render.composer``), so a GPU
    worker takes only neural renders; videos and stems share ``media``; other kinds their own."""
    if kind == "render":
        return f"render.{engine or 'composer'}"
    return "media" if kind in MEDIA_KINDS else kind


@dataclass(frozen=True)
class Dispatch:
    """What a broker message needs: the job, its kind, engine and priority (routing)."""

    job_id: str
    kind: str
    engine: str | None
    priority: int


def describe(conn: Connection, job_ids: list[str]) -> list[Dispatch]:
    rows = conn.execute(
        select(jobs.c.id, jobs.c.kind, jobs.c.engine, jobs.c.priority).where(jobs.c.id.in_(job_ids))
    ).all()
    return [Dispatch(r.id, r.kind, r.engine, r.priority) for r in rows]


def mark_dispatched(conn: Connection, job_ids: list[str], as_of: datetime) -> None:
    """Record that messages for these jobs went out at ``as_of`` (taken before publishing).

    A job changed since (claimed, maybe already failed back to pending) is left unmarked, so a
    sweeper publishes it again if it is pending: marking it would hide that retry."""
    conn.execute(
        update(jobs)
        .where(and_(jobs.c.id.in_(job_ids), jobs.c.updated_at <= as_of))
        .values(dispatched_at=as_of)
    )


def take_undispatched(
    conn: Connection, *, grace_seconds: float, redispatch_seconds: float, limit: int = 500
) -> list[Dispatch]:
    """Mark and return runnable pending jobs that need a message: never dispatched since they
    last became pending (and older than ``grace_seconds``, leaving fresh ones to the publisher
    that enqueued them), or dispatched more than ``redispatch_seconds`` ago. Marked first, so
    concurrent sweepers do not publish the same job; a crash before the publish is covered by
    ``redispatch_seconds``. Call inside a write transaction."""
    now = utcnow()
    stale = or_(
        jobs.c.dispatched_at.is_(None),
        jobs.c.dispatched_at < jobs.c.updated_at,
        jobs.c.dispatched_at < now - timedelta(seconds=redispatch_seconds),
    )
    query = (
        select(jobs.c.id, jobs.c.kind, jobs.c.engine, jobs.c.priority)
        .where(
            and_(
                jobs.c.state == "pending",
                jobs.c.run_after <= now,
                jobs.c.updated_at < now - timedelta(seconds=grace_seconds),
                stale,
            )
        )
        .order_by(jobs.c.priority.desc(), jobs.c.created_at)
        .limit(limit)
    )
    if conn.dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    found = [Dispatch(r.id, r.kind, r.engine, r.priority) for r in conn.execute(query).all()]
    if found:
        mark_dispatched(conn, [d.job_id for d in found], now)
    return found


def claim_job(conn: Connection, job_id: str, owner: str, lease_seconds: float) -> Job | None:
    """Claim this job if it is pending and due; None otherwise (running elsewhere, finished, or
    waiting out a retry delay: the sweeper publishes it again when due).

    No SKIP LOCKED here: a row briefly locked by a publisher's outbox mark must be waited for,
    not taken as "not ours" (that would drop its message). The UPDATE's own condition on the
    state and attempt count is what makes two deliveries claim it once."""
    now = utcnow()
    row = conn.execute(
        select(jobs.c.kind, jobs.c.subject_id, jobs.c.attempts, jobs.c.priority).where(
            and_(jobs.c.id == job_id, jobs.c.state == "pending", jobs.c.run_after <= now)
        )
    ).first()
    if row is None:
        return None
    taken = conn.execute(
        update(jobs)
        .where(
            and_(jobs.c.id == job_id, jobs.c.state == "pending", jobs.c.attempts == row.attempts)
        )
        .values(
            state="running",
            attempts=row.attempts + 1,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            started_at=now,
            updated_at=now,
        )
    )
    if taken.rowcount != 1:
        return None
    return Job(job_id, row.kind, row.subject_id, row.attempts + 1, owner, row.priority)
