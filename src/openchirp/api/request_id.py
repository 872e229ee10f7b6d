"""The request id: the client's ``X-Request-ID`` or a new one, set for the request's code (and
its log lines) and handed to the jobs the request queues (jobs/celery_queue.py)."""

from __future__ import annotations

import uuid

from starlette.types import ASGIApp, Receive, Scope, Send

from openchirp import logs

HEADER = b"x-request-id"


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(HEADER, b"").decode("latin-1")[:64]
        token = logs.request_id.set(given or uuid.uuid4().hex)
        try:
            await self.app(scope, receive, send)
        finally:
            logs.request_id.reset(token)
