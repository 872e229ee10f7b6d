"""Write lyrics for a make-lyrics request (sunoapi.com's make-lyrics / get-lyrics)."""

from __future__ import annotations

import secrets

from openchirp.db import repo
from openchirp.db.tables import lyrics
from openchirp.engines.registry import make_lyricist
from openchirp.jobs.context import JobContext


def lyrics_job(ctx: JobContext) -> None:
    lyrics_id = ctx.job.subject_id
    with ctx.db.write() as conn:
        row = conn.execute(lyrics.select().where(lyrics.c.id == lyrics_id)).one()
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


def lyrics_failed(conn, lyrics_id: str, message: str) -> None:  # type: ignore[no-untyped-def]
    repo.update_lyrics(
        conn, lyrics_id, status="error", error_message=message[:1000], ended_at=repo.utcnow()
    )
