"""Readiness: ``/readyz`` says whether this server can take songs and make them, and a create
accepted while no worker consumes the queue says so in its answer.

Each check is a function of the app returning a :class:`Check`; ``CHECKS`` is the list the
route runs, so another way of running workers (an external queue) adds its own.
``/healthz`` (in app.py) stays the cheap liveness probe.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openchirp.api.broker import broker_ready
from openchirp.api.dialects.registry import Dialects

log = logging.getLogger("openchirp.health")
QUEUE_HEADER = "X-OpenChirp-Queue"


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


def consumers(app: FastAPI) -> tuple[str, int | None]:
    """("embedded", live workers) when this server runs its own pool; ("external", None) when
    workers run elsewhere (``OPENCHIRP_WORKERS=0`` and ``openchirp worker``)."""
    pool = getattr(app.state, "pool", None)
    if pool is None:
        return "external", None
    return "embedded", pool.live()


def check_workers(app: FastAPI) -> Check:
    mode, live = consumers(app)
    if live is None:
        return Check(True, {"mode": mode})
    pool = app.state.pool
    return Check(live > 0, {"mode": mode, "live": live, "expected": pool.size})


def check_database(app: FastAPI) -> Check:
    try:
        with app.state.db.read() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return Check(False, {"error": type(exc).__name__})
    return Check(True)


STORAGE_PROBE_KEY = ".readyz"
STORAGE_TIMEOUT_S = 5.0
_store_probes = ThreadPoolExecutor(1, thread_name_prefix="readyz-storage")
"""One probe at a time: while one hangs (a store that does not answer, its client retrying),
later ones wait behind it and time out too, instead of piling up threads."""


def check_storage(app: FastAPI) -> Check:
    """The workspace (where every job writes) takes a file, and the store where finished files
    go answers (an S3 endpoint: a HEAD of a key that need not exist)."""
    storage = app.state.storage
    try:
        with tempfile.NamedTemporaryFile(dir=storage.workspace.root, prefix=".readyz-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as exc:
        return Check(False, {"error": exc.strerror or type(exc).__name__})
    try:
        _store_probes.submit(storage.stat, STORAGE_PROBE_KEY).result(timeout=STORAGE_TIMEOUT_S)
    except FutureTimeout:
        return Check(False, {"error": f"the store did not answer in {STORAGE_TIMEOUT_S:g} s"})
    except Exception as exc:  # noqa: BLE001 - any failure of the store means not ready
        log.warning("storage not ready: %s: %s", type(exc).__name__, exc)
        return Check(False, {"error": type(exc).__name__})
    return Check(True)


def check_disk(app: FastAPI) -> Check:
    minimum = app.state.settings.min_free_disk_bytes
    try:
        free = shutil.disk_usage(app.state.storage.workspace.root).free
    except OSError as exc:
        return Check(False, {"error": exc.strerror or type(exc).__name__})
    return Check(free >= minimum, {"free_bytes": free, "min_free_bytes": minimum})


def check_broker(app: FastAPI) -> Check:
    """The distributed queue's broker answers (always true on the embedded queue)."""
    settings = app.state.settings
    if not settings.queue_url:
        return Check(True, {"queue": "embedded"})
    return Check(broker_ready(settings), {"queue": "celery"})


CHECKS: dict[str, Callable[[FastAPI], Check]] = {
    "database": check_database,
    "broker": check_broker,
    "workers": check_workers,
    "storage": check_storage,
    "disk": check_disk,
}

router = APIRouter(tags=["server"])


def readiness(app: FastAPI) -> dict[str, Any]:
    checks = {name: check(app) for name, check in CHECKS.items()}
    ready = all(c.ok for c in checks.values())
    return {
        "status": "ready" if ready else "not ready",
        "checks": {name: {**asdict(c)["detail"], "ok": c.ok} for name, c in checks.items()},
    }


@router.get(
    "/readyz",
    responses={503: {"description": "Not ready: the failing checks say why"}},
)
async def readyz(request: Request) -> JSONResponse:
    """Database reachable, workers consuming the queue, storage writable, disk not full."""
    body = await run_in_threadpool(readiness, request.app)
    return JSONResponse(body, status_code=200 if body["status"] == "ready" else 503)


class QueueHeader:
    """A successful POST to a dialect's routes while no worker consumes the queue is still
    accepted (the jobs wait for a worker), but its answer carries ``X-OpenChirp-Queue:
    no-consumer`` and the log says so."""

    def __init__(self, app: ASGIApp, dialects: Dialects, owner: FastAPI) -> None:
        self.app = app
        self.dialects = dialects
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or self.dialects.claimant(scope["path"]) is None
        ):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 300:
                mode, live = consumers(self.owner)
                if live == 0:
                    log.warning(
                        "accepted %s while no worker consumes the queue: it waits until one starts",
                        scope["path"],
                    )
                    headers = [
                        *message.get("headers", []),
                        (QUEUE_HEADER.lower().encode(), b"no-consumer"),
                    ]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def install(app: FastAPI, dialects: Dialects) -> None:
    """The middleware; the app includes ``router`` after the dialects' polls."""
    app.add_middleware(QueueHeader, dialects=dialects, owner=app)
