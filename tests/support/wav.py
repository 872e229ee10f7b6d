"""A sine tone as the bytes of a mono 16-bit wav: the audio the upload tests send."""

from __future__ import annotations

import io
import wave

import numpy as np


def tone_wav(
    seconds: float = 0.5,
    rate: int = 22_050,
    hz: float = 440.0,
    level: int = 12_000,
    phase: float = 0.0,
) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    pcm = (np.sin(2 * np.pi * hz * t + phase) * level).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()
