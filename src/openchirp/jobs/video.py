"""Make a clip's mp4 after its audio: cover, title, the lyric line in time, a progress visual."""

from __future__ import annotations

from sqlalchemy import Connection

from openchirp.core.render_input import render_input_of
from openchirp.db import repo
from openchirp.engines.base import WordTiming
from openchirp.jobs.context import JobContext
from openchirp.media.lyrics_timing import lines_from_words
from openchirp.storage import clip_key, load_peaks


def video_clip(ctx: JobContext) -> None:
    from openchirp.media.video import make_video

    clip = ctx.clip()
    words = [WordTiming.from_row(w) for w in (clip.words or [])]
    lines = lines_from_words(render_input_of(clip).lyrics, words)
    video_key = clip_key(clip.id, f"{clip.id}.mp4")
    out = ctx.storage.workspace.writable_path(video_key)
    tmp = out.with_name(".tmp-" + out.name)
    make_video(
        # The lossless wav: no mp3 -> AAC generation loss, and it decodes far faster.
        ctx.storage.fetch(clip.wav_key),
        tmp,
        cover_jpeg=ctx.storage.fetch(clip.image_large_key).read_bytes(),
        title=clip.title,
        lyrics_lines=lines,
        duration_s=float(clip.meta["duration"]),
        peaks=load_peaks(ctx.storage, clip.id),
        # Handed back when a song waits (the next try writes tmp afresh).
        checkpoint=ctx.yield_if_needed,
    )
    tmp.replace(out)
    ctx.storage.publish(video_key)
    with ctx.db.write() as conn:
        ctx.finish(conn)
        repo.update_clip(conn, clip.id, video_key=video_key)


def video_failed(conn: Connection, clip_id: str, error_type: str, message: str) -> None:
    """A clip whose video cannot be made stays complete; it just never gets a video."""
    row = repo.get_clip(conn, clip_id)
    if row is not None:
        repo.update_clip(conn, clip_id, meta={**row.meta, "video_error": message[:500]})
