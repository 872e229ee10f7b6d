"""Render one clip: plan with its engine, stream mp3 while the blocks come, store every artefact.

Order matters for clients: the cover exists before the first audio, ``streaming`` is set as soon
as the mp3 has a header on disk, and ``complete`` is written in the same transaction that ends
the job, fenced by the lease, so a clip completes exactly once.
"""

from __future__ import annotations

import json
from contextlib import ExitStack

from openchirp.core import callbacks
from openchirp.core.clip import ClipStatus
from openchirp.core.models import MODELS
from openchirp.core.render_input import RenderInput, render_input_of
from openchirp.db import repo
from openchirp.db.records import Clip
from openchirp.engines.base import Continuation, PlanRequest, Render
from openchirp.engines.registry import load_engine
from openchirp.jobs.context import JobContext, start_clip
from openchirp.jobs.outputs import complete_clip, mp3_writer, store_covers
from openchirp.media.audio import WavWriter
from openchirp.media.waveform import PeakAccumulator
from openchirp.storage import PEAKS, clip_key


def plan_request(ctx: JobContext, clip: Clip, spec: RenderInput) -> PlanRequest:
    continuation = None
    if spec.continuation is not None:
        with ctx.db.read() as conn:
            source = repo.get_clip(conn, spec.continuation.clip_id)
        if source is None or not source.plan:
            raise LookupError(
                f"the source clip {spec.continuation.clip_id} has no plan to continue"
            )
        continuation = Continuation(
            source_plan=source.plan, continue_at=spec.continuation.continue_at
        )
    return PlanRequest(
        lyrics=spec.lyrics,
        tags=spec.tags,
        negative_tags=spec.negative_tags,
        title=spec.title,
        instrumental=spec.instrumental,
        seed=spec.seed,
        variant=clip.variant,
        max_duration_s=MODELS[spec.model].max_duration_s,
        continuation=continuation,
    )


def render_clip(ctx: JobContext) -> None:
    clip = ctx.clip()
    if clip.status in (ClipStatus.COMPLETE, ClipStatus.ERROR):
        with ctx.db.write() as conn:
            ctx.finish(conn)
        return
    start_clip(ctx, clip)
    spec = render_input_of(clip)
    request = plan_request(ctx, clip, spec)
    image_key, large_key, cover = store_covers(ctx, clip)
    render = load_engine(spec.engine, ctx.settings).plan(request)
    keys = stream_audio(ctx, clip, render, cover=cover, image_key=image_key, large_key=large_key)
    complete_clip(
        ctx,
        keys.duration_s,
        meta={"has_vocal": render.has_vocal},
        plan=render.plan,
        words=[[w.word, round(w.start_s, 3), round(w.end_s, 3)] for w in render.words],
        stems=keys.stems,
        wav_key=keys.wav_key,
    )


class StoredAudio:
    def __init__(self, duration_s: float, wav_key: str, stems: dict[str, str]) -> None:
        self.duration_s = duration_s
        self.wav_key = wav_key
        self.stems = stems


def stream_audio(
    ctx: JobContext,
    clip: Clip,
    render: Render,
    *,
    cover: bytes,
    image_key: str,
    large_key: str,
) -> StoredAudio:
    """Pull the render's blocks into the streaming mp3, the wav, the stems and the peaks."""
    audio_key = clip_key(clip.id, f"{clip.id}.mp3")
    wav_key = clip_key(clip.id, f"{clip.id}.wav")
    peaks = PeakAccumulator()
    stem_writers: dict[str, WavWriter] = {}
    stem_keys: dict[str, str] = {}
    with ExitStack() as stack:
        mp3 = stack.enter_context(
            mp3_writer(ctx, clip, audio_key, sample_rate=render.sample_rate, cover=cover)
        )
        wav = stack.enter_context(
            WavWriter(ctx.storage.workspace.writable_path(wav_key), sample_rate=render.sample_rate)
        )
        started = False
        for block in render.blocks():
            ctx.check_lease()
            mp3.write(block.mix)
            wav.write(block.mix)
            peaks.add(block.mix)
            for name, pcm in block.stems.items():
                if name not in stem_writers:
                    stem_keys[name] = clip_key(clip.id, f"stems/{name}.wav")
                    stem_writers[name] = stack.enter_context(
                        WavWriter(
                            ctx.storage.workspace.writable_path(stem_keys[name]),
                            sample_rate=render.sample_rate,
                        )
                    )
                stem_writers[name].write(pcm)
            if not started:
                started = True
                meta = {
                    **clip.meta,
                    "duration": round(render.duration_s, 2),
                    "has_vocal": render.has_vocal,
                }
                ctx.set_clip(
                    status=ClipStatus.STREAMING,
                    audio_key=audio_key,
                    image_key=image_key,
                    image_large_key=large_key,
                    meta=meta,
                )
                with ctx.db.read() as conn:
                    wanted = callbacks.wanted(conn, ctx.settings, clip.batch_id)
                if wanted:
                    with ctx.db.write() as conn:
                        callbacks.stage_reached(
                            conn, ctx.settings, ctx.storage, clip.batch_id, "first"
                        )
        duration = mp3.duration_s
    for key in (audio_key, wav_key, *stem_keys.values()):
        ctx.storage.publish(key)
    ctx.storage.put(clip_key(clip.id, PEAKS), json.dumps(peaks.result()).encode())
    return StoredAudio(duration, wav_key, stem_keys)
