"""The ``acestep`` engine: songs with vocals from lyrics and tags, 48 kHz stereo, by ACE-Step
1.5 through diffusers' ``AceStepPipeline`` loaded once from a local folder.

A batch of requests is one pipeline call per shape (both clips of a create: one call, a
generator per clip with its own seed). An extension repaints past the end of the source's last
``context_s`` seconds: the model hears the source and continues it, and the new clip holds only
the new part, its first samples eased onto the source's last one so the join has no step. The
source may be audio a user uploaded (sunoapi.org's upload-extend): it has no plan, so the new
part takes the request's tags. A cover (upload-cover) is the pipeline's ``cover`` task on the
uploaded audio: its melody and form through the model's audio tokenizer, the request's style and
lyrics; the new clip is as long as the audio, up to the model's longest.

This module imports torch only when an engine is built: the class (capabilities, checks) is
readable without the ``neural`` extra.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from openchirp.engines.base import AudioBlock, EngineError, FailedRender, PlanRequest, WordTiming
from openchirp.engines.neural import runtime, words
from openchirp.engines.neural.audio import ease_onto, resample
from openchirp.engines.neural.runtime import ModelDirError

log = logging.getLogger("openchirp.engines.acestep")

NAME = "acestep"
SAMPLE_RATE = 48_000
JOIN_S = 0.02
"""How long the new part takes to ease from the source's last sample onto its own signal."""
INSTRUMENTAL = "[Instrumental]"
COVER_MODULES = ("audio_tokenizer", "audio_token_detokenizer")
"""What the pipeline needs to cover audio (its melody as 5 Hz semantic tokens)."""
MIN_COVER_LATENTS = 5
"""One token of the audio tokenizer (5 latent frames, 0.2 s): anything shorter has no melody."""


@dataclass
class NeuralRender:
    """A clip the model has made: the audio is all there, handed out in blocks."""

    sample_rate: int
    duration_s: float
    has_vocal: bool
    words: list[WordTiming]
    plan: dict[str, Any]
    audio: np.ndarray = field(repr=False)
    block_frames: int = SAMPLE_RATE

    def blocks(self) -> Iterator[AudioBlock]:
        for i in range(0, len(self.audio), self.block_frames):
            yield AudioBlock(mix=self.audio[i : i + self.block_frames])


@dataclass(frozen=True)
class _Job:
    """One clip to make, in the terms of the pipeline."""

    index: int
    request: PlanRequest
    prompt: str
    lyrics: str
    seed: int
    duration_s: float
    context: np.ndarray | None = None
    """The source's audio before ``continue_at`` (at 48 kHz), for an extension."""
    cover: np.ndarray | None = None
    """The audio to cover (at 48 kHz, whole latent frames, as long as the new clip)."""
    strength: float = 1.0
    source_id: str = ""

    @property
    def shape(self) -> tuple[Any, ...]:
        if self.cover is not None:  # one call covers one audio: the timbre reference is shared
            return ("cover", self.source_id, len(self.cover), self.strength)
        context = None if self.context is None else len(self.context)
        return (context, round(self.duration_s * SAMPLE_RATE))


