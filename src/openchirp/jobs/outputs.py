"""The last steps every clip-making job shares: store a finished song's files, then complete
the clip in the transaction that ends the job (fenced by its lease)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from openchirp.core import callbacks
from openchirp.core.clip import ClipStatus
from openchirp.core.render_input import render_input_of
from openchirp.db import queue, repo
from openchirp.db.records import Clip
from openchirp.jobs.context import JobContext
from openchirp.media.audio import Mp3StreamWriter, write_wav
from openchirp.media.cover import make_cover
from openchirp.media.waveform import peaks
from openchirp.storage import PEAKS, clip_key

MP3_QUALITY = 7
"""LAME's speed/quality knob: 7 encodes about twice as fast as the default 3 (~180x against
~90x real time on one core, bench/media.py) and at 192 kbps the difference is hard to hear;
the mp3 is a share of every render's time."""
COVER_SIZE = 512
COVER_LARGE_SIZE = 1024


def store_covers(ctx: JobContext, clip: Clip) -> tuple[str, str, bytes]:
    """Both cover jpegs; returns their keys and the small one's bytes (for the mp3's tag)."""
    tags = render_input_of(clip).tags
    small = make_cover(clip.title, tags, clip.id, COVER_SIZE)
    large = make_cover(clip.title, tags, clip.id, COVER_LARGE_SIZE)
    image_key = clip_key(clip.id, "image.jpeg")
    large_key = clip_key(clip.id, "image_large.jpeg")
    ctx.storage.put(image_key, small)
    ctx.storage.put(large_key, large)
    return image_key, large_key, small


def mp3_writer(
    ctx: JobContext, clip: Clip, key: str, *, sample_rate: int, cover: bytes
) -> Mp3StreamWriter:
    with ctx.db.read() as conn:
        owner = repo.get_user(conn, clip.user_id)
    return Mp3StreamWriter(
        ctx.storage.workspace.writable_path(key),
        quality=MP3_QUALITY,
        sample_rate=sample_rate,
        title=clip.title,
        artist=owner.display_name,
        album="OpenChirp",
        cover_jpeg=cover,
    )


def store_song(ctx: JobContext, clip: Clip, pcm: np.ndarray, rate: int) -> dict[str, Any]:
    """Covers, mp3, wav and peaks of audio that exists whole; the clip columns they fill."""
    image_key, large_key, cover = store_covers(ctx, clip)
    audio_key = clip_key(clip.id, f"{clip.id}.mp3")
    wav_key = clip_key(clip.id, f"{clip.id}.wav")
    ctx.check_lease()
    with mp3_writer(ctx, clip, audio_key, sample_rate=rate, cover=cover) as mp3:
        mp3.write(pcm)
    ctx.storage.publish(audio_key)
    write_wav(ctx.storage.workspace.writable_path(wav_key), pcm, rate)
    ctx.storage.publish(wav_key)
    ctx.storage.put(clip_key(clip.id, PEAKS), json.dumps(peaks(pcm)).encode())
    return {
        "audio_key": audio_key,
        "wav_key": wav_key,
        "image_key": image_key,
        "image_large_key": large_key,
    }


def complete_clip(
    ctx: JobContext, duration_s: float, meta: dict[str, Any] | None = None, **columns: Any
) -> None:
    """End the job and mark its clip complete, exactly once; then queue its video."""
    clip_id = ctx.job.subject_id
    with ctx.db.write() as conn:
        ctx.finish(conn)
        row = repo.get_clip(conn, clip_id)
        repo.update_clip(
            conn,
            clip_id,
            status=ClipStatus.COMPLETE,
            meta={**row.meta, **(meta or {}), "duration": round(duration_s, 2)},
            completions=row.completions + 1,
            **columns,
        )
        if ctx.settings.make_video:
            queue.enqueue(conn, "video", clip_id)
        callbacks.stage_reached(conn, ctx.settings, ctx.storage, row.batch_id, "complete")
