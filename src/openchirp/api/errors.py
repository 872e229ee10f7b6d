"""Errors in each dialect's shape, and their OpenAPI declarations.

sunoapi.com answers ``{code, message, data}``; gcui-art/suno-api answers ``{error}``. Both get the
HTTP status too, and the message always names the field and the limit.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from openchirp.core.errors import OpenChirpError


class SunoApiError(BaseModel):
    code: int
    message: str
    data: None = None


class GcuiError(BaseModel):
    error: str
    field: str | None = None


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: int


class OpenAIError(BaseModel):
    error: OpenAIErrorDetail


# Domain field names as each dialect spells them (anything not listed keeps its name).
FIELD_NAMES_A = {"lyrics": "prompt", "description": "prompt", "clip_id": "continue_clip_id"}
FIELD_NAMES_B = {"lyrics": "prompt", "description": "prompt", "clip_id": "audio_id"}
FIELD_NAMES_BY_PATH = {
    "/api/concat": {"clip_id": "clip_id"},
    "/api/clip": {"clip_id": "id"},
    "/api/get_wav": {"clip_id": "id"},
    "/api/waveform": {"clip_id": "id"},
    "/api/get_aligned_lyrics": {"clip_id": "song_id"},
    "/v1/chat/completions": {"description": "messages"},
}


def field_name(path: str, field: str | None) -> str | None:
    if field is None:
        return None
    names = FIELD_NAMES_A if _is_dialect_a(path) else FIELD_NAMES_B
    names = FIELD_NAMES_BY_PATH.get(path, names)
    return names.get(field, field)


def _is_dialect_a(path: str) -> bool:
    return path.startswith(("/api/v2/", "/api/v1/suno/"))


def error_body(path: str, status: int, message: str, field: str | None) -> dict[str, Any]:
    if _is_dialect_a(path):
        return {"code": status, "message": message, "data": None}
    if path.startswith("/v1/"):  # OpenAI's error shape for the chat endpoint
        return {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": field,
                "code": status,
            }
        }
    return {"error": message, "field": field}


def responses(*statuses: int, dialect: str = "b") -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of error statuses; ``dialect`` is "a", "b" or "openai"."""
    model = {"a": SunoApiError, "openai": OpenAIError}.get(dialect, GcuiError)
    descriptions = {
        400: "The body is not valid JSON (or not UTF-8)",
        401: "Missing or invalid API key",
        404: "Not found",
        409: "The clip is not in a state that allows this",
        422: "Invalid input: the message names the field and the limit",
        429: "Out of credits for this month",
    }
    return {s: {"model": model, "description": descriptions[s]} for s in statuses}


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    parts, first_field = [], None
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or "body"
        first_field = first_field or field
        msg = err.get("msg", "invalid")
        ctx = err.get("ctx") or {}
        if "max_length" in ctx:
            msg = f"at most {ctx['max_length']} characters"
        parts.append(f"{field}: {msg}")
    return "; ".join(parts) or "invalid request", first_field


def install(app: FastAPI) -> None:
    @app.exception_handler(OpenChirpError)
    async def _domain(request: Request, exc: OpenChirpError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        path = request.url.path
        name = field_name(path, exc.field)
        return JSONResponse(
            error_body(path, exc.status_code, exc.message_for(name), name),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, field = _validation_message(exc)
        return JSONResponse(error_body(request.url.path, 422, message, field), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(request.url.path, exc.status_code, str(exc.detail), None),
            status_code=exc.status_code,
            headers=exc.headers,
        )
