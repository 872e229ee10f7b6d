"""A source's audio for the neural engines that continue it: stereo at the model's rate, cut
where needed, and a join that starts on the source's last sample."""

from __future__ import annotations

from math import gcd

import numpy as np

RESAMPLE_MARGIN = 256
"""Source samples resampled on each side of a cut: more than the polyphase filter reaches."""


def stereo(audio: np.ndarray) -> np.ndarray:
    """float32 (frames, 2): a mono source (frames,) or (frames, 1) on both channels."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    return audio[:, :2]


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Stereo float32 at ``target`` Hz (polyphase: exact ratios, no drift)."""
    audio = stereo(audio)
    if rate == target:
        return audio
    from scipy.signal import resample_poly

    g = gcd(rate, target)
    return resample_poly(audio, target // g, rate // g, axis=0).astype(np.float32)


def length_at(audio: np.ndarray, rate: int, target: int) -> int:
    """How many samples ``audio`` has at ``target`` Hz."""
    return len(audio) * target // rate


def window_at(audio: np.ndarray, rate: int, target: int, first: int, end: int) -> np.ndarray:
    """Samples ``[first, end)`` of ``audio`` as they are at ``target`` Hz, stereo float32,
    resampling only that stretch (a long upload's tail, not the whole). Zeros past the end."""
    up, down = target // gcd(rate, target), rate // gcd(rate, target)
    # source sample i is sample i * up / down at the target rate: start the stretch on a multiple
    # of ``down`` so that its place at the target rate is a whole sample
    a = max(0, (first * down // up - RESAMPLE_MARGIN) // down * down)
    b = min(len(audio), -(-end * down // up) + RESAMPLE_MARGIN)
    part = resample(audio[a:b], rate, target)
    offset = a * up // down
    out = part[max(0, first - offset) : max(0, end - offset)]
    if len(out) < end - first:
        out = np.concatenate([out, np.zeros((end - first - len(out), 2), np.float32)])
    return out


class Ease:
    """Starts a stream of PCM blocks on the source's last sample: the step between them decays
    to nothing over ``frames`` samples (a raised cosine), however the blocks are cut, so the
    join is continuous whatever the model made there."""

    def __init__(self, last: np.ndarray, frames: int) -> None:
        self.last = np.asarray(last, dtype=np.float32)
        self.frames = max(1, frames)
        self.done = 0
        self.step: np.ndarray | None = None

    def __call__(self, pcm: np.ndarray) -> np.ndarray:
        if self.done >= self.frames or not len(pcm):
            return pcm
        if self.step is None:
            self.step = self.last - pcm[0]
        n = min(self.frames - self.done, len(pcm))
        at = np.arange(self.done, self.done + n, dtype=np.float32)
        fade = 0.5 * (1 + np.cos(np.pi * at / max(1, self.frames - 1)))[:, None]
        out = pcm.copy()
        out[:n] += self.step[None, :] * fade
        self.done += n
        return out


def ease_onto(pcm: np.ndarray, last: np.ndarray, frames: int) -> np.ndarray:
    """``pcm`` started on ``last`` (see :class:`Ease`), all in one block."""
    return Ease(last, min(frames, len(pcm)))(pcm)
