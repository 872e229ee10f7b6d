"""Device memory of a worker's model engines, reported to the database for /metrics.

A worker reports an engine's figures when it has loaded it, after each batch, and every
``REFRESH_S`` while idle (so /metrics tells a live worker from one that died: a dead one's rows
age out); it forgets its rows when it stops. Engines without a device (the built-in one) report
nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from openchirp.db import stats
from openchirp.db.database import Database
from openchirp.engines.neural import runtime

log = logging.getLogger("openchirp.worker")

REFRESH_S = 15.0
MIB = 1024 * 1024

_watched: dict[str, dict[str, str]] = {}
"""worker -> engine name -> device, for the idle refresh."""
_last: dict[str, float] = {}
_lock = threading.Lock()


def device_of(engine: Any) -> str | None:
    """The engine's device (a model engine's ``device``); None: it has none."""
    device = getattr(engine, "device", None)
    return None if device is None else str(device)


def figures(device: str) -> dict[str, float]:
    """Bytes per kind: allocated, reserved, peak, free, total on a GPU; peak_rss on a CPU."""
    return {k.removesuffix("_mib"): v * MIB for k, v in runtime.memory(device).items()}


def report(db: Database, worker: str, name: str, engine: Any) -> None:
    """Record the engine's device memory now (and watch it for the idle refresh)."""
    device = device_of(engine)
    if device is None:
        return
    with _lock:
        _watched.setdefault(worker, {})[name] = device
    _record(db, worker, name, device)


def refresh(db: Database, worker: str) -> None:
    """Every ``REFRESH_S``: record the worker's watched engines again."""
    now = time.monotonic()
    with _lock:
        if now - _last.get(worker, 0.0) < REFRESH_S:
            return
        _last[worker] = now
        watched = dict(_watched.get(worker, {}))
    for name, device in watched.items():
        _record(db, worker, name, device)


def forget(db: Database, worker: str) -> None:
    with _lock:
        _watched.pop(worker, None)
        _last.pop(worker, None)
    try:
        with db.write() as conn:
            stats.forget_device_memory(conn, worker)
    except Exception:  # noqa: BLE001 - the rows age out of /metrics anyway
        log.warning("could not remove worker %s's device memory figures", worker, exc_info=True)


def _record(db: Database, worker: str, name: str, device: str) -> None:
    try:
        measured = figures(device)
        with db.write() as conn:
            stats.record_device_memory(conn, worker, name, measured)
    except Exception:  # noqa: BLE001 - a figure missed is no reason to stop serving
        log.warning("could not record %s's device memory", name, exc_info=True)
