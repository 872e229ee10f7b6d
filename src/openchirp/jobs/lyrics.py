"""Write lyrics for a make-lyrics request (sunoapi.com's make-lyrics / get-lyrics)."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection

from openchirp.db import repo
from openchirp.engines.registry import make_lyricist
from openchirp.jobs.context import JobContext


def lyrics_job(ctx: JobContext) -> None:
    lyrics_id = ctx.job.subject_id
    with ctx.db.write() as conn:
        row = repo.get_lyrics(conn, lyrics_id)
        repo.update_lyrics(conn, lyrics_id, status="running", started_at=repo.utcnow())
    song = make_lyricist(ctx.settings).write(row.input, seed=secrets.randbits(31))
    with ctx.db.write() as conn:
        ctx.finish(conn)
        repo.update_lyrics(
            conn,
            lyrics_id,
            status="complete",
            title=song.title,
            text=song.lyrics,
            tags=song.tags,
            ended_at=repo.utcnow(),
        )


def lyrics_failed(conn: Connection, lyrics_id: str, error_type: str, message: str) -> None:
    repo.update_lyrics(
        conn, lyrics_id, status="error", error_message=message[:1000], ended_at=repo.utcnow()
    )