class AceStepEngine:
    name = NAME
    capabilities = frozenset({"generate", "extend", "concat", "upload_extend", "upload_cover"})
    """No stems (ACE-Step makes a mix; nothing here separates it). Upload-cover needs the
    folder's audio tokenizer (``operation_problems``). No add-vocals or add-instrumental: the
    pipeline's lego/complete tasks want per-track models this folder layout does not name."""
    wants_source_audio = True
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        model_dir: str | None = None,
        device: str = "auto",
        dtype: str = "auto",
        steps: int = 8,
        guidance_scale: float | None = None,
        shift: float = 3.0,
        max_batch: int = 4,
        duration_s: float | None = None,
        max_duration_s: float = 240.0,
        context_s: float = 20.0,
        vocal_language: str = "en",
        block_s: float = 1.0,
        simulate_oom_tag: str | None = None,
        cover_strength: float = 1.0,
        cover_timbre: bool = False,
        pipeline: Any = None,
    ) -> None:
        """``pipeline``: an ``AceStepPipeline`` already built (the bench's full-size random
        model); otherwise it is loaded from ``model_dir``, checked first. ``duration_s``: a new
        clip's length (default: a quarter of the model key's longest, 30-120 s).
        ``cover_strength``: the pipeline's ``audio_cover_strength`` when a cover request names
        none (1: follow the audio; lower: more of the new style). ``cover_timbre``: a cover also
        takes the audio's timbre (its ``reference_audio``), not only its melody."""
        if not 0.0 <= float(cover_strength) <= 1.0:
            raise ValueError(f"cover_strength must be 0 to 1, got {cover_strength}")
        self.device = runtime.device_name(device)
        self.dtype = runtime.dtype_name(dtype, self.device)
        self.steps = int(steps)
        self.shift = float(shift)
        self.max_batch = max(1, int(max_batch))
        self.duration_s = None if duration_s is None else float(duration_s)
        self.max_duration_s = float(max_duration_s)
        self.context_s = float(context_s)
        self.vocal_language = vocal_language
        self.block_frames = max(1, round(block_s * SAMPLE_RATE))
        self.simulate_oom_tag = (simulate_oom_tag or "").strip().lower() or None
        self.cover_strength = float(cover_strength)
        self.cover_timbre = bool(cover_timbre)
        self.model_dir = model_dir
        started = time.monotonic()
        self.pipe = pipeline if pipeline is not None else self._load(model_dir)
        self.pipe.set_progress_bar_config(disable=True)
        self.hop = round(SAMPLE_RATE / self.pipe.latents_per_second)
        if self.pipe.sample_rate != SAMPLE_RATE:
            raise ModelDirError(NAME, model_dir, [f"sample rate {self.pipe.sample_rate}"])
        self.guidance_scale = (
            float(guidance_scale)
            if guidance_scale is not None
            else (1.0 if self.pipe.is_turbo else 7.0)
        )
        log.info(
            "acestep loaded from %s on %s (%s) in %.1f s; memory %s",
            model_dir,
            self.device,
            self.dtype,
            time.monotonic() - started,
            self.memory(),
        )

    @staticmethod
    def problems(options: dict[str, Any]) -> list[str]:
        """What stops an engine with these options from loading (checked at start-up)."""
        from openchirp.engines.acestep.check import problems

        return problems(options.get("model_dir"), options)

    @staticmethod
    def operation_problems(operation: str, options: dict[str, Any]) -> list[str]:
        """Why a declared operation cannot run with these options, read from the folder
        without loading it: a cover needs the audio tokenizer, which some folders lack."""
        if operation != "upload_cover":
            return []
        from openchirp.engines.acestep.check import cover_problems

        return cover_problems(options.get("model_dir"))

    def _load(self, model_dir: str | None) -> Any:
        found = self.problems({"model_dir": model_dir, "device": self.device, "dtype": self.dtype})
        if found:
            raise ModelDirError(NAME, model_dir, found)
        from diffusers import AceStepPipeline
        from diffusers.utils import logging as diffusers_logging
        from transformers.utils import logging as transformers_logging

        diffusers_logging.disable_progress_bar()  # bars in a worker's log say nothing
        transformers_logging.disable_progress_bar()

        pipe = AceStepPipeline.from_pretrained(
            str(Path(str(model_dir))),
            dtype=runtime.torch_dtype(self.dtype),
            local_files_only=True,
        )
        return pipe.to(self.device)

    def memory(self) -> dict[str, float]:
        return {k: round(v, 1) for k, v in runtime.memory(self.device).items()}

    # -- the seam -----------------------------------------------------------------------------

    def plan(self, request: PlanRequest) -> NeuralRender | FailedRender:
        return self.plan_batch([request])[0]

    def plan_batch(self, requests: list[PlanRequest]) -> list[NeuralRender | FailedRender]:
        """Make every clip: one pipeline call per shape (new songs of one length together,
        extensions of one context and length together), at most ``max_batch`` clips a call."""
        out: list[NeuralRender | FailedRender | None] = [None] * len(requests)
        groups: dict[tuple[Any, ...], list[_Job]] = {}
        for i, request in enumerate(requests):
            try:
                job = self._job(i, request)
            except EngineError as exc:  # this clip's own problem: the others go on
                out[i] = FailedRender(exc, SAMPLE_RATE)
                continue
            groups.setdefault(job.shape, []).append(job)
        for group in groups.values():
            for i in range(0, len(group), self.max_batch):
                for job, render in self._run(group[i : i + self.max_batch]):
                    out[job.index] = render
        return [r for r in out if r is not None]

    def _job(self, index: int, request: PlanRequest) -> _Job:
        seed = (request.seed * 2 + request.variant) % 2**63  # the two clips differ
        lyrics = "" if request.instrumental else request.lyrics.strip()
        # A model key's default: a quarter of its longest song (v3: 30 s, v4: 60 s, v4.5+: 120 s).
        wanted = self.duration_s if self.duration_s is not None else request.max_duration_s / 4
        duration = max(1.0, min(wanted, request.max_duration_s, self.max_duration_s))
        if request.cover is not None:
            return self._cover_job(index, request, lyrics, seed)
        continuation = request.continuation
        if continuation is None:
            prompt = request.tags.strip() or request.title.strip() or "music"
            return _Job(index, request, prompt, lyrics, seed, duration)
        source = continuation.source_plan
        # A continuation keeps its source's sound: the source's prompt, not the request's tags
        # (an upload has no plan: its request's tags say what it is).
        prompt = str(source.get("prompt") or request.tags.strip() or "music")
        if continuation.source_audio is None:
            raise EngineError("acestep continues audio: the source clip has no audio to continue")
        audio = resample(continuation.source_audio, continuation.source_sample_rate, SAMPLE_RATE)
        cut = min(len(audio), round(continuation.continue_at * SAMPLE_RATE))
        frames = (min(cut, round(self.context_s * SAMPLE_RATE)) // self.hop) * self.hop
        context = audio[cut - frames : cut] if frames else audio[:0]
        return _Job(index, request, prompt, lyrics, seed, duration, context=context)

    def _cover_job(self, index: int, request: PlanRequest, lyrics: str, seed: int) -> _Job:
        cover = request.cover
        assert cover is not None
        missing = [m for m in COVER_MODULES if getattr(self.pipe, m, None) is None]
        if missing:
            raise EngineError(
                f"this ACE-Step model has no {' or '.join(missing)}: it cannot cover audio"
            )
        audio = resample(cover.audio, cover.sample_rate, SAMPLE_RATE)
        longest = min(request.max_duration_s, self.max_duration_s)
        frames = (min(len(audio), round(longest * SAMPLE_RATE)) // self.hop) * self.hop
        if frames < MIN_COVER_LATENTS * self.hop:
            raise EngineError(
                f"the audio to cover is {len(audio) / SAMPLE_RATE:.2f} s; it must be at least "
                f"{MIN_COVER_LATENTS * self.hop / SAMPLE_RATE:.2f} s"
            )
        strength = self.cover_strength if cover.strength is None else float(cover.strength)
        prompt = request.tags.strip() or request.title.strip() or "music"
        return _Job(
            index,
            request,
            prompt,
            lyrics,
            seed,
            frames / SAMPLE_RATE,
            cover=np.ascontiguousarray(audio[:frames]),
            strength=min(1.0, max(0.0, strength)),
            source_id=cover.source_id,
        )

    def _run(self, jobs: list[_Job]) -> list[tuple[_Job, NeuralRender]]:
        """One pipeline call. Out of memory is raised as torch raises it: the worker splits
        the batch (jobs/oom.py), as for every batching engine."""
        audio = self._call(jobs)
        call = {"call": uuid.uuid4().hex[:12], "batch_size": len(jobs)}
        return [(job, self._render(job, pcm, call)) for job, pcm in zip(jobs, audio, strict=True)]

    def _call(self, jobs: list[_Job]) -> list[np.ndarray]:
        """Run the pipeline once for jobs of one shape: float32 (frames, 2) per job."""
        import torch

        if self.simulate_oom_tag and any(
            self.simulate_oom_tag in j.request.tags.lower() for j in jobs
        ):
            raise runtime.simulated_out_of_memory(self.device)
        first = jobs[0]
        frames = round(first.duration_s * SAMPLE_RATE)
        frames = -(-frames // self.hop) * self.hop  # whole latent frames
        kwargs: dict[str, Any] = {
            "prompt": [j.prompt for j in jobs],
            "lyrics": [j.lyrics or INSTRUMENTAL for j in jobs],
            "audio_duration": frames / SAMPLE_RATE,
            "vocal_language": self.vocal_language,
            "num_inference_steps": self.steps,
            "guidance_scale": self.guidance_scale,
            "shift": self.shift,
            "generator": [torch.Generator("cpu").manual_seed(j.seed) for j in jobs],
        }
        context = 0
        if first.cover is not None:
            src = np.stack([j.cover for j in jobs if j.cover is not None])
            kwargs.update(
                task_type="cover",
                src_audio=torch.from_numpy(src.transpose(0, 2, 1).copy()),
                audio_cover_strength=first.strength,
            )
            if self.cover_timbre:
                kwargs["reference_audio"] = torch.from_numpy(first.cover.T.copy())
        elif first.context is not None and len(first.context):
            context = len(first.context)
            src = np.stack(
                [np.concatenate([j.context, np.zeros((frames, 2), np.float32)]) for j in jobs]
            )
            kwargs.update(
                task_type="repaint",
                src_audio=torch.from_numpy(src.transpose(0, 2, 1).copy()),
                # half a latent frame in: the pipeline floors seconds to latent frames
                repainting_start=(context + self.hop / 2) / SAMPLE_RATE,
                repainting_end=-1,
            )
        started = time.monotonic()
        runtime.reset_peak(self.device)
        out = self.pipe(**kwargs).audios  # (batch, 2, samples), float32
        pcm = out.float().cpu().numpy().transpose(0, 2, 1)
        log.info(
            "acestep: %d clip(s) of %.1f s in %.2f s; memory %s",
            len(jobs),
            frames / SAMPLE_RATE,
            time.monotonic() - started,
            self.memory(),
        )
        return [np.ascontiguousarray(p[context : context + frames], dtype=np.float32) for p in pcm]

    def _render(self, job: _Job, pcm: np.ndarray, call: dict[str, Any]) -> NeuralRender:
        if not np.isfinite(pcm).all():
            raise EngineError("the model made audio that is not finite (NaN); try another seed")
        frames = round(job.duration_s * SAMPLE_RATE)
        pcm = pcm[:frames]
        if job.context is not None and len(job.context):
            pcm = ease_onto(pcm, job.context[-1], round(JOIN_S * SAMPLE_RATE))
        pcm = np.clip(pcm, -1.0, 1.0)
        plan = {
            "engine": NAME,
            "seed": job.seed,
            "prompt": job.prompt,
            "duration_s": round(len(pcm) / SAMPLE_RATE, 6),
            "sample_rate": SAMPLE_RATE,
            "steps": self.steps,
            "continued": job.context is not None,
            "cover": job.cover is not None,
            **call,  # which pipeline call made it, and how many clips that call made
        }
        return NeuralRender(
            sample_rate=SAMPLE_RATE,
            duration_s=len(pcm) / SAMPLE_RATE,
            has_vocal=bool(job.lyrics),
            words=words.estimate(job.lyrics, pcm, SAMPLE_RATE),
            plan=plan,
            audio=pcm,
            block_frames=self.block_frames,
        )
