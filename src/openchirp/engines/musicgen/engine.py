"""MusicgenEngine: instrumental clips from a local MusicGen model (transformers).

The model loads once per process when the engine is built (a missing or broken directory is an
error then, at start-up, never at the first song). ``plan`` is instant: it fixes the prompt,
seed and length; the audio is generated when the render's blocks are first asked for, in a
thread, and streamed (see ``generation.py``). ``plan_batch`` is the one way into a batch: the
worker hands it a create's clips and other waiting requests (``jobs/render.py``), and up to
``max_batch`` of them become rows of one batched ``generate`` call; ``plan`` is a batch of one.

An extension is prompted with its source's codes when the source's plan has them (a clip this
engine made with this codec); otherwise with the source's audio, encoded by the model's own
codec when the batch runs (another engine's clip, an uploaded file: ``upload_extend``).

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

from openchirp.engines.base import AudioBlock, EngineError, FailedRender, PlanRequest, WordTiming
from openchirp.engines.musicgen.codec import decode_codes
from openchirp.engines.musicgen.generation import END, Batch, ClipJob, Settings
from openchirp.engines.musicgen.model import Loaded, load
from openchirp.engines.musicgen.prompt import negative_prompt, text_prompt
from openchirp.engines.neural import audio, runtime
from openchirp.engines.neural.runtime import ModelDirError

ENGINE_NAME = "musicgen"
MAX_WINDOW_S = 30.0
SETTLE_S = 1.0
"""Audio encoded before a foreign source's prompt and dropped: the codec's LSTM settles in it."""
JOIN_S = 0.02
"""How long a continuation of re-encoded audio takes to ease from the source's last sample."""
log = logging.getLogger("openchirp.engines.musicgen")


