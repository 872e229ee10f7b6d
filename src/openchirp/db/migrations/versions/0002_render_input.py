"""typed render input, timeline offset column, engine of a job

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:00:00

Clips get ``render_input`` (what they are made from; jobs read it, not the public metadata) and
``timeline_offset_s`` (where a whole song's plan starts; it was a key inside the plan). Jobs get
``engine``, so a worker limited to some engines claims only their jobs.

Existing rows are brought over here, once: the offset moves out of each plan into its column, and
each clip's render input is derived from its metadata the way the service writes it now. The
derivation is copied into this file on purpose: a migration must not change when the code does.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

clips = sa.table(
    "clips",
    sa.column("id", sa.String),
    sa.column("title", sa.Text),
    sa.column("model", sa.String),
    sa.column("engine", sa.String),
    sa.column("seed", sa.Integer),
    sa.column("meta", sa.JSON),
    sa.column("plan", sa.JSON),
    sa.column("render_input", sa.JSON),
    sa.column("timeline_offset_s", sa.Float),
)
jobs = sa.table(
    "jobs",
    sa.column("kind", sa.String),
    sa.column("subject_id", sa.String),
    sa.column("engine", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("render_input", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("timeline_offset_s", sa.Float(), nullable=True))
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("engine", sa.String(length=200), nullable=True))
    conn = op.get_bind()
    _move_offsets(conn)
    _derive_render_inputs(conn)
    render_clips = sa.select(clips.c.engine).where(clips.c.id == jobs.c.subject_id)
    conn.execute(
        sa.update(jobs).where(jobs.c.kind == "render").values(engine=render_clips.scalar_subquery())
    )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("engine")
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.drop_column("timeline_offset_s")
        batch_op.drop_column("render_input")


def _rows(conn: sa.Connection, query: sa.Select) -> Iterator[Any]:
    """All rows of ``query`` in pages by id (plans are large: never all in memory)."""
    last = ""
    while True:
        page = conn.execute(query.where(clips.c.id > last).order_by(clips.c.id).limit(BATCH)).all()
        if not page:
            return
        yield from page
        last = page[-1].id


def _move_offsets(conn: sa.Connection) -> None:
    holds_offset = sa.cast(clips.c.plan, sa.Text).like('%"timeline_offset_s"%')
    for row in _rows(conn, sa.select(clips.c.id, clips.c.plan).where(holds_offset)):
        plan = dict(row.plan)
        offset = plan.pop("timeline_offset_s", None)
        conn.execute(
            sa.update(clips)
            .where(clips.c.id == row.id)
            .values(plan=plan, timeline_offset_s=None if offset is None else float(offset))
        )


def _derive_render_inputs(conn: sa.Connection) -> None:
    query = sa.select(
        clips.c.id, clips.c.title, clips.c.model, clips.c.engine, clips.c.seed, clips.c.meta
    ).where(clips.c.render_input.is_(None))
    offsets: dict[str, float] = {
        row.id: row.timeline_offset_s
        for row in conn.execute(
            sa.select(clips.c.id, clips.c.timeline_offset_s).where(
                clips.c.timeline_offset_s.is_not(None)
            )
        )
    }
    for row in _rows(conn, query):
        conn.execute(
            sa.update(clips)
            .where(clips.c.id == row.id)
            .values(render_input=_render_input(row, offsets))
        )


def _render_input(row: Any, offsets: dict[str, float]) -> dict[str, Any]:
    meta = row.meta or {}
    history = meta.get("history") or []
    continuation = None
    if history:
        source = history[0]
        point = float(source["continue_at"]) - offsets.get(source["id"], 0.0)
        continuation = {"clip_id": source["id"], "continue_at": point}
    parts = [
        {"clip_id": p["id"], "continue_at": p["continue_at"]}
        for p in meta.get("concat_history") or []
    ]
    stem_of = None
    if meta.get("stem_from_id") and meta.get("stem_type"):
        stem_of = {"clip_id": meta["stem_from_id"], "stem": meta["stem_type"]}
    return {
        "lyrics": meta.get("prompt") or "",
        "tags": meta.get("tags") or "",
        "model": row.model,
        "engine": row.engine,
        "negative_tags": meta.get("negative_tags") or "",
        "title": row.title,
        "instrumental": not meta.get("has_vocal", True),
        "seed": row.seed,
        "continuation": None if parts else continuation,
        "parts": parts,
        "stem_of": stem_of,
    }
