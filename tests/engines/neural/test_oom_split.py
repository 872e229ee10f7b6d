"""Out of memory on the device, handled by the worker for every batching engine (jobs/oom.py):
the batch is split in halves, a clip that does not fit alone fails with ``out_of_memory``, the
others are made, and the engine keeps serving. Both neural engines on their tiny random models,
their ``simulate_oom_tag`` option raising torch's own out-of-memory error where a GPU would."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openchirp.engines.base import AudioBlock, PlanRequest
from tests.support.neural import ACESTEP_OPTIONS, OOM_TAG, require_neural, tiny_acestep

require_neural()

import torch  # noqa: E402

from openchirp.engines.acestep.engine import AceStepEngine  # noqa: E402
from openchirp.engines.musicgen.engine import MusicgenEngine  # noqa: E402
from openchirp.engines.musicgen.tiny import write_tiny  # noqa: E402
from openchirp.engines.neural.runtime import OutOfMemory  # noqa: E402
from openchirp.jobs.oom import Primed, plan_fitting  # noqa: E402

MUSICGEN = {"duration_s": 0.8, "window_s": 1.0, "prompt_s": 0.3, "block_s": 0.2, "max_batch": 4}


@pytest.fixture(scope="module")
def acestep(tmp_path_factory: pytest.TempPathFactory) -> AceStepEngine:
    folder = tiny_acestep(tmp_path_factory)
    return AceStepEngine(
        **{**ACESTEP_OPTIONS, "model_dir": str(folder), "simulate_oom_tag": OOM_TAG}
    )


@pytest.fixture(scope="module")
def musicgen(tmp_path_factory: pytest.TempPathFactory) -> MusicgenEngine:
    folder = tmp_path_factory.mktemp("musicgen-tiny")
    write_tiny(folder)
    return MusicgenEngine(str(folder), simulate_oom_tag=OOM_TAG, **MUSICGEN)


def request(variant: int = 0, tags: str = "pop, bright") -> PlanRequest:
    return PlanRequest(lyrics="[Verse]\nla la", tags=tags, seed=7, variant=variant)


def pcm_of(render: Any) -> np.ndarray:
    return np.concatenate([b.mix for b in render.blocks()])


@pytest.mark.parametrize("name", ["acestep", "musicgen"])
def test_the_clip_that_does_not_fit_fails_alone_and_the_others_are_made(
    name: str, request_engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    engine, frames = request_engine(name)
    wanted = [request(0), request(1, tags=f"pop, {OOM_TAG}"), request(2), request(3)]
    with caplog.at_level(logging.WARNING, "openchirp.worker"):
        renders = plan_fitting(engine, name, wanted)
    assert len(renders) == 4
    for i in (0, 2, 3):
        pcm = pcm_of(renders[i])
        assert pcm.shape == (frames, 2) and np.isfinite(pcm).all()
    with pytest.raises(OutOfMemory) as caught:
        pcm_of(renders[1])
    assert caught.value.error_type == "out_of_memory" and caught.value.retry is False
    assert "ran out of memory making this song, even alone" in str(caught.value)
    # split 4 -> 2 + 2 -> 1 + 1: the drill's clip was tried alone before it failed
    sizes = [r.getMessage() for r in caplog.records if "out of memory with a batch" in r.message]
    assert [s.split("batch of ")[1].split(":")[0] for s in sizes] == ["4", "2", "1"]
    (again,) = plan_fitting(engine, name, [request(5)])  # the engine keeps serving
    assert pcm_of(again).shape == (frames, 2)


def test_the_engines_raise_out_of_memory_as_torch_does(request_engine: Any) -> None:
    """The engines handle none of it themselves: the worker's split is the only one."""
    for name in ("acestep", "musicgen"):
        engine, _ = request_engine(name)
        with pytest.raises(torch.cuda.OutOfMemoryError):
            for render in engine.plan_batch([request(0, tags=f"rock, {OOM_TAG}")]):
                pcm_of(render)


@pytest.fixture
def request_engine(request: pytest.FixtureRequest) -> Any:
    def get(name: str) -> tuple[Any, int]:
        engine = request.getfixturevalue(name)
        if name == "acestep":
            return engine, 48_000
        rate = engine.loaded.sampling_rate
        return engine, round(MUSICGEN["duration_s"] * engine.loaded.frame_rate) * (
            rate // engine.loaded.frame_rate
        )

    return get


@dataclass
class Streaming:
    """A render whose device runs out after its first block (a later window of a long clip)."""

    sample_rate: int = 8_000
    plan: dict[str, Any] = field(default_factory=lambda: {"made": "so far"})

    def blocks(self) -> Iterator[AudioBlock]:
        yield AudioBlock(mix=np.zeros((8, 2), np.float32))
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_out_of_memory_after_the_first_audio_ends_that_clip(tmp_path: Path) -> None:
    inner = Streaming()
    blocks = inner.blocks()
    primed = Primed(inner, [next(blocks)], blocks, "cpu")
    assert primed.sample_rate == 8_000 and primed.plan == {"made": "so far"}
    got = primed.blocks()
    assert next(got).mix.shape == (8, 2)
    with pytest.raises(OutOfMemory, match="after its first audio"):
        next(got)
