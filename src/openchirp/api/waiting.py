"""Waiting for a batch's audio, for the routes that answer only once it plays (wait_audio, chat)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi.concurrency import run_in_threadpool

from openchirp.core.clip import ClipStatus
from openchirp.core.service import Service

WAIT_POLL_S = 0.25


async def wait_for_audio(
    service: Service, user: Any, ids: list[str], timeout: float
) -> list[dict[str, Any]]:
    """Until every clip plays (streaming or complete), or all failed, or the bounded wait runs
    out. Polls with short reads; holds no database session while waiting."""
    deadline = time.monotonic() + timeout
    while True:
        clips = await run_in_threadpool(service.clips, user, ids)
        playable = all(
            c["status"] in (ClipStatus.STREAMING, ClipStatus.COMPLETE, ClipStatus.ERROR)
            for c in clips
        )
        if playable or time.monotonic() >= deadline:
            return clips
        await asyncio.sleep(WAIT_POLL_S)
