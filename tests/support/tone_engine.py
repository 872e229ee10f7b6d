"""A tiny engine for the server's tests: a sine melody, one note per lyric word.

Knobs come from the environment of the worker processes, so end-to-end tests can shape them:
TONE_SECONDS (clip length), TONE_BLOCK_DELAY (seconds slept per 0.25 s block, to keep clips
streaming), and tags: "fail-always" raises on every attempt, "fail-once" on the first attempt of
each clip (remembered in TONE_STATE_DIR). A continuation keeps its source's frequency and, like
every engine, ignores tags (engines/base.py), these knobs too.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from openchirp.engines.base import SAMPLE_RATE, AudioBlock, EngineError, PlanRequest, WordTiming

BLOCK = SAMPLE_RATE // 4


def lyric_words(lyrics: str) -> list[str]:
    words = []
    for line in lyrics.splitlines():
        if re.match(r"^\s*\[.*\]\s*$", line):
            continue
        words += re.findall(r"[\w']+", line)
    return words


@dataclass
class ToneRender:
    request: PlanRequest
    duration_s: float
    start_s: float
    frequency: float
    sample_rate: int = SAMPLE_RATE
    has_vocal: bool = True
    words: list[WordTiming] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)

    def blocks(self) -> Iterator[AudioBlock]:
        delay = float(os.environ.get("TONE_BLOCK_DELAY", "0"))
        total = round(self.duration_s * self.sample_rate)
        offset = round(self.start_s * self.sample_rate)
        for begin in range(0, total, BLOCK):
            n = min(BLOCK, total - begin)
            t = (offset + begin + np.arange(n)) / self.sample_rate
            tone = 0.25 * np.sin(2 * np.pi * self.frequency * t).astype(np.float32)
            voice = 0.1 * np.sin(2 * np.pi * 2 * self.frequency * t).astype(np.float32)
            inst = np.stack([tone, tone], axis=1)
            vocals = np.stack([voice, voice], axis=1) if self.has_vocal else np.zeros_like(inst)
            stems = {"instrumental": inst}
            if self.has_vocal:
                stems["vocals"] = vocals
            yield AudioBlock(mix=inst + vocals, stems=stems)
            if delay:
                time.sleep(delay)


class ToneEngine:
    name = "tone"

    def plan(self, request: PlanRequest) -> ToneRender:
        if request.continuation is None:  # a continuation ignores tags (engines/base.py)
            self.fail_if_asked(request)
        seconds = float(os.environ.get("TONE_SECONDS", "2.0"))
        start = 0.0
        frequency = 220.0 * (1.5 if request.variant else 1.0) + request.seed % 50
        if request.continuation:
            source = request.continuation.source_plan
            frequency = source["frequency"]
            start = source["start_s"] + request.continuation.continue_at
        words = lyric_words(request.lyrics)
        step = seconds / max(1, len(words))
        timings = [WordTiming(w, i * step, (i + 0.8) * step) for i, w in enumerate(words)]
        plan = {
            "engine": "tone",
            "seed": request.seed,
            "variant": request.variant,
            "frequency": frequency,
            "start_s": start,
            "duration_s": seconds,
        }
        return ToneRender(
            request,
            seconds,
            start,
            frequency,
            has_vocal=not request.instrumental,
            words=timings,
            plan=plan,
        )

    @staticmethod
    def fail_if_asked(request: PlanRequest) -> None:
        if "fail-always" in request.tags:
            raise EngineError("the tone engine was asked to fail")
        if "fail-once" in request.tags:
            state = Path(os.environ["TONE_STATE_DIR"]) / f"{request.seed}-{request.variant}"
            if not state.exists():
                state.touch()
                raise RuntimeError("failing on the first attempt, as asked")
