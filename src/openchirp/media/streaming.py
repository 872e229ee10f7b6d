"""Serving a file that is still being written.

Convention: the producer of a growing file writes ``<path>.done`` (empty) once the file is
final, whether it finished or failed. :class:`~openchirp.media.audio.Mp3StreamWriter` does it
on close; anything else that streams must call :func:`mark_done`. Readers tail the file until
the marker appears, then send the remainder.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO

from openchirp.storage.workspace import done_path


def mark_done(path: Path) -> None:
    done_path(path).touch()


def is_done(path: Path) -> bool:
    return done_path(path).exists()


def clear_done(path: Path) -> None:
    """Called when a producer (re)starts a file, so readers do not stop at a stale marker."""
    done_path(path).unlink(missing_ok=True)


async def tail_file(
    path: Path,
    is_finished: Callable[[], bool] | None = None,
    *,
    start: int = 0,
    end: int | None = None,
    chunk_size: int = 64 * 1024,
    poll_s: float = 0.05,
    stall_timeout_s: float | None = 120.0,
    opener: Callable[[], BinaryIO] | None = None,
) -> AsyncIterator[bytes]:
    """Yield the bytes of ``path`` from ``start`` (to ``end``, exclusive) as they are appended.

    Stops once ``is_finished()`` is true (default: the ``.done`` marker exists) and everything
    written before that has been sent, or at ``end``. ``stall_timeout_s`` ends the stream when
    the file neither grows nor finishes for that long (a producer that died without marking).
    Waits for the file to appear. Reads are plain blocking reads: a local file read of one chunk
    from the page cache costs microseconds, less than a hop to a thread.
    """
    finished = is_finished or (lambda: is_done(path))
    pos = start
    last_progress = time.monotonic()

    def stalled() -> bool:
        return stall_timeout_s is not None and time.monotonic() - last_progress > stall_timeout_s

    while not os.path.exists(path):
        if finished() or stalled():
            return
        await asyncio.sleep(poll_s)

    # ``opener``: how to open it (the API opens it without following links).
    with opener() if opener is not None else open(path, "rb") as f:
        while end is None or pos < end:
            # Look at the flag *before* reading: whatever was written before it was set is on
            # disk, so reading to EOF afterwards cannot miss a tail.
            done = finished()
            f.seek(pos)
            want = chunk_size if end is None else min(chunk_size, end - pos)
            data = f.read(want)
            if data:
                pos += len(data)
                last_progress = time.monotonic()
                yield data
                continue
            if done or stalled():
                return
            await asyncio.sleep(poll_s)
