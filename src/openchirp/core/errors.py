"""Failures a caller can cause. The API turns each into a 4xx in its dialect's shape."""

from __future__ import annotations


class OpenChirpError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.template = message
        self.field = field

    @property
    def message(self) -> str:
        return self.message_for(self.field)

    def message_for(self, field_name: str | None) -> str:
        """The message with ``{field}`` spelled as the caller's dialect names the field."""
        return self.template.replace("{field}", field_name or self.field or "")


class InvalidInput(OpenChirpError):
    status_code = 422


class TooLong(InvalidInput):
    """A field over its limit: a 422 like any invalid input (sunoapi.org answers 413)."""


class Unsupported(InvalidInput):
    """The configured engine cannot do the operation asked for."""


class NotFound(OpenChirpError):
    status_code = 404


class Unauthorized(OpenChirpError):
    status_code = 401


class QuotaExceeded(OpenChirpError):
    status_code = 429


class Conflict(OpenChirpError):
    """The request is well formed but the thing it names is not in a state that allows it."""

    status_code = 409


def limit_error(field: str, limit: int, model: str, got: int) -> TooLong:
    return TooLong(f"{{field}} is {got} characters; the limit for {model} is {limit}", field=field)
