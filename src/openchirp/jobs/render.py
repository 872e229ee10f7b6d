"""Render a clip: plan with its engine, stream mp3 while the blocks come, store every artefact.

A render job also takes its batch's other waiting render jobs and renders them interleaved, so
both clips of a create progress together; each clip completes in the transaction that ends its
own job, fenced by that job's lease, so a clip completes exactly once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from openchirp.core import callbacks
from openchirp.core.clip import ClipStatus
from openchirp.core.models import MODELS
from openchirp.core.render_input import RenderInput, audio_key_of, is_upload, render_input_of
from openchirp.db import queue, repo
from openchirp.db.records import Clip
from openchirp.engines.base import SAMPLE_RATE, AudioBlock, Continuation, PlanRequest, Render
from openchirp.engines.registry import load_engine
from openchirp.jobs import device
from openchirp.jobs.context import JobContext, LeaseLost, end_clip_in_error, start_clip
from openchirp.jobs.failures import classify
from openchirp.jobs.oom import plan_fitting
from openchirp.jobs.outputs import complete_clip, mp3_writer, store_covers
from openchirp.jobs.sources import audio_of, cover_of
from openchirp.media.audio import WavWriter
from openchirp.media.waveform import PeakAccumulator
from openchirp.storage import PEAKS, clip_key

log = logging.getLogger("openchirp.worker")


def plan_request(
    ctx: JobContext, clip: Clip, spec: RenderInput, source_audio: bool = False
) -> PlanRequest:
    """``source_audio``: the engine continues audio (a neural model), not only a plan."""
    continuation = None
    if spec.continuation is not None:
        with ctx.db.read() as conn:
            source = repo.get_clip(conn, spec.continuation.clip_id)
        if source is None or not (source.plan or is_upload(source)):
            raise LookupError(
                f"the source clip {spec.continuation.clip_id} has no plan to continue"
            )
        audio, rate = None, SAMPLE_RATE
        if source_audio and audio_key_of(source):
            audio, rate = audio_of(ctx, source)
            # A whole song's audio starts before its last part's plan: on the plan's timeline.
            audio = audio[round((source.timeline_offset_s or 0.0) * rate) :]
        continuation = Continuation(
            source_plan=source.plan or {},  # an upload has none
            continue_at=spec.continuation.continue_at,
            source_audio=audio,
            source_sample_rate=rate,
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
        cover=cover_of(ctx, spec.cover_of) if spec.cover_of is not None else None,
    )


def render_clip(ctx: JobContext) -> None:
    """Render the job's clip and, interleaved block by block, its batch's clips that still wait:
    both clips of a create stream together even on one worker (clients read clip 1 while polling
    for clip 0), each at half the speed, which the engines' 100x real time affords."""
    clip = ctx.clip()
    if clip.status in (ClipStatus.COMPLETE, ClipStatus.ERROR):
        with ctx.db.write() as conn:
            ctx.finish(conn)
        return
    engine_name = render_input_of(clip).engine
    engine = load_engine(engine_name, ctx.settings)
    if hasattr(engine, "plan_batch"):
        render_batch(ctx, clip, engine, engine_name)
        return
    main = ClipRender(ctx, clip)
    began = time.monotonic()
    try:
        main.step()  # the plan and covers; meanwhile an idle worker may take the sibling
    except BaseException:
        main.close()
        raise
    # An idle worker gets a poll to take it first: two workers make the pair sooner than one.
    time.sleep(
        max(0.0, SIBLING_GRACE_POLLS * ctx.settings.poll_seconds - (time.monotonic() - began))
    )
    siblings = [ClipRender(c, c.clip()) for c in claim_siblings(ctx, clip)]
    for sibling in siblings:  # planned before any block, so they start streaming together
        _step(sibling, ctx)
    _drain(ctx, [main, *siblings])


def _drain(ctx: JobContext, renders: list[ClipRender]) -> None:
    """Write the renders' blocks interleaved until all are done; then raise the job's own
    failure, if it had one (the worker records it once the others are done)."""
    failure = _drain_all(ctx, renders)
    if failure is not None:
        raise failure


def _drain_all(ctx: JobContext, renders: list[ClipRender]) -> Exception | None:
    """Write the renders' blocks interleaved until all are done; the job's own failure."""
    # Later clips write first: a client that sees clip 0 streaming finds clip 1 streaming too.
    active = sorted(renders, key=lambda r: -r.clip.variant)
    failure: Exception | None = None
    while active:
        for render in list(active):
            more, error = _step(render, ctx)
            if not more:
                active.remove(render)
            failure = failure or error
    return failure


