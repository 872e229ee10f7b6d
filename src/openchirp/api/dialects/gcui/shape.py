"""What gcui-art/suno-api clients see besides the routes: errors, field and model names."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from openchirp.api.dialects import spellings
from openchirp.api.dialects.base import Responses, error_responses

FIELD_NAMES = {"lyrics": "prompt", "description": "prompt", "clip_id": "audio_id"}
MODEL_SPELLINGS = spellings.EVERY


class GcuiError(BaseModel):
    error: str
    field: str | None = None


def error_body(status: int, message: str, field: str | None) -> dict[str, Any]:
    return {"error": message, "field": field}


def responses(*statuses: int) -> Responses:
    return error_responses(GcuiError, *statuses)
