"""The server's 4xx and 5xx answers as exceptions, one class per kind, naming the field."""

from __future__ import annotations

from typing import Any

from openchirp.client.models import Clip


class OpenChirpError(Exception):
    """Anything the client raises."""


class ApiError(OpenChirpError):
    """The server answered an error: ``status``, its ``message`` and the ``field`` it names."""

    def __init__(self, status: int, message: str, field: str | None = None, body: Any = None):
        self.status = status
        self.message = message
        self.field = field
        self.body = body
        where = f" [{field}]" if field else ""
        super().__init__(f"{status}{where}: {message}")


class InvalidRequest(ApiError):
    """400 or 422: a field is missing, too long or of the wrong type."""


class Unauthorized(ApiError):
    """401 or 403: no key, a wrong or revoked one."""


class NotFound(ApiError):
    """404: no such clip or task (or not yours)."""


class Conflict(ApiError):
    """409: not now, e.g. extending a clip that is not complete."""


class OutOfCredits(ApiError):
    """429: this month's credits are spent."""


class ServerError(ApiError):
    """5xx: the server failed; retrying may help."""


class ClipFailed(OpenChirpError):
    """A clip waited for ended in ``error``."""

    def __init__(self, clip: Clip):
        self.clip = clip
        super().__init__(f"clip {clip.id} failed: {clip.error_message or 'no reason given'}")


class WaitTimeout(OpenChirpError, TimeoutError):
    """Clips were not finished in time; ``clips`` holds where they were."""

    def __init__(self, clips: list[Clip], timeout: float):
        self.clips = clips
        states = ", ".join(f"{c.id} {c.status}" for c in clips)
        super().__init__(f"clips not finished after {timeout:g} s: {states}")


BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    409: Conflict,
    413: InvalidRequest,
    422: InvalidRequest,
    429: OutOfCredits,
}


def error_for(status: int, body: Any, text: str = "") -> ApiError:
    """The exception for an error answer in any of the server's dialects' shapes."""
    message, field = _message_and_field(body)
    kind = BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    return kind(status, message or text.strip() or f"HTTP {status}", field, body)


def _message_and_field(body: Any) -> tuple[str | None, str | None]:
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):  # OpenAI's {"error": {"message", "param"}}
        return error.get("message"), error.get("param")
    if isinstance(error, str):  # gcui's {"error", "field"}
        return error, body.get("field")
    if isinstance(body.get("message"), str):  # sunoapi.com's {"code", "message", "data"}
        return body["message"], body.get("field")
    detail = body.get("detail")
    return (detail if isinstance(detail, str) else None), None
