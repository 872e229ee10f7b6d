"""Errors in the shape of the dialect that owns the request, with the HTTP status.

Every dialect builds its own body and spells the field its own way (``api/dialects``); the
message always names the field and the limit.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from openchirp.api.dialects.base import Responses, error_responses
from openchirp.api.dialects.registry import FALLBACK, Dialects
from openchirp.core.errors import OpenChirpError
from openchirp.core.text import repair
from openchirp.db.database import is_disk_full

log = logging.getLogger("openchirp.api")


def responses(*statuses: int) -> Responses:
    """OpenAPI declarations of error statuses, for routes outside every dialect."""
    return error_responses(FALLBACK.error_model, *statuses)


def _route_path(request: Request) -> str:
    """The path of the route that matched, as declared (the request's path when none did)."""
    route = request.scope.get("route")
    return getattr(route, "path", None) or request.url.path


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    parts, first_field = [], None
    for err in exc.errors():
        if err.get("type") == "json_invalid" or tuple(err.get("loc", ())) == ("body",):
            # The body as a whole (a JSON error's position is no field): say what to send.
            first_field = first_field or "body"
            parts.append(_body_sentence(err))
            continue
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or "body"
        first_field = first_field or field
        msg = err.get("msg", "invalid")
        ctx = err.get("ctx") or {}
        if "max_length" in ctx:
            msg = f"at most {ctx['max_length']} characters"
        parts.append(f"{field}: {msg}")
    return "; ".join(parts) or "invalid request", first_field


def _body_sentence(err: Any) -> str:
    """What is wrong with the body as a whole, as a sentence that says what to send."""
    if err.get("type") == "json_invalid":
        why = (err.get("ctx") or {}).get("error")
        detail = f" ({str(why).lower()})" if why else ""
        return f"The request body is not valid JSON{detail}: send a JSON object."
    if err.get("type") == "missing":
        return "The request body is empty: send a JSON object."
    return "The request body must be a JSON object, not an array, string, number or null."


def install(app: FastAPI, dialects: Dialects) -> None:
    @app.exception_handler(OpenChirpError)
    async def _domain(request: Request, exc: OpenChirpError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        headers = getattr(exc, "headers", None) or headers  # e.g. a 416's Content-Range
        dialect = dialects.owner(request)
        name = dialect.field_name(exc.field, _route_path(request))
        status = dialect.status_of(exc.status_code, exc)
        return JSONResponse(
            repair(dialect.error_body(status, exc.message_for(name), name), "an error message"),
            status_code=status,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Validation names the fields as the client sent them: nothing to respell.
        message, field = _validation_message(exc)
        dialect = dialects.owner(request)
        status = dialect.status_of(422, exc)
        body = repair(dialect.error_body(status, message, field), "an error message")
        return JSONResponse(body, status_code=status)

    async def _disk_full(request: Request, exc: Exception) -> JSONResponse:
        if not is_disk_full(exc):
            raise exc  # a real 500: the server error middleware answers and logs it
        log.error("disk full while answering %s %s: %s", request.method, request.url.path, exc)
        message = "the server's disk is full: nothing was saved; try again later"
        dialect = dialects.owner(request)
        status = dialect.status_of(507, exc)
        body = dialect.error_body(status, message, None)
        return JSONResponse(body, status_code=status, headers={"Retry-After": "60"})

    for kind in (OSError, DBAPIError):
        app.add_exception_handler(kind, _disk_full)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        dialect = dialects.owner(request)
        status = dialect.status_of(exc.status_code, exc)
        body = repair(dialect.error_body(status, str(exc.detail), None), "an error message")
        return JSONResponse(body, status_code=status, headers=exc.headers)
