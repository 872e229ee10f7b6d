"""What runs inside ``generate`` at every step: the per-clip sampler, and the streamer that
turns delayed tokens into each clip's frames and PCM blocks. Imports torch and transformers, so
it is imported only when a batch runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from transformers import LogitsProcessor, StoppingCriteria
from transformers.generation.streamers import BaseStreamer

from openchirp.engines.musicgen.codec import ChunkDecoder

if TYPE_CHECKING:
    from openchirp.engines.musicgen.generation import Batch, ClipJob, Settings


class CodeStreamer(BaseStreamer):
    """Receives ``generate``'s token columns (rows x codebooks, in MusicGen's delay pattern),
    hands each clip its finished frames and decodes a block whenever one is ready.

    transformers 5.23's ``MusicgenForConditionalGeneration.generate`` calls ``put`` only with
    the prompt columns (it does not hand the streamer on to its sampling loop), so
    :class:`TokenTap` feeds the later columns from the stopping-criteria hook, which sees every
    step; columns are taken by position, once, whichever hook delivers them."""

    def __init__(
        self,
        batch: Batch,
        clips: list[ClipJob],
        prompt: int,
        new: int,
        decoders: dict[int, ChunkDecoder],
    ) -> None:
        loaded = batch.loaded
        self.batch = batch
        self.clips = clips
        self.prompt = prompt
        self.new = new
        self.decoders = decoders
        self.codebooks = loaded.num_codebooks
        channels = loaded.audio_channels
        # codebook k of frame f sits in column f + 1 + delay[k] (column 0: the start token)
        self.delay = [k // channels for k in range(self.codebooks)]
        self.columns: list[np.ndarray] = []  # each (clips, codebooks)
        self.taken = prompt  # frames handed out (the prompt's are the clips' already)
        self.puts = 0

    @property
    def cancelled(self) -> bool:
        """Every clip of this call has lost its consumer."""
        return all(c.cancelled for c in self.clips)

    def put(self, value: Any) -> None:
        if value.dim() == 2:  # the prompt's columns, before the first step
            self.feed(value, 0)
            self.puts = value.shape[1]
        else:
            self.feed(value[:, None], self.puts)
            self.puts += 1

    def feed(self, ids: Any, first: int) -> None:
        """Columns ``first``, ``first + 1``, ... of the token matrix (rows * codebooks, n)."""
        array = ids.cpu().numpy()
        array = array.reshape(-1, self.codebooks, array.shape[-1])[: len(self.clips)]
        for j in range(array.shape[-1]):
            if first + j == len(self.columns):
                self.columns.append(array[:, :, j])
        complete = min(len(self.columns) - 1 - max(self.delay), self.prompt + self.new)
        if complete > self.taken:
            self._hand_out(self.taken, complete)
            self.taken = complete

    def _hand_out(self, first: int, last: int) -> None:
        frames = np.stack(
            [
                np.stack([self.columns[f + 1 + d][:, k] for k, d in enumerate(self.delay)], 1)
                for f in range(first, last)
            ],
            axis=2,
        )  # (clips, codebooks, frames)
        block = self.batch.settings.block_frames
        for i, clip in enumerate(self.clips):
            clip.new.append(frames[i])
            decoder = self.decoders[id(clip)]
            decoder.add(frames[i])
            if not clip.cancelled and decoder.ready(block):
                clip.emit(decoder.step())

    def flush(self) -> None:
        if self.taken < self.prompt + self.new and not self.cancelled:
            raise RuntimeError(f"generate returned {self.taken - self.prompt} of {self.new} frames")

    def end(self) -> None:
        pass


class TokenTap(StoppingCriteria):
    """Feeds the streamer every step's new column; stops generation once every consumer of the
    batch has gone."""

    def __init__(self, streamer: CodeStreamer) -> None:
        self.streamer = streamer

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        seen = len(self.streamer.columns)
        self.streamer.feed(input_ids[:, seen:], seen)
        stop = self.streamer.cancelled
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)


class ClipSampler(LogitsProcessor):
    """Guidance and sampling per clip (see generation.py): mixes each clip's conditional and
    unconditional rows, samples with the clip's generator and leaves only the chosen code
    possible in both rows, so ``generate``'s greedy step takes it."""

    def __init__(self, generators: list[Any], codebooks: int, s: Settings, cfg: bool) -> None:
        self.generators = generators
        self.codebooks = codebooks
        self.s = s
        self.cfg = cfg

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        clips, k, s = len(self.generators), self.codebooks, self.s
        logits = scores.float().reshape(-1, k, scores.shape[-1])
        if self.cfg:
            cond, uncond = logits[:clips], logits[clips : 2 * clips]
            logits = uncond + (cond - uncond) * s.guidance_scale
        logits = logits / max(s.temperature, 1e-5)
        if 0 < s.top_k < logits.shape[-1]:
            kth = torch.topk(logits, s.top_k, dim=-1).values[..., -1:]
            logits = logits.masked_fill(logits < kth, -torch.inf)
        if 0.0 < s.top_p < 1.0:
            ordered, order = torch.sort(logits, descending=True, dim=-1)
            p = ordered.softmax(-1)
            drop = p.cumsum(-1) - p > s.top_p  # keeps the code that crosses top_p
            logits = logits.masked_fill(torch.zeros_like(drop).scatter(-1, order, drop), -torch.inf)
        probs = logits.softmax(-1)
        chosen = torch.stack(
            [
                torch.multinomial(probs[i], 1, generator=self.generators[i]).squeeze(-1)
                for i in range(clips)
            ]
        )  # (clips, codebooks)
        out = torch.full_like(scores, -torch.inf).reshape(-1, k, scores.shape[-1])
        for half in range(out.shape[0] // clips):
            out[half * clips : (half + 1) * clips].scatter_(-1, chosen[..., None], 0.0)
        return out.reshape(scores.shape)
