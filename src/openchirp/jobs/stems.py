"""Turn one stem of a finished clip into a clip of its own (Suno's generate_stems)."""

from __future__ import annotations

from openchirp.core.clip import ClipStatus
from openchirp.db import repo
from openchirp.jobs.context import JobContext
from openchirp.jobs.outputs import complete_clip, store_song
from openchirp.media.audio import decode


def stem_clip(ctx: JobContext) -> None:
    clip = ctx.clip()
    name = clip.meta["stem_type"]
    ctx.set_clip(status=ClipStatus.QUEUED)
    with ctx.db.read() as conn:
        source = repo.get_clip(conn, clip.meta["stem_from_id"])
    if source is None or name not in (source.stems or {}):
        raise LookupError(f"the source clip has no {name} stem")
    pcm, rate = decode(ctx.storage.fetch(source.stems[name]))
    files = store_song(ctx, clip, pcm, rate)
    complete_clip(
        ctx,
        len(pcm) / rate,
        stems={name: files["wav_key"]},
        words=source.words if name == "vocals" else [],
        **files,
    )
