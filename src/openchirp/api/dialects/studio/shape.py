"""What Suno's studio answers besides the clips: errors as its FastAPI backend does.

``{"detail": message}``; a missing, expired or forged token is exactly
``401 {"detail": "Unauthorized"}``, which clients compare to decide to renew it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from openchirp.api.dialects.base import Responses, error_responses


class StudioError(BaseModel):
    detail: str


def error_body(status: int, message: str, field: str | None) -> dict[str, Any]:
    return {"detail": "Unauthorized" if status == 401 else message}


def responses(*statuses: int) -> Responses:
    return error_responses(StudioError, *statuses)
