"""Turn one stem of a finished clip into a clip of its own (Suno's generate_stems)."""

from __future__ import annotations

from openchirp.core.render_input import render_input_of
from openchirp.db import repo
from openchirp.jobs.context import JobContext, start_clip
from openchirp.jobs.outputs import complete_clip, store_song
from openchirp.media.audio import decode


def stem_clip(ctx: JobContext) -> None:
    clip = ctx.clip()
    stem_of = render_input_of(clip).stem_of
    if stem_of is None:
        raise LookupError(f"clip {clip.id} is not a stem clip")
    name = stem_of.stem
    ctx.yield_if_needed()  # a song's audio first: this waits if one does
    start_clip(ctx, clip)
    with ctx.db.read() as conn:
        source = repo.get_clip(conn, stem_of.clip_id)
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
