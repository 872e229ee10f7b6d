"""What sunoapi.org clients see besides the routes: the ``{code, msg, data}`` envelope, errors,
task ids, model names, and task states. Pure functions; no routes here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from openchirp.api.dialects import spellings
from openchirp.api.dialects.base import Responses
from openchirp.core.clip import ClipStatus
from openchirp.core.errors import TooLong

FIELD_NAMES = {
    "lyrics": "prompt",
    "description": "prompt",
    "tags": "style",
    "negative_tags": "negativeTags",
    "clip_id": "audioId",
    "continue_at": "continueAt",
    "task_id": "taskId",
    "upload_url": "uploadUrl",
    "file_url": "fileUrl",
}

MODEL_SPELLINGS = {**spellings.EVERY, "v4_5all": "chirp-auk"}
"""sunoapi.org's ``model`` enum (``V4_5ALL`` is its v4.5 for every plan), and all the others."""

MODEL_NAMES = {
    "chirp-v3-0": "V3_0",
    "chirp-v3-5": "V3_5",
    "chirp-v4": "V4",
    "chirp-auk": "V4_5",
    "chirp-auk-turbo": "V4_5",
    "chirp-bluejay": "V4_5PLUS",
    "chirp-crow": "V5",
    "chirp-fenix": "V5_5",
}
"""Model key -> the name sunoapi.org clients read back in ``modelName`` (and send again to
extend: one client validates it against the enum)."""


class SunoApiOrgError(BaseModel):
    code: int
    msg: str
    data: None = None


ERROR_DESCRIPTIONS = {
    400: "Invalid parameters: the message names the field",
    401: "Missing or invalid API key",
    404: "Not found",
    413: "A field is over its limit: the message names the field and the limit",
    429: "Out of credits",
    507: "The server's disk is full: nothing was created",
}


def responses(*statuses: int) -> Responses:
    return {s: {"model": SunoApiOrgError, "description": ERROR_DESCRIPTIONS[s]} for s in statuses}


def error_body(status: int, message: str, field: str | None) -> dict[str, Any]:
    return {"code": status, "msg": message, "data": None}


def error_status(status: int, exc: Exception) -> int:
    """sunoapi.org's codes: 413 for a field over its limit, 400 for any other invalid input."""
    if isinstance(exc, TooLong):
        return 413
    if status in (409, 422):
        return 400
    return status


def ok(data: Any) -> JSONResponse:
    return JSONResponse({"code": 200, "msg": "success", "data": data})


# -- task ids: 32 lowercase hex characters (clip ids stay UUIDs) --------------------------------

HEX_ID = re.compile(r"^[0-9a-fA-F]{32}$")


def task_id(stored_id: str) -> str:
    """A stored id (a UUID) as sunoapi.org spells task ids."""
    return uuid.UUID(stored_id).hex


def stored_id(client_id: str) -> str:
    """The stored id of a task id a client sends: the hex form or the UUID itself."""
    client_id = client_id.strip()
    return str(uuid.UUID(client_id)) if HEX_ID.match(client_id) else client_id


def model_name(key: str) -> str:
    return MODEL_NAMES.get(key, key)


# -- task states ---------------------------------------------------------------------------------

SENSITIVE = ("moderation", "sensitive")
"""Words in a clip's error_type that mean the input was refused for its content."""


def song_status(clips: Sequence[tuple[str, str | None]]) -> str:
    """A music task's status from its clips' (status, error_type): any failure fails the task;
    TEXT_SUCCESS once lyrics and title are fixed and audio streams, FIRST_SUCCESS once one clip is
    complete, SUCCESS once all are."""
    if not clips:
        return "PENDING"
    for status, error_type in clips:
        if status == ClipStatus.ERROR:
            sensitive = any(word in (error_type or "") for word in SENSITIVE)
            return "SENSITIVE_WORD_ERROR" if sensitive else "GENERATE_AUDIO_FAILED"
    statuses = [status for status, _ in clips]
    if all(s == ClipStatus.COMPLETE for s in statuses):
        return "SUCCESS"
    if ClipStatus.COMPLETE in statuses:
        return "FIRST_SUCCESS"
    if ClipStatus.STREAMING in statuses:
        return "TEXT_SUCCESS"
    return "PENDING"


FAILED_STATUSES = ("GENERATE_AUDIO_FAILED", "SENSITIVE_WORD_ERROR")


def lyrics_status(status: str) -> str:
    """A lyrics task's status from its row's."""
    return {"complete": "SUCCESS", "error": "GENERATE_LYRICS_FAILED"}.get(status, "PENDING")


def task_flag(state: str, failed: str) -> str:
    """The ``successFlag`` of a wav, mp4 or stems task (``failed`` names its failure)."""
    return {"success": "SUCCESS", "failed": failed}.get(state, "PENDING")


def cover_flag(state: str) -> int:
    """The ``successFlag`` of a cover-art task: 0 pending, 1 success, 3 failed."""
    return {"success": 1, "failed": 3}.get(state, 0)
