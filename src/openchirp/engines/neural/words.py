"""Word timings estimated from lyrics and audio, for models that sing lyrics but report no
timings: each sung word gets a share of the audible time in proportion to its syllables, in
order, with a pause at each line break. An estimate, and marked as one (``p_align``)."""

from __future__ import annotations

import re

import numpy as np

from openchirp.engines.base import WordTiming

ESTIMATED_P_ALIGN = 0.0
"""What an estimate claims: nothing was aligned to the sung audio (clients see
``success: false``), only spread over it."""
_SECTION = re.compile(r"^\s*\[[^\]]*\]\s*$")
_VOWELS = re.compile(r"[aeiouyàáâäèéêëìíîïòóôöùúûü]+", re.IGNORECASE)
FRAME_S = 0.05
LINE_PAUSE = 1.0
"""A line break weighs as much as one syllable of silence."""


def sung_lines(lyrics: str) -> list[list[str]]:
    lines = [ln.split() for ln in lyrics.splitlines() if ln.strip() and not _SECTION.match(ln)]
    return [ln for ln in lines if ln]


def syllables(word: str) -> int:
    return max(1, len(_VOWELS.findall(word)))


def estimate(lyrics: str, audio: np.ndarray, sample_rate: int) -> list[WordTiming]:
    """Timings for the lyrics' words over ``audio`` (frames, channels)."""
    lines = sung_lines(lyrics)
    if not lines or not len(audio):
        return []
    start, end = _audible_span(audio, sample_rate)
    weights: list[tuple[str | None, float]] = []
    for i, line in enumerate(lines):
        if i:
            weights.append((None, LINE_PAUSE))
        weights += [(w, float(syllables(w))) for w in line]
    total = sum(w for _, w in weights)
    per = (end - start) / total
    out, t = [], start
    for word, weight in weights:
        if word is not None:
            out.append(WordTiming(word, t, t + weight * per * 0.9, ESTIMATED_P_ALIGN))
        t += weight * per
    return out


def _audible_span(audio: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """From the first to the last frame louder than a tenth of the loudest (whole clip if the
    audio is silent)."""
    hop = max(1, int(FRAME_S * sample_rate))
    mono = np.abs(audio).mean(axis=1) if audio.ndim == 2 else np.abs(audio)
    frames = len(mono) // hop
    duration = len(mono) / sample_rate
    if frames == 0:
        return 0.0, duration
    level = np.sqrt((mono[: frames * hop].reshape(frames, hop) ** 2).mean(axis=1))
    loud = np.flatnonzero(level > 0.1 * level.max()) if level.max() > 0 else np.array([])
    if not len(loud):
        return 0.0, duration
    return float(loud[0] * FRAME_S), float(min(duration, (loud[-1] + 1) * FRAME_S))