SIBLING_GRACE_POLLS = 2


def render_batch(ctx: JobContext, clip: Clip, engine: Any, engine_name: str) -> None:
    """A batching engine (a model on a GPU): the clip, its batch's waiting clips and up to the
    engine's ``max_batch`` waiting renders of the same engine, planned in one ``plan_batch``
    call, then written interleaved. Each clip still completes (or fails) in its own job.

    Pipelined (``render_pipeline``): while a batch's model call runs, the next waiting renders
    are claimed and their call queued behind it, so the device goes from one to the next while
    this thread writes the first batch's files (mp3, wav, peaks, publishing) and draws the next
    covers: it waits for no encoder. Those jobs are this one's
    companions (the worker keeps their leases alive) and each completes in its own fenced
    transaction, as before; after a crash their leases expire and they run again. At most
    ``MAX_CHAINED`` batches a job, then the worker's loop has its turn."""
    limit = max(1, int(getattr(engine, "max_batch", 1)))
    companions = claim_siblings(ctx, clip)
    if len(companions) + 1 < limit:
        companions += claim_more(ctx, engine_name, limit - 1 - len(companions))
    renders = [ClipRender(ctx, clip), *(ClipRender(c, c.clip()) for c in companions)]
    failures: list[Exception | None] = []
    # The model runs in this pool's thread while this one draws covers and writes files.
    with ThreadPoolExecutor(1, thread_name_prefix=f"{engine_name}-batch") as pool:
        batch: ModelBatch | None = ModelBatch(ctx, engine, engine_name, renders)
        follow: ModelBatch | None = None
        chained = 1
        try:
            while batch is not None:
                if not batch.started:
                    failures.append(batch.start(pool))
                batch.store_covers()
                if ctx.settings.render_pipeline and chained < MAX_CHAINED:
                    # Queued behind this batch's model call: the device goes straight on.
                    follow = next_batch(ctx, engine, engine_name, limit)
                    if follow is not None:
                        follow.start(pool)  # companions only: no failure of this job's own
                        chained += 1
                failures.append(batch.planned())
                failures.append(batch.drain())
                batch, follow = follow, None
        except BaseException:
            if batch is not None:
                batch.close()
            if follow is not None:
                follow.hand_back()
            raise
    failure = next((f for f in failures if f is not None), None)
    if failure is not None:
        raise failure


MAX_CHAINED = 8
"""Batches one render job runs back to back (pipelined) before it returns to the worker."""


def next_batch(ctx: JobContext, engine: Any, engine_name: str, limit: int) -> ModelBatch | None:
    """The engine's waiting renders, claimed as this job's companions; None when none wait."""
    claimed = claim_more(ctx, engine_name, limit)
    if not claimed:
        return None
    return ModelBatch(ctx, engine, engine_name, [ClipRender(c, c.clip()) for c in claimed])


class ModelBatch:
    """One ``plan_batch`` call's clips: begun, planned in the pool's thread (out of memory
    splits the call, see jobs/oom.py) while their covers are drawn, then written interleaved.

    A clip's failure is recorded against its own job; the running job's (``ctx``) own failure
    is returned by ``start``, ``planned`` and ``drain``, for it to raise once all is written."""

    def __init__(
        self, ctx: JobContext, engine: Any, engine_name: str, renders: list[ClipRender]
    ) -> None:
        self.ctx, self.engine, self.engine_name = ctx, engine, engine_name
        self.renders = renders
        self.ready: list[ClipRender] = []
        self.started = False
        self._planning: Future[list[Any]] | None = None
        self._own: Exception | None = None
        """The running job's own failure, met before ``planned`` returns it."""

    def start(self, pool: ThreadPoolExecutor) -> Exception | None:
        """Mark the clips started and submit the model call."""
        self.started = True
        failure: Exception | None = None
        requests: list[PlanRequest] = []
        for render in self.renders:
            if render._done:  # made meanwhile (a retried sibling): just end its job
                _step(render, self.ctx)
                continue
            try:
                request = render.begin()
            except Exception as exc:  # noqa: BLE001 - recorded against that clip's own job
                failure = failure or _failed(render, self.ctx, exc)
                continue
            self.ready.append(render)
            requests.append(request)
        self._planning = pool.submit(plan_fitting, self.engine, self.engine_name, requests)
        return failure

    def store_covers(self) -> None:
        """The covers, while the model runs (a GPU waits for no cover)."""
        for render in self._live():
            try:
                render.store_covers()
            except Exception as exc:  # noqa: BLE001 - recorded against that clip's own job
                self._own = self._own or _failed(render, self.ctx, exc)

    def planned(self) -> Exception | None:
        """Wait for the model, then open each clip's files for its render. A failed model
        call fails every clip: the running job's is raised at once, as the worker records it."""
        assert self._planning is not None
        failure, self._own = self._own, None
        try:
            results = self._planning.result()
        except Exception as exc:
            for render in self._live():
                if render.ctx is not self.ctx:
                    _failed(render, self.ctx, exc)
            if any(r.ctx is self.ctx and not r.failed for r in self.ready):
                raise
            return failure
        for render, result in zip(self.ready, results, strict=True):
            if render.failed:
                continue
            try:
                render.attach(result)
            except Exception as exc:  # noqa: BLE001 - recorded against that clip's own job
                failure = failure or _failed(render, self.ctx, exc)
        log.info("%s: %d clip(s) planned in one batch", self.engine_name, len(self.ready))
        device.report(self.ctx.db, self.ctx.job.owner, self.engine_name, self.engine)
        return failure

    def drain(self) -> Exception | None:
        """Write every clip's blocks, interleaved, to the end."""
        try:
            return _drain_all(self.ctx, self._live())
        finally:
            self.close()

    def close(self) -> None:
        for render in self.renders:
            render.close()

    def hand_back(self) -> None:
        """A batch claimed ahead and never written (the job is unwinding): its jobs go back to
        the queue for another try, their model call's results dropped."""
        self.close()
        if self._planning is not None:
            self._planning.cancel()
        with self.ctx.db.write() as conn:
            for render in self.renders:
                if not render._done:
                    queue.release(conn, render.ctx.job)

    def _live(self) -> list[ClipRender]:
        return [r for r in self.ready if not r.failed]


