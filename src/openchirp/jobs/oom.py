"""Out of memory on a model's device splits the batch, not the worker.

Every batching engine (``plan_batch``: a model on a GPU) goes through :func:`plan_fitting`. A
batch that runs out of memory is tried again in halves, down to single clips; a clip that does
not fit alone gets a render that fails with :class:`OutOfMemory` (its clip ends in ``error``
with ``out_of_memory`` at once: the same clip would run out again), and the other clips of the
batch go on. An engine may run out when it plans (the whole audio made in ``plan_batch``) or
when the audio is first asked for (one that streams, generating in a thread): each clip's first
block is taken here, before any of it reaches a file, so both are split alike. Running out
after a clip's first audio has streamed ends that clip (its growing mp3 is already out).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from itertools import chain
from typing import Any

from openchirp.engines.base import SAMPLE_RATE, AudioBlock, FailedRender, PlanRequest, Render
from openchirp.engines.neural import runtime
from openchirp.engines.neural.runtime import OutOfMemory
from openchirp.jobs.device import device_of

log = logging.getLogger("openchirp.worker")


def plan_fitting(engine: Any, name: str, requests: list[PlanRequest]) -> list[Render]:
    """``engine.plan_batch(requests)``, each render's first block already taken; halves of the
    batch again after an out-of-memory error. One render per request, same order."""
    if not requests:
        return []
    out: list[Render | None] = [None] * len(requests)
    short: list[int] = []  # the requests whose batch ran out of memory
    try:
        renders = engine.plan_batch(requests)
    except Exception as exc:
        if not runtime.is_out_of_memory(exc):
            raise
        reason = _reason(exc)  # nothing of the failed call may hold device memory on
        short = list(range(len(requests)))
    else:
        for i, render in enumerate(renders):
            try:
                out[i] = _primed(render, engine)
            except Exception as exc:  # noqa: BLE001 - this clip's; raised from its first block
                if runtime.is_out_of_memory(exc):
                    reason, short = _reason(exc), [*short, i]
                else:
                    out[i] = FailedRender(exc, render.sample_rate)
        del renders  # the ones that ran out hold the error, whose frames hold device tensors
    if short:
        runtime.release_cached(device_of(engine) or "cpu")
        log.warning("%s: out of memory with a batch of %d: %s", name, len(requests), reason)
        if len(requests) == 1:
            out[0] = FailedRender(_too_big(), getattr(engine, "sample_rate", SAMPLE_RATE))
        else:
            # The clips that ran out, again in halves (a lone one: alone, as it never was).
            half = max(1, len(short) // 2)
            parts = [short[:half], short[half:]] if len(short) > 1 else [short]
            for part in parts:
                for i, render in zip(
                    part, plan_fitting(engine, name, [requests[i] for i in part]), strict=True
                ):
                    out[i] = render
    return [r for r in out if r is not None]


def _reason(exc: BaseException) -> str:
    """The error's first line; the exception (and the frames holding tensors) is let go."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _too_big() -> OutOfMemory:
    return OutOfMemory(
        "the GPU ran out of memory making this song, even alone in its batch; "
        "try a shorter song, or again later"
    )


def _primed(render: Render, engine: Any) -> Render:
    """The render with its first block taken (where a streaming engine runs out, if it does)."""
    blocks = iter(render.blocks())
    first = next(blocks, None)
    return Primed(render, [] if first is None else [first], blocks, device_of(engine) or "cpu")


class Primed:
    """A render whose first block was taken; a later out-of-memory error ends this clip."""

    def __init__(
        self, inner: Render, first: list[AudioBlock], rest: Iterator[AudioBlock], device: str
    ) -> None:
        self.inner = inner
        self._blocks = chain(first, rest)
        self._device = device

    def __getattr__(self, name: str) -> Any:  # sample_rate, plan (may change as it is made)...
        return getattr(self.inner, name)

    def blocks(self) -> Iterator[AudioBlock]:
        try:
            yield from self._blocks
        except Exception as exc:
            if not runtime.is_out_of_memory(exc):
                raise
            reason = _reason(exc)
        else:
            return
        runtime.release_cached(self._device)
        raise OutOfMemory(
            "the GPU ran out of memory while making this song, after its first audio; "
            "try a shorter song, or again later"
        ) from RuntimeError(reason)
