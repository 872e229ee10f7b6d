"""Audio codes to PCM while they come, and codes kept in a plan.

The codec's decoder is convolutional with an LSTM, so a frame's samples depend on its
neighbours. Each step decodes the codes from a second of left context (the LSTM settles in it)
to the newest frame, emits up to a few frames short of the end (the right edge changes once the
next frames exist) and keeps the last few milliseconds back, cross-faded with the same samples of
the next step: the cost is bounded per block and the seams are inaudible.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import numpy as np

LEFT_CONTEXT_S = 1.0
RIGHT_GUARD_FRAMES = 8
FADE_S = 0.01

Decode = Callable[[np.ndarray], np.ndarray]
"""Codes shaped (codebooks, frames) -> float32 PCM shaped (samples, channels)."""


class ChunkDecoder:
    """One clip's codes -> PCM blocks. ``codes`` may start with context frames that precede the
    clip (a continuation's source): their audio is decoded for context and never emitted."""

    def __init__(
        self,
        decode: Decode,
        hop: int,
        frame_rate: int,
        context: np.ndarray,
        channels: int,
        skip: int = 0,
    ) -> None:
        """``skip``: samples of the first new frame not emitted (a continuation that starts
        inside a frame starts sample-exactly where it was asked to)."""
        self.decode = decode
        self.hop = hop
        self.left = max(1, round(LEFT_CONTEXT_S * frame_rate))
        self.fade = max(1, round(FADE_S * frame_rate * hop))
        self.codes = np.asarray(context, dtype=np.int64).reshape(context.shape[0], -1)
        self.emitted = self.codes.shape[1] * hop + skip  # sample emitted up to, from codes[0]
        self.tail: np.ndarray | None = None
        self.channels = channels

    def add(self, frames: np.ndarray) -> None:
        self.codes = np.concatenate([self.codes, frames], axis=1)

    def ready(self, block_frames: int) -> bool:
        end = (self.codes.shape[1] - RIGHT_GUARD_FRAMES) * self.hop - self.fade
        return end - self.emitted >= block_frames * self.hop

    def step(self, final: bool = False) -> np.ndarray:
        """The next PCM run (frames, channels), possibly empty."""
        total = self.codes.shape[1]
        end = total * self.hop if final else (total - RIGHT_GUARD_FRAMES) * self.hop
        if end <= self.emitted:
            return np.zeros((0, self.channels), dtype=np.float32)
        first = max(0, self.emitted // self.hop - self.left)
        audio = self.decode(self.codes[:, first:])
        want = (total - first) * self.hop
        if len(audio) < want:  # a codec whose output runs short: pad with its own last sample
            audio = np.concatenate([audio, np.repeat(audio[-1:], want - len(audio), axis=0)])
        local = audio[self.emitted - first * self.hop : end - first * self.hop]
        if self.tail is not None:
            n = min(len(self.tail), len(local))
            w = np.linspace(0.0, 1.0, n + 2, dtype=np.float32)[1:-1, None]
            local = local.copy()
            local[:n] = self.tail[:n] * (1.0 - w) + local[:n] * w
        if final or len(local) <= self.fade:
            out, self.tail = local, None
        else:
            out, self.tail = local[: -self.fade], local[-self.fade :]
        self.emitted += len(out)
        # keep only what a later step can need as left context
        drop = max(0, self.emitted // self.hop - self.left - 1)
        if drop > 0:
            self.codes = self.codes[:, drop:]
            self.emitted -= drop * self.hop
        return out


def encode_codes(codes: np.ndarray) -> dict[str, Any]:
    """Codes (codebooks, frames) as JSON: little-endian uint16, base64."""
    array = np.ascontiguousarray(codes, dtype="<u2")
    return {
        "shape": list(array.shape),
        "dtype": "uint16",
        "data": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def decode_codes(data: dict[str, Any]) -> np.ndarray:
    shape = tuple(int(n) for n in data["shape"])
    raw = base64.b64decode(data["data"])
    return np.frombuffer(raw, dtype="<u2").reshape(shape).astype(np.int64)