def _failed(render: ClipRender, ctx: JobContext, exc: Exception) -> Exception | None:
    """A render that failed before its blocks: the job's own failure (to raise), or a
    companion's, recorded against its job now."""
    render.failed = True
    render.close()
    if render.ctx is ctx:
        return exc
    companion_failed(render.ctx, exc)
    return None


def claim_more(ctx: JobContext, engine: str, limit: int) -> list[JobContext]:
    """Claim up to ``limit`` more waiting render jobs of ``engine`` (any batch), oldest first."""
    if limit <= 0:
        return []
    with ctx.db.write() as conn:
        jobs = queue.claim_engine_jobs(
            conn, "render", engine, limit, ctx.job.owner, ctx.settings.lease_seconds, ctx.allowed
        )
    return [ctx.companion(job) for job in jobs]


def _step(render: ClipRender, ctx: JobContext) -> tuple[bool, Exception | None]:
    """Advance one render: (whether it has more to do, the job's own failure to raise later).
    A sibling's failure is recorded against its own job here."""
    if render.failed:
        return False, None
    try:
        return render.step(), None
    except Exception as exc:  # noqa: BLE001 - recorded against that clip's own job
        render.failed = True
        render.close()
        if render.ctx is ctx:
            return False, exc
        companion_failed(render.ctx, exc)
        return False, None


def claim_siblings(ctx: JobContext, clip: Clip) -> list[JobContext]:
    """Claim the waiting render jobs of the clip's batch for this worker."""
    if clip.batch_id is None:
        return []
    with ctx.db.write() as conn:
        others = [c.id for c in repo.clips_of_batch(conn, clip.batch_id) if c.id != clip.id]
        jobs = queue.claim_subjects(
            conn, "render", others, ctx.job.owner, ctx.settings.lease_seconds, ctx.allowed
        )
    return [ctx.companion(job) for job in jobs]


def companion_failed(ctx: JobContext, exc: Exception) -> None:
    """Record a sibling's failure as the worker records a job's: another try, or the clip ends
    in error once out of attempts. A lost lease is another worker's business."""
    if isinstance(exc, LeaseLost):
        return
    failure = classify(exc)  # clients get its short message; the details stay in last_error
    ctx.storage.workspace.discard(clip_key(ctx.job.subject_id, ""))  # its partial files
    log.error("job %s (render, alongside another) failed: %s", ctx.job.id, failure.detail)
    attempts = ctx.settings.max_attempts if failure.retry else ctx.job.attempts
    with ctx.db.write() as conn:
        state = queue.fail(conn, ctx.job, failure.detail, max_attempts=attempts)
        if state == "failed":
            end_clip_in_error(conn, ctx.job.subject_id, failure.error_type, failure.message)


