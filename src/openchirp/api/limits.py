"""Checks that run before a request's body is read: its size, repeated query parameters, and
who is asking.

An ASGI middleware, so a body is never buffered to be refused: a declared ``Content-Length``
over the limit is answered at once, a chunked body is counted while it streams, and a request
to a dialect's routes that carries no credentials at all gets its 401 before a byte of the body
is read (an unauthenticated 300 MiB body once took the server to 1 GB before its 401). Errors
come in the shape of the dialect that owns the path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openchirp.api.dialects.registry import Dialects
from openchirp.config import Settings
from openchirp.core.errors import OpenChirpError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_upload(path: str) -> bool:
    """Routes that take files (``/api/file-*-upload``) may have the larger upload limit."""
    return path.startswith("/api/file-") and path.endswith("-upload")


def repeated_query(query_string: bytes) -> str | None:
    """The first query parameter given more than once, or None: "last wins" would let a
    client's two values disagree with what a proxy or a log saw."""
    seen: set[str] = set()
    for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            return name
        seen.add(name)
    return None


class RequestLimits:
    def __init__(self, app: ASGIApp, dialects: Dialects, settings: Settings) -> None:
        self.app = app
        self.dialects = dialects
        self.settings = settings

    def limit_for(self, path: str) -> int:
        json_limit = self.settings.max_body_bytes
        if is_upload(path):  # the file, base64 encoded (4 bytes for 3), and its envelope
            return self.settings.upload_max_bytes * 4 // 3 + json_limit
        return json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"]:  # no resource is named with a NUL (files, clips, tasks)
            await self._error(Request(scope), 404, "not found", None)(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        name = repeated_query(query) if b"&" in query else None  # polls rarely have two
        if name is not None:
            message = f"the query parameter {name} is given more than once; give it once"
            await self._error(Request(scope), 422, message, name)(scope, receive, send)
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limit = self.limit_for(request.url.path)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(request, limit)(scope, receive, send)
            return
        if (
            self.dialects.claimant(request.url.path) is not None
            and "authorization" not in request.headers
            and "cookie" not in request.headers
        ):
            # No credentials at all, before the body is read. A wrong key is left to the route
            # (each dialect has its own auth: sessions, tokens, lenient keys); its body is
            # bounded by the limit all the same.
            try:
                request.app.state.auth.token(None, None)
            except OpenChirpError as exc:
                response = self._error(request, exc.status_code, exc.message, exc.field)
                response.headers["WWW-Authenticate"] = "Bearer"
                await response(scope, receive, send)
                return
        await self.app(scope, _counting(receive, limit), send)

    def _too_large(self, request: Request, limit: int) -> JSONResponse:
        return self._error(request, 413, too_large_message(limit), None)

    def _error(self, request: Request, status: int, message: str, field: str | None) -> Any:
        dialect = self.dialects.owner(request)
        status = dialect.status_of(status, OpenChirpError(message, field=field))
        return JSONResponse(dialect.error_body(status, message, field), status_code=status)


def too_large_message(limit: int) -> str:
    return f"the request body is larger than this server accepts ({limit} bytes at most)"


def _counting(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses a body (chunked, or longer than declared) past ``limit``: the
    route's body parsing turns the HTTPException into an error in its dialect's shape."""
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, too_large_message(limit))
        return message

    return counted


def install(app: FastAPI, dialects: Dialects) -> None:
    app.add_middleware(RequestLimits, dialects=dialects, settings=app.state.settings)
