"""The audio a job reads from other clips: an engine's clip (its wav) or an upload (its own
file, in whatever format and rate the user sent)."""

from __future__ import annotations

import numpy as np

from openchirp.core.render_input import CoverOf, audio_key_of
from openchirp.db import repo
from openchirp.db.records import Clip
from openchirp.engines.base import Cover
from openchirp.jobs.context import JobContext
from openchirp.media.audio import decode


def audio_of(ctx: JobContext, clip: Clip) -> tuple[np.ndarray, int]:
    """A complete clip's audio, float32 (frames, 2), and its sample rate."""
    key = audio_key_of(clip)
    if key is None:
        raise LookupError(f"the clip {clip.id} has no audio to read")
    return decode(ctx.storage.fetch(key))


def cover_of(ctx: JobContext, cover: CoverOf) -> Cover:
    """What an engine covers: the source clip's whole audio (the engine trims it to its
    longest)."""
    with ctx.db.read() as conn:
        clip = repo.get_clip(conn, cover.clip_id)
    if clip is None:
        raise LookupError(f"the clip {cover.clip_id} to cover is gone")
    audio, rate = audio_of(ctx, clip)
    return Cover(audio=audio, sample_rate=rate, source_id=clip.id, strength=cover.strength)