class MusicgenEngine:
    """``MusicgenEngine(model_dir, device="auto", dtype="auto", ...)``.

    ``model_dir``: a MusicGen directory in ``save_pretrained`` layout. ``device``, ``dtype``: as
    for every neural engine (``engines/neural/runtime``: ``auto`` is the first GPU, else the CPU,
    in bfloat16 on a GPU that has it, float32 on a CPU). ``duration_s``: the length
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
    capabilities = frozenset({"generate", "extend", "concat", "upload_extend"})
    """No stems (MusicGen makes one mix) and no voice. Foreign audio is continued (an upload,
    another engine's clip) by encoding it with the model's codec; no covers."""
    wants_source_audio = True
    """A continuation comes with its source's audio: used when the source's plan has no codes
    of this model's codec (its own clips are continued from their codes, exactly)."""

    def __init__(
        self,
        model_dir: str,
        *,
        device: str = "auto",
        dtype: str = "auto",
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
        directory = Path(str(model_dir)).expanduser()
        found = self.problems(
            {"model_dir": model_dir, "device": device, "dtype": dtype, "window_s": window_s}
        )
        if found:
            raise ModelDirError(ENGINE_NAME, directory, found)
        device = runtime.device_name(device)
        self.loaded: Loaded = load(directory, device, runtime.dtype_name(dtype, device))
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
        log.info(
            "musicgen: loaded %s on %s (%d Hz, %d codebooks)",
            model_dir,
            self.loaded.device,
            self.loaded.sampling_rate,
            self.loaded.num_codebooks,
        )

    @property
    def device(self) -> str:
        """Where the model runs (the worker frees its cache and reports its memory)."""
        return self.loaded.device

    @property
    def sample_rate(self) -> int:
        """The codec's rate: every clip's."""
        return self.loaded.sampling_rate

    # -- planning ----------------------------------------------------------------------------

    def plan(self, request: PlanRequest) -> MusicgenRender:
        """One clip, a batch of its own (the worker plans through ``plan_batch``); a request
        that cannot be planned raises here."""
        render = self._render(request)
        self._batch([render])
        return render

    def plan_batch(self, requests: list[PlanRequest]) -> list[MusicgenRender | FailedRender]:
        """One render per request, same order; up to ``max_batch`` of them per generate call
        (started when the first of them is read). A request that cannot be planned gets a render
        that fails alone; the others go on."""
        out: list[MusicgenRender | FailedRender] = []
        for request in requests:
            try:
                out.append(self._render(request))
            except EngineError as exc:
                out.append(FailedRender(exc, self.loaded.sampling_rate))
        renders = [r for r in out if isinstance(r, MusicgenRender)]
        for i in range(0, len(renders), self.max_batch):
            self._batch(renders[i : i + self.max_batch])
        return out

    def _batch(self, renders: list[MusicgenRender]) -> None:
        batch = Batch(self.loaded, self.settings, [r.job for r in renders], self._lock)
        for render in renders:
            render.batch = batch

    @staticmethod
    def problems(options: dict[str, Any]) -> list[str]:
        """What stops an engine with these options from loading, one line each (checked at
        start-up by ``serve`` and ``worker``, without loading the model)."""
        from openchirp.engines.musicgen.check import problems

        return problems(options.get("model_dir"), options)

    def _render(self, request: PlanRequest) -> MusicgenRender:
        if request.max_duration_s <= 0:
            raise EngineError("max_duration_s must be positive")
        loaded = self.loaded
        fr, hop = loaded.frame_rate, loaded.hop_length
        wanted = request.max_duration_s / 4 if self.duration_s is None else self.duration_s
        duration = min(wanted, request.max_duration_s)
        total = max(1, round(duration * fr))
        source: dict[str, Any] | None = None
        if request.continuation is None:
            prompt = text_prompt(request.tags, request.title)
            negative = negative_prompt(request.negative_tags)
            salt, fields = 0, {"context": np.zeros((loaded.num_codebooks, 0), dtype=np.int64)}
        else:
            prompt, negative, salt, fields, source = self._continue(request)
        skip = int(fields.get("skip", 0))
        seed = _clip_seed(request.seed, request.variant, salt)
        job = ClipJob(prompt=prompt, negative=negative, seed=seed, total_frames=total, **fields)
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

    def _continue(
        self, request: PlanRequest
    ) -> tuple[str, str, int, dict[str, Any], dict[str, Any]]:
        """A continuation's (prompt, negative prompt, seed salt, ClipJob fields, plan note).

        The new codes start at the frame holding ``continue_at``; the audio starts at the very
        sample, so a concat joins it to the source exactly where it was cut (an extension's own
        codes begin up to a frame before its audio: ``codes_skip``)."""
        loaded, fr, hop = self.loaded, self.loaded.frame_rate, self.loaded.hop_length
        continuation = request.continuation
        assert continuation is not None
        at = continuation.continue_at
        if at < 0:
            raise ContinuationError("continue_at must not be negative")
        src = continuation.source_plan if isinstance(continuation.source_plan, dict) else {}
        keep = max(self.settings.prompt_frames, fr)  # the prompt and the codec's left context
        own = src.get("engine") == ENGINE_NAME and "codes" in src
        if own and src.get("codec") == loaded.codec:
            codes = decode_codes(src["codes"])
            start = round(at * loaded.sampling_rate) + int(src.get("codes_skip", 0))
            start = min(start, codes.shape[1] * hop)
            cut = start // hop
            fields = {"context": codes[:, max(0, cut - keep) : cut], "skip": start - cut * hop}
            # a continuation keeps its source's sound: its prompt, not the request's tags
            prompt, negative = str(src.get("prompt", "")), str(src.get("negative", ""))
            return prompt, negative, 1 + start, fields, {"continue_at": round(at, 6)}
        if continuation.source_audio is None:
            raise ContinuationError(
                "continuation: the source clip was made by a MusicGen model with another codec "
                "than this server's, and its audio was not given"
                if own
                else "continuation: the source has neither this engine's codes nor audio"
            )
        # Foreign audio (an upload, another engine's clip): its last stretch before the cut,
        # at the model's rate on the frame grid, is encoded by the codec when the batch runs.
        pcm, rate = continuation.source_audio, continuation.source_sample_rate
        sr = loaded.sampling_rate
        start = min(round(at * sr), audio.length_at(pcm, rate, sr))
        cut = start // hop
        first = max(0, cut - keep - round(SETTLE_S * fr))
        fields = {
            "context": np.zeros((loaded.num_codebooks, 0), dtype=np.int64),
            "skip": start - cut * hop,
            "keep": keep,
            "source_pcm": audio.window_at(pcm, rate, sr, first * hop, cut * hop) if cut else None,
        }
        if start:
            last = audio.window_at(pcm, rate, sr, start - 1, start)[0]
            fields["ease"] = audio.Ease(last, round(JOIN_S * sr))
        if own:  # a MusicGen clip of another codec: its description still holds
            prompt, negative = str(src.get("prompt", "")), str(src.get("negative", ""))
        else:  # nothing describes foreign audio but the request: the audio carries its sound
            prompt = text_prompt(request.tags, request.title)
            negative = negative_prompt(request.negative_tags)
        note = {"continue_at": round(at, 6), "from": "audio"}
        return prompt, negative, 1 + start, fields, note


class ContinuationError(EngineError):
    """A clip this engine cannot continue: another try would fail the same way."""

    retry = False


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
        assert self.batch is not None  # every render is given one when it is planned
        self.batch.start()
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
