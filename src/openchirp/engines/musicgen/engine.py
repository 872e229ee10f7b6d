"""MusicgenEngine: instrumental clips from a local MusicGen model (transformers).

The model loads once per process when the engine is built (a missing or broken directory is an
error then, at start-up, never at the first song). ``plan`` is instant: it fixes the prompt,
seed and length; the audio is generated when the render's blocks are first asked for, in a
thread, and streamed (see ``generation.py``). ``plan_batch`` puts several clips (both clips of a
create) into one batched ``generate`` call; clips planned one by one with ``plan`` and not yet
started are batched the same way when the first of them starts, so the two clips of a create
share a call even when the worker plans them separately.

MusicGen makes instrumentals: a request with lyrics is rendered without a voice, the clip says
``has_vocal: false`` and the plan records that the lyrics were not sung.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from openchirp.engines.base import AudioBlock, EngineError, PlanRequest, WordTiming
from openchirp.engines.musicgen.codec import decode_codes
from openchirp.engines.musicgen.generation import END, Batch, ClipJob, Settings
from openchirp.engines.musicgen.model import Loaded, load
from openchirp.engines.musicgen.prompt import negative_prompt, text_prompt

ENGINE_NAME = "musicgen"
MAX_WINDOW_S = 30.0
log = logging.getLogger("openchirp.engines.musicgen")


class MusicgenEngine:
    """``MusicgenEngine(model_dir, device="cpu", dtype="float32", ...)``.

    ``model_dir``: a MusicGen directory in ``save_pretrained`` layout. ``duration_s``: the length
    of a clip (and of an extension's new part), at most the model key's maximum; by default a
    quarter of that maximum (chirp-v3-0: 30 s, v3.5 and v4: 60 s, v4.5 and later: 120 s).
    ``window_s`` (<= 30): the longest stretch one ``generate`` call makes; longer clips continue
    in windows prompted with the last ``prompt_s`` of their codes. ``guidance_scale``,
    ``temperature``, ``top_k``, ``top_p``: sampling (default: the directory's
    generation_config.json).
    ``max_batch``: clips per ``generate`` call. ``block_s``: the length of a streamed block.
    ``simulate_oom_tag``: a batch with a clip whose tags hold it runs out of device memory as a
    GPU would (tests and drills; the worker splits the batch, see jobs/oom.py).
    """

    name = ENGINE_NAME
    capabilities = frozenset({"generate", "extend", "concat"})
    """No stems (MusicGen makes one mix) and no voice; no foreign audio (uploads)."""

    def __init__(
        self,
        model_dir: str,
        *,
        device: str = "cpu",
        dtype: str = "float32",
        duration_s: float | None = None,
        window_s: float = MAX_WINDOW_S,
        prompt_s: float = 10.0,
        guidance_scale: float | None = None,
        temperature: float | None = None,
        top_k: int | None = None,
        top_p: float | None = None,
        max_batch: int = 2,
        block_s: float = 1.0,
        simulate_oom_tag: str | None = None,
    ) -> None:
        if not 0 < window_s <= MAX_WINDOW_S:
            raise ValueError(f"window_s must be more than 0 and at most {MAX_WINDOW_S}")
        if not 0 <= prompt_s < window_s:
            raise ValueError("prompt_s must be at least 0 and less than window_s")
        if (duration_s is not None and duration_s <= 0) or block_s <= 0:
            raise ValueError("duration_s and block_s must be positive")
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.loaded: Loaded = load(model_dir, device, dtype)
        defaults = self.loaded.generation
        fr = self.loaded.frame_rate
        window = round(window_s * fr)
        if window + self.loaded.num_codebooks + 1 > self.loaded.max_positions:
            raise ValueError(
                f"window_s {window_s} is longer than the model's "
                f"{self.loaded.max_positions} positions allow"
            )
        self.settings = Settings(
            guidance_scale=float(
                defaults["guidance_scale"] if guidance_scale is None else guidance_scale
            ),
            temperature=float(defaults["temperature"] if temperature is None else temperature),
            top_k=int(defaults["top_k"] if top_k is None else top_k),
            top_p=float(defaults["top_p"] if top_p is None else top_p),
            window_frames=window,
            prompt_frames=round(prompt_s * fr),
            block_frames=max(1, round(block_s * fr)),
            simulate_oom_tag=(simulate_oom_tag or "").strip().lower() or None,
        )
        self.duration_s = None if duration_s is None else float(duration_s)
        self.max_batch = int(max_batch)
        self.model_dir = str(model_dir)
        self._lock = threading.Lock()  # one generate at a time on this model
        self._waiting: list[weakref.ref[MusicgenRender]] = []
        self._waiting_lock = threading.Lock()
        log.info(
            "musicgen: loaded %s on %s (%d Hz, %d codebooks)",
            model_dir,
            self.loaded.device,
            self.loaded.sampling_rate,
            self.loaded.num_codebooks,
        )

    # -- planning ----------------------------------------------------------------------------

    def plan(self, request: PlanRequest) -> MusicgenRender:
        render = self._render(request)
        with self._waiting_lock:
            self._waiting = [r for r in self._waiting if r() is not None]
            self._waiting.append(weakref.ref(render))
        return render

    def plan_batch(self, requests: list[PlanRequest]) -> list[MusicgenRender | FailedRender]:
        """One render per request, same order; up to ``max_batch`` of them per generate call.
        A request that cannot be planned gets a render that fails alone; the others go on."""
        out: list[MusicgenRender | FailedRender] = []
        for request in requests:
            try:
                out.append(self._render(request))
            except EngineError as exc:
                out.append(FailedRender(exc, self.loaded.sampling_rate))
        renders = [r for r in out if isinstance(r, MusicgenRender)]
        for i in range(0, len(renders), self.max_batch):
            group = renders[i : i + self.max_batch]
            batch = Batch(self.loaded, self.settings, [r.job for r in group], self._lock)
            for render in group:
                render.batch = batch
        return out

    @staticmethod
    def problems(options: dict[str, Any]) -> list[str]:
        """What stops an engine with these options from loading, one line each (checked at
        start-up by ``serve`` and ``worker``, without loading the model)."""
        from openchirp.engines.musicgen.check import problems

        if not options.get("model_dir"):
            return ["model_dir is not set (OPENCHIRP_ENGINE_OPTIONS)"]
        return problems(Path(str(options["model_dir"])), options)

    def _render(self, request: PlanRequest) -> MusicgenRender:
        if request.max_duration_s <= 0:
            raise EngineError("max_duration_s must be positive")
        loaded = self.loaded
        fr, hop = loaded.frame_rate, loaded.hop_length
        wanted = request.max_duration_s / 4 if self.duration_s is None else self.duration_s
        duration = min(wanted, request.max_duration_s)
        total = max(1, round(duration * fr))
        context = np.zeros((loaded.num_codebooks, 0), dtype=np.int64)
        skip = 0
        source: dict[str, Any] | None = None
        if request.continuation is None:
            prompt = text_prompt(request.tags, request.title)
            negative = negative_prompt(request.negative_tags)
            salt = 0
        else:
            src = request.continuation.source_plan
            if not isinstance(src, dict) or src.get("engine") != ENGINE_NAME or "codes" not in src:
                raise ContinuationError("continuation: the source clip was not made by this engine")
            if src.get("codec") != loaded.codec:
                raise ContinuationError(
                    "continuation: the source clip was made by a MusicGen model with another "
                    "codec than this server's"
                )
            at = request.continuation.continue_at
            if at < 0:
                raise ContinuationError("continue_at must not be negative")
            codes = decode_codes(src["codes"])
            # the new codes start at the frame holding continue_at; the audio starts at the
            # very sample, so a concat joins it to the source exactly where it was cut
            # (an extension's own codes begin up to a frame before its audio: codes_skip)
            start = round(at * loaded.sampling_rate) + int(src.get("codes_skip", 0))
            start = min(start, codes.shape[1] * hop)
            cut = start // hop
            skip = start - cut * hop
            keep = max(self.settings.prompt_frames, fr)  # the prompt and the codec's context
            context = codes[:, max(0, cut - keep) : cut]
            # a continuation keeps its source's sound: its prompt, not the request's tags
            prompt, negative = str(src.get("prompt", "")), str(src.get("negative", ""))
            salt = 1 + start
            source = {"continue_at": round(at, 6)}
        seed = _clip_seed(request.seed, request.variant, salt)
        job = ClipJob(
            prompt=prompt,
            negative=negative,
            seed=seed,
            total_frames=total,
            context=context,
            skip=skip,
        )
        duration_s = (total * hop - skip) / loaded.sampling_rate
        plan = {
            "engine": ENGINE_NAME,
            "model": Path(self.model_dir).name,  # the folder's name: no server path in a plan
            "codec": loaded.codec,
            "prompt": prompt,
            "negative": negative,
            "seed": request.seed,
            "variant": request.variant,
            "clip_seed": seed,
            "duration_s": duration_s,
            "codes_skip": skip,
            "sample_rate": loaded.sampling_rate,
            "guidance_scale": self.settings.guidance_scale,
            "window_frames": self.settings.window_frames,
            "prompt_frames": self.settings.prompt_frames,
            "instrumental": True,
            "lyrics_sung": False,
        }
        if request.lyrics.strip() and not request.instrumental:
            plan["lyrics_ignored"] = "MusicGen makes instrumentals: the lyrics were not sung"
        if source is not None:
            plan["continued_from"] = source
        return MusicgenRender(self, job, plan, duration_s)

    def _start(self, render: MusicgenRender) -> None:
        """Start the render's batch; a render planned alone takes the other renders planned
        alone and not started yet (up to ``max_batch``) into its batch."""
        if render.batch is None:
            with self._waiting_lock:
                group = [render]
                alive = []
                for ref in self._waiting:
                    other = ref()
                    if other is None or other is render or other.batch is not None:
                        continue
                    if len(group) < self.max_batch:
                        group.append(other)
                    else:
                        alive.append(ref)
                self._waiting = alive
                batch = Batch(self.loaded, self.settings, [r.job for r in group], self._lock)
                for member in group:
                    member.batch = batch
        assert render.batch is not None
        render.batch.start()


class ContinuationError(EngineError):
    """A clip this engine cannot continue: another try would fail the same way."""

    retry = False


class FailedRender:
    """A clip of a batch that could not be planned: its blocks raise why, the others go on."""

    has_vocal = False
    duration_s = 0.0

    def __init__(self, error: Exception, sample_rate: int) -> None:
        self.error = error
        self.sample_rate = sample_rate
        self.words: list[WordTiming] = []
        self.plan: dict[str, Any] = {}

    def blocks(self) -> Iterator[AudioBlock]:
        raise self.error
        yield  # a generator: the error comes with the first block, as a render's would


class MusicgenRender:
    """One planned clip; its audio is made (with its batch's) once blocks are asked for."""

    has_vocal = False

    def __init__(
        self, engine: MusicgenEngine, job: ClipJob, plan: dict[str, Any], duration_s: float
    ) -> None:
        self.engine = engine
        self.job = job
        self._plan = plan
        self.duration_s = duration_s
        self.sample_rate = engine.loaded.sampling_rate
        self.words: list[WordTiming] = []
        self.batch: Batch | None = None
        # a render dropped without reading its blocks lets its batch stop early
        weakref.finalize(self, _abandon, job)

    @property
    def plan(self) -> dict[str, Any]:
        """The plan; once the audio is made it also holds the clip's codes (what an extension
        is prompted with: about 530 bytes a second of audio for 4 codebooks)."""
        if self.job.done:
            return {**self._plan, "codes": self.job.codes_json()}
        return dict(self._plan)

    def blocks(self) -> Iterator[AudioBlock]:
        self.engine._start(self)
        finished = False
        try:
            while True:
                item = self._next()
                if item is END:
                    finished = True
                    self.job.done = True
                    return
                if isinstance(item, BaseException):
                    finished = True
                    raise item
                yield AudioBlock(mix=item)
        finally:
            if not finished:
                self.job.cancelled = True

    def _next(self) -> Any:
        """The next item from the batch's thread; never waits on a thread that has ended."""
        while True:
            try:
                return self.job.out.get(timeout=1.0)
            except queue.Empty:
                if self.batch is not None and not self.batch.alive and self.job.out.empty():
                    raise EngineError("the generation thread ended without its audio") from None


def _abandon(job: ClipJob) -> None:
    if not job.done:
        job.cancelled = True


def _clip_seed(seed: int, variant: int, salt: int) -> int:
    """A 32-bit seed per clip: the request's seed, the clip's place in its batch, and where a
    continuation starts, so the two clips differ and an extension does not replay its source."""
    state = np.random.SeedSequence([seed & 0xFFFFFFFFFFFFFFFF, variant, salt])
    return int(state.generate_state(1, dtype=np.uint32)[0])
