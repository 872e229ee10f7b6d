"""Turn one stem of a finished clip into a clip of its own (Suno's generate_stems)."""

from __future__ import annotations

import json

from openchirp.core.clip import ClipStatus
from openchirp.db import repo
from openchirp.jobs import queue
from openchirp.jobs.context import JobContext
from openchirp.jobs.render import MP3_QUALITY, store_covers
from openchirp.media.audio import Mp3StreamWriter, decode, write_wav
from openchirp.media.waveform import peaks


def stem_clip(ctx: JobContext) -> None:
    clip = ctx.clip()
    name = clip.meta["stem_type"]
    ctx.set_clip(status=ClipStatus.QUEUED)
    with ctx.db.read() as conn:
        source = repo.get_clip(conn, clip.meta["stem_from_id"])
        owner = repo.get_user(conn, clip.user_id)
    if source is None or name not in (source.stems or {}):
        raise LookupError(f"the source clip has no {name} stem")
    pcm, rate = decode(ctx.storage.local_path(source.stems[name]))
    image_key, large_key, cover = store_covers(ctx, clip)
    audio_key = ctx.clip_key(clip.id, f"{clip.id}.mp3")
    wav_key = ctx.clip_key(clip.id, f"{clip.id}.wav")
    ctx.check_lease()
    with Mp3StreamWriter(
        ctx.storage.local_path(audio_key),
        quality=MP3_QUALITY,
        sample_rate=rate,
        title=clip.title,
        artist=owner.display_name,
        album="OpenChirp",
        cover_jpeg=cover,
    ) as mp3:
        mp3.write(pcm)
    write_wav(ctx.storage.local_path(wav_key), pcm, rate)
    ctx.storage.put(ctx.clip_key(clip.id, "peaks.json"), json.dumps(peaks(pcm)).encode())
    with ctx.db.write() as conn:
        ctx.finish(conn)
        row = repo.get_clip(conn, clip.id)
        repo.update_clip(
            conn,
            clip.id,
            status=ClipStatus.COMPLETE,
            meta={**row.meta, "duration": round(len(pcm) / rate, 2)},
            audio_key=audio_key,
            wav_key=wav_key,
            image_key=image_key,
            image_large_key=large_key,
            words=source.words if name == "vocals" else [],
            stems={name: wav_key},
            completions=row.completions + 1,
        )
        if ctx.settings.make_video:
            queue.enqueue(conn, "video", clip.id)
