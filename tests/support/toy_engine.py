"""A toy engine that takes options, to show an engine is one module and a line of configuration:

    OPENCHIRP_ENGINES='{"toy": "tests.support.toy_engine:ToyEngine"}'
    OPENCHIRP_ENGINE_OPTIONS='{"toy": {"frequency": 330.0, "seconds": 1.5}}'

It hums one sine for the clip (instrumental whatever the lyrics). A continuation keeps its
source's frequency (engines/base.py: a continuation ignores tags).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from openchirp.engines.base import SAMPLE_RATE, AudioBlock, PlanRequest, WordTiming

BLOCK = SAMPLE_RATE // 4


@dataclass
class ToyRender:
    duration_s: float
    frequency: float
    start_s: float
    sample_rate: int = SAMPLE_RATE
    has_vocal: bool = False
    words: list[WordTiming] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)

    def blocks(self) -> Iterator[AudioBlock]:
        total = round(self.duration_s * self.sample_rate)
        offset = round(self.start_s * self.sample_rate)
        for begin in range(0, total, BLOCK):
            t = (offset + begin + np.arange(min(BLOCK, total - begin))) / self.sample_rate
            tone = (0.2 * np.sin(2 * np.pi * self.frequency * t)).astype(np.float32)
            mix = np.stack([tone, tone], axis=1)
            yield AudioBlock(mix=mix, stems={"instrumental": mix})


class ToyEngine:
    name = "toy"

    def __init__(self, *, frequency: float = 440.0, seconds: float = 1.0) -> None:
        if frequency <= 0 or seconds <= 0:
            raise ValueError("frequency and seconds must be positive")
        self.frequency = frequency
        self.seconds = seconds

    def plan(self, request: PlanRequest) -> ToyRender:
        frequency, start = self.frequency, 0.0
        if request.continuation is not None:
            source = request.continuation.source_plan
            frequency = source["frequency"]
            start = source["start_s"] + request.continuation.continue_at
        plan = {"engine": self.name, "frequency": frequency, "start_s": start}
        return ToyRender(min(self.seconds, request.max_duration_s), frequency, start, plan=plan)