class ClipRender:
    """One clip's render, advanced a block at a time (``step``), so that several interleave.

    Order matters for clients: the cover exists before the first audio, ``streaming`` is set as
    soon as the mp3 has a header on disk, and ``complete`` is written in the transaction that
    ends the job, fenced by its lease."""

    def __init__(self, ctx: JobContext, clip: Clip) -> None:
        self.ctx = ctx
        self.clip = clip
        self._stack = ExitStack()
        self._blocks: Iterator[AudioBlock] | None = None
        self._done = clip.status in (ClipStatus.COMPLETE, ClipStatus.ERROR)
        self.failed = False

    def step(self) -> bool:
        """Do the next piece of work; False once the clip is complete (or was already)."""
        if self._done:
            if self._blocks is None:  # finished before we started: just end its job
                with self.ctx.db.write() as conn:
                    self.ctx.finish(conn)
                self._blocks = iter(())
            return False
        if self._blocks is None:
            self._start()
            return True
        block = next(self._blocks, None)
        if block is None:
            self._finish()
            self._done = True
            return False
        self._write(block)
        return True

    def close(self) -> None:
        self._stack.close()

    def _start(self) -> None:
        request = self.begin()
        self.store_covers()
        self.attach(load_engine(render_input_of(self.clip).engine, self.ctx.settings).plan(request))

    def begin(self) -> PlanRequest:
        """Mark the clip started; the request to plan it with."""
        ctx, clip = self.ctx, self.clip
        start_clip(ctx, clip)  # never back to queued for a poller
        spec = render_input_of(clip)
        engine = load_engine(spec.engine, ctx.settings)
        return plan_request(ctx, clip, spec, getattr(engine, "wants_source_audio", False))

    def store_covers(self) -> None:
        """The cover art, before any audio (clients show it while the song streams)."""
        self.image_key, self.large_key, self._cover = store_covers(self.ctx, self.clip)

    def attach(self, render: Render) -> None:
        """Open the clip's files for the render's blocks."""
        ctx, clip, cover = self.ctx, self.clip, self._cover
        self.render = render
        rate = self.render.sample_rate
        self.audio_key = clip_key(clip.id, f"{clip.id}.mp3")
        self.wav_key = clip_key(clip.id, f"{clip.id}.wav")
        self.peaks = PeakAccumulator()
        self.stem_writers: dict[str, WavWriter] = {}
        self.stem_keys: dict[str, str] = {}
        self.mp3 = self._stack.enter_context(
            mp3_writer(ctx, clip, self.audio_key, sample_rate=rate, cover=cover)
        )
        self.wav = self._stack.enter_context(
            WavWriter(ctx.storage.workspace.writable_path(self.wav_key), sample_rate=rate)
        )
        self.started = False
        self._blocks = iter(self.render.blocks())

    def _write(self, block: AudioBlock) -> None:
        ctx, clip, render = self.ctx, self.clip, self.render
        ctx.check_lease()
        self.mp3.write(block.mix)
        self.wav.write(block.mix)
        self.peaks.add(block.mix)
        for name, pcm in block.stems.items():
            if name not in self.stem_writers:
                self.stem_keys[name] = clip_key(clip.id, f"stems/{name}.wav")
                self.stem_writers[name] = self._stack.enter_context(
                    WavWriter(
                        ctx.storage.workspace.writable_path(self.stem_keys[name]),
                        sample_rate=render.sample_rate,
                    )
                )
            self.stem_writers[name].write(pcm)
        if not self.started:
            self.started = True
            meta = {
                **clip.meta,
                "duration": round(render.duration_s, 2),
                "has_vocal": render.has_vocal,
            }
            ctx.set_clip(
                status=ClipStatus.STREAMING,
                audio_key=self.audio_key,
                image_key=self.image_key,
                image_large_key=self.large_key,
                meta=meta,
            )
            with ctx.db.read() as conn:
                wanted = callbacks.wanted(conn, ctx.settings, clip.batch_id)
            if wanted:
                with ctx.db.write() as conn:
                    callbacks.stage_reached(conn, ctx.settings, ctx.storage, clip.batch_id, "first")

    def _finish(self) -> None:
        ctx, clip, render = self.ctx, self.clip, self.render
        duration = self.mp3.duration_s
        self._stack.close()  # the mp3's last frames and the wav headers are written here
        for key in (self.audio_key, self.wav_key, *self.stem_keys.values()):
            ctx.storage.publish(key)
        ctx.storage.put(clip_key(clip.id, PEAKS), json.dumps(self.peaks.result()).encode())
        complete_clip(
            ctx,
            duration,
            meta={"has_vocal": render.has_vocal},
            plan=render.plan,
            words=[w.to_row() for w in render.words],
            stems=self.stem_keys,
            wav_key=self.wav_key,
        )
