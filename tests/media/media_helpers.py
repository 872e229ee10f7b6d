"""Synthetic audio for the media tests (no engine needed)."""

from __future__ import annotations

import numpy as np

SR = 44_100


def tone(seconds: float, freq: float = 440.0, amp: float = 0.4, sr: int = SR) -> np.ndarray:
    """A stereo sine (right channel at half level, so channels are told apart)."""
    t = np.arange(int(seconds * sr)) / sr
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([x, 0.5 * x], axis=1)
