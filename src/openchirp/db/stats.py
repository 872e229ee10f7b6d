"""Figures about the jobs, read from the database, so every API process reports the same ones
whichever worker on whichever machine did the work (/metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, Float, and_, case, cast, delete, func, select
from sqlalchemy.sql.elements import ColumnElement

from openchirp.db.repo import utcnow
from openchirp.db.tables import clips, device_memory, jobs

DEVICE_MEMORY_STALE_S = 600.0
"""A worker's device memory older than this is left out (the worker died without a word)."""


@dataclass(frozen=True)
class KindCounts:
    started: int
    """Attempts begun (a retried job counts each attempt)."""
    completed: int
    failed: int
    """Jobs out of attempts."""


@dataclass(frozen=True)
class EngineRenders:
    renders: int
    render_seconds: float
    audio_seconds: float


def pending_by_kind(conn: Connection) -> dict[tuple[str, str | None], int]:
    """(kind, engine) -> pending jobs."""
    rows = conn.execute(
        select(jobs.c.kind, jobs.c.engine, func.count())
        .where(jobs.c.state == "pending")
        .group_by(jobs.c.kind, jobs.c.engine)
    ).all()
    return {(kind, engine): n for kind, engine, n in rows}


def by_kind(conn: Connection) -> dict[str, KindCounts]:
    rows = conn.execute(
        select(
            jobs.c.kind,
            func.coalesce(func.sum(jobs.c.attempts), 0),
            func.count(case((jobs.c.state == "done", 1))),
            func.count(case((jobs.c.state == "failed", 1))),
        ).group_by(jobs.c.kind)
    ).all()
    return {kind: KindCounts(int(s), int(c), int(f)) for kind, s, c, f in rows}


def _seconds_between(conn: Connection) -> ColumnElement[float]:
    if conn.dialect.name == "sqlite":
        return (func.julianday(jobs.c.finished_at) - func.julianday(jobs.c.started_at)) * 86400.0
    return func.extract("epoch", jobs.c.finished_at - jobs.c.started_at)


def renders_by_engine(conn: Connection) -> dict[str, EngineRenders]:
    """Finished renders per engine: how many, their last attempt's seconds, their audio seconds."""
    rows = conn.execute(
        select(
            jobs.c.engine,
            func.count(),
            func.coalesce(func.sum(cast(_seconds_between(conn), Float)), 0.0),
            func.coalesce(func.sum(clips.c.meta["duration"].as_float()), 0.0),
        )
        .select_from(jobs.join(clips, clips.c.id == jobs.c.subject_id))
        .where(
            and_(
                jobs.c.kind == "render",
                jobs.c.state == "done",
                jobs.c.started_at.is_not(None),
                jobs.c.finished_at.is_not(None),
            )
        )
        .group_by(jobs.c.engine)
    ).all()
    return {
        engine or "": EngineRenders(int(n), float(secs), float(audio))
        for engine, n, secs, audio in rows
    }


def record_device_memory(
    conn: Connection, worker: str, engine: str, figures: dict[str, float]
) -> None:
    """A worker's device memory for one engine, in bytes per kind: replaces what it said before."""
    now = utcnow()
    conn.execute(
        delete(device_memory).where(
            and_(device_memory.c.worker == worker, device_memory.c.engine == engine)
        )
    )
    if figures:
        conn.execute(
            device_memory.insert(),
            [
                {"worker": worker, "engine": engine, "kind": k, "bytes": v, "updated_at": now}
                for k, v in figures.items()
            ],
        )


def forget_device_memory(conn: Connection, worker: str) -> None:
    """A worker that stops takes its figures with it."""
    conn.execute(delete(device_memory).where(device_memory.c.worker == worker))


def device_memory_by_worker(conn: Connection) -> dict[tuple[str, str, str], float]:
    """(worker, engine, kind) -> bytes, from workers heard from lately."""
    since = utcnow() - timedelta(seconds=DEVICE_MEMORY_STALE_S)
    rows = conn.execute(
        select(
            device_memory.c.worker,
            device_memory.c.engine,
            device_memory.c.kind,
            device_memory.c.bytes,
        ).where(device_memory.c.updated_at >= since)
    ).all()
    return {(w, e, k): float(b) for w, e, k, b in rows}
