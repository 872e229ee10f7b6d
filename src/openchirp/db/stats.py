"""Figures about the jobs, read from the database, so every API process reports the same ones
whichever worker on whichever machine did the work (/metrics)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Float, and_, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from openchirp.db.tables import clips, jobs


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
