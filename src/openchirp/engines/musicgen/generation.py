"""A batch of clips generated together: one ``generate`` call per window, streamed.

Every clip of a batch is a row of the same ``generate`` call. Classifier-free guidance is done
here rather than by ``generate``: each clip has a conditional row (its text prompt) and an
unconditional one (its negative prompt, or no text at all, as MusicGen's own guidance), and a
logits processor mixes each pair, samples the clip's next codes with **the clip's own
generator** and forces that choice into both rows (``generate`` then runs greedily). So a clip's
audio depends on its seed and request only, not on which clips share its batch, and negative
tags are honoured.

Clips longer than a window (30 s at most: MusicGen's training length) go on in further windows,
each prompted with the last ``prompt_s`` of the codes so far (the model's own codes, no
re-encoding). A continuation's first window is prompted with its source's codes before
``continue_at``. A streamer undoes MusicGen's delay pattern as tokens come and decodes the codes
into PCM blocks that are queued for :meth:`Render.blocks` while generation runs.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from openchirp.engines.musicgen.codec import ChunkDecoder, encode_codes
from openchirp.engines.musicgen.model import Loaded
from openchirp.engines.neural import runtime
from openchirp.engines.neural.audio import Ease

log = logging.getLogger("openchirp.engines.musicgen")

END = object()


@dataclass(frozen=True)
class Settings:
    guidance_scale: float
    temperature: float
    top_k: int
    top_p: float
    window_frames: int
    prompt_frames: int
    block_frames: int
    simulate_oom_tag: str | None = None
    """A batch holding a clip whose prompt has it runs out of memory at once (drills)."""


@dataclass
class ClipJob:
    """One clip of a batch: what to generate and where its audio goes."""

    prompt: str
    negative: str
    seed: int
    total_frames: int
    context: np.ndarray
    """Codes (codebooks, frames) before the clip (a continuation's source), maybe empty."""
    skip: int = 0
    """Samples of the first new frame left out (a continuation starts inside a frame)."""
    source_pcm: np.ndarray | None = None
    """A continuation of audio without codes: the source's PCM (samples, 2) at the model's rate,
    on the frame grid, ending where the clip starts; encoded into ``context`` (its last ``keep``
    frames) when the batch runs, on the model's thread."""
    keep: int = 0
    ease: Ease | None = None
    """Starts the audio on the source's last sample (a source the codec re-encoded)."""
    out: queue.Queue[Any] = field(default_factory=queue.Queue)
    new: list[np.ndarray] = field(default_factory=list)
    cancelled: bool = False
    done: bool = False

    @property
    def produced(self) -> int:
        return sum(c.shape[1] for c in self.new)

    def codes(self) -> np.ndarray:
        return np.concatenate(self.new, axis=1) if self.new else self.context[:, :0]

    def codes_json(self) -> dict[str, Any]:
        return encode_codes(self.codes())

    def emit(self, pcm: np.ndarray) -> None:
        """Queue a block of the clip's audio for its consumer."""
        if self.ease is not None:
            pcm = np.clip(self.ease(pcm), -1.0, 1.0)
        self.out.put(pcm)


class Batch:
    """Clips generated together on one thread, started by the first consumer."""

    def __init__(self, loaded: Loaded, settings: Settings, clips: list[ClipJob], lock: Any):
        self.loaded = loaded
        self.settings = settings
        self.clips = clips
        self.lock = lock
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="musicgen-batch", daemon=True
                )
                self._thread.start()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def alive(self) -> bool:
        """Started and still running (or about to start)."""
        return self._thread is None or self._thread.is_alive()

    def _run(self) -> None:
        try:
            with self.lock:  # one generation per model at a time: device memory
                self._generate_all()
        except BaseException as exc:  # noqa: BLE001 - handed to every consumer to raise
            for clip in self.clips:
                clip.out.put(exc)
            return
        for clip in self.clips:
            clip.out.put(END)

    def _generate_all(self) -> None:
        import torch

        loaded, s = self.loaded, self.settings
        if s.simulate_oom_tag and any(s.simulate_oom_tag in c.prompt.lower() for c in self.clips):
            raise runtime.simulated_out_of_memory(loaded.device)
        for clip in self.clips:
            if clip.source_pcm is not None and not clip.cancelled:
                codes = self._encode(clip.source_pcm)
                clip.context, clip.source_pcm = codes[:, max(0, codes.shape[1] - clip.keep) :], None
        generators = {}
        for clip in self.clips:
            generators[id(clip)] = torch.Generator(device=loaded.device).manual_seed(clip.seed)
        decoders = {
            id(c): ChunkDecoder(
                self._decode, loaded.hop_length, loaded.frame_rate, c.context, 2, c.skip
            )
            for c in self.clips
        }
        while True:
            active = [c for c in self.clips if c.produced < c.total_frames and not c.cancelled]
            if not active:
                break
            groups: dict[tuple[int, int], list[ClipJob]] = {}
            for clip in active:
                have = clip.context.shape[1] + clip.produced
                prompt = min(s.prompt_frames, have) if have else 0
                new = min(s.window_frames - prompt, clip.total_frames - clip.produced)
                groups.setdefault((prompt, new), []).append(clip)
            for (prompt, new), clips in groups.items():
                self._window(clips, prompt, new, generators, decoders)
        for clip in self.clips:
            if not clip.cancelled:
                tail = decoders[id(clip)].step(final=True)
                if len(tail):
                    clip.emit(tail)

    def _window(
        self,
        clips: list[ClipJob],
        prompt: int,
        new: int,
        generators: dict[int, Any],
        decoders: dict[int, ChunkDecoder],
    ) -> None:
        import torch
        from transformers.modeling_outputs import BaseModelOutput

        from openchirp.engines.musicgen.steps import ClipSampler, CodeStreamer, TokenTap

        loaded, s = self.loaded, self.settings
        model = loaded.model
        cfg = s.guidance_scale > 1.0
        hidden, mask = self._encode_text(clips, cfg)
        rows = hidden.shape[0]
        kwargs: dict[str, Any] = {}
        if prompt:
            codes = []
            for clip in clips:
                whole = np.concatenate([clip.context, clip.codes()], axis=1)
                codes.append(whole[:, -prompt:])
            ids = torch.as_tensor(np.stack(codes), device=loaded.device)
            ids = ids.repeat(rows // len(clips), 1, 1).reshape(rows * loaded.num_codebooks, prompt)
            kwargs["decoder_input_ids"] = ids
        sampler = ClipSampler([generators[id(c)] for c in clips], loaded.num_codebooks, s, cfg)
        streamer = CodeStreamer(self, clips, prompt, new, decoders)
        delay = loaded.num_codebooks // loaded.audio_channels
        with torch.inference_mode(), _no_final_decode(model.audio_encoder):
            model.generate(
                encoder_outputs=BaseModelOutput(last_hidden_state=hidden),
                attention_mask=mask,
                max_new_tokens=new + delay - 1,
                do_sample=False,
                guidance_scale=1.0,
                logits_processor=[sampler],
                stopping_criteria=[TokenTap(streamer)],
                streamer=streamer,
                **kwargs,
            )
        streamer.flush()

    def _encode_text(self, clips: list[ClipJob], cfg: bool) -> tuple[Any, Any]:
        """Encoder states: conditional rows, then (with guidance) unconditional rows: the
        negative prompt's states, or zeros (no text, MusicGen's own null condition)."""
        import torch

        loaded = self.loaded
        texts = [c.prompt for c in clips]
        if cfg:
            texts += [c.negative or "" for c in clips]
        tokens = loaded.tokenizer(texts, return_tensors="pt", padding=True, truncation=True)
        ids = tokens["input_ids"].to(loaded.device)
        mask = tokens["attention_mask"].to(loaded.device)
        with torch.inference_mode():
            hidden = loaded.model.text_encoder(input_ids=ids, attention_mask=mask)
            hidden = hidden.last_hidden_state.clone()
            if cfg:
                for i, clip in enumerate(clips):
                    if not clip.negative:
                        hidden[len(clips) + i] = 0
                        mask[len(clips) + i] = 0
        return hidden, mask

    def _encode(self, pcm: np.ndarray) -> np.ndarray:
        """PCM (samples, 2) at the model's rate -> codes (codebooks, frames): the codec's
        encoding, as ``generate`` makes an audio prompt of ``input_values`` (a mono model hears
        the channels' mean; a stereo one has left and right encoded apart, their codebooks
        interleaved)."""
        import torch

        loaded = self.loaded
        codec = loaded.model.audio_encoder
        dtype = next(codec.parameters()).dtype
        audio = torch.as_tensor(np.ascontiguousarray(pcm.T), device=loaded.device, dtype=dtype)
        rows = audio.mean(0, keepdim=True) if loaded.audio_channels == 1 else audio
        with torch.inference_mode():
            codes = codec.encode(rows[:, None]).audio_codes[0]  # (rows, quantizers, frames)
        codes = codes.cpu().numpy().astype(np.int64)
        if loaded.audio_channels == 2:
            codes = np.stack([codes[0], codes[1]], axis=1).reshape(-1, codes.shape[-1])
        else:
            codes = codes[0]
        if codes.shape[0] != loaded.num_codebooks:
            raise RuntimeError(
                f"the codec encodes {codes.shape[0]} codebooks, the model reads "
                f"{loaded.num_codebooks}"
            )
        return codes

    def _decode(self, codes: np.ndarray) -> np.ndarray:
        """Codes (codebooks, frames) -> PCM (samples, 2) in [-1, 1]."""
        import torch

        loaded = self.loaded
        ids = torch.as_tensor(codes, device=loaded.device)[:, None]  # (codebooks, 1, frames)
        codec = loaded.model.audio_encoder

        def pcm_of(part: Any) -> Any:  # EnCodec's decode of one frame, unscaled (MusicGen's)
            return codec.decoder(codec.quantizer.decode(part))[0]

        with torch.inference_mode():
            if loaded.audio_channels == 1:
                audio = pcm_of(ids)
            else:  # left and right codebooks interleaved
                audio = torch.cat([pcm_of(ids[::2]), pcm_of(ids[1::2])], dim=0)
        pcm = audio.float().cpu().numpy().T
        if pcm.shape[1] == 1:
            pcm = np.repeat(pcm, 2, axis=1)
        return np.clip(np.nan_to_num(pcm), -1.0, 1.0).astype(np.float32)


@contextmanager
def _no_final_decode(codec: Any) -> Iterator[None]:
    """``generate`` decodes its whole result after the last step: every row, the unconditional
    ones too, a memory peak at the end of each window. The engine has streamed that audio
    already, so for the call the codec's ``decode`` returns nothing (the engine's lock keeps
    every other caller off this model meanwhile; its own decoding goes through the codec's
    quantizer and decoder)."""
    import torch

    def skip(*args: Any, **kwargs: Any) -> SimpleNamespace:
        return SimpleNamespace(audio_values=torch.zeros((0, 1, 0)))

    codec.decode = skip
    try:
        yield
    finally:
        del codec.decode
