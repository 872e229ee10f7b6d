"""The Suno task API of the "new-api" gateway family (QuantumNous/new-api, Calcium-Ion/new-api
and its many resellers): ``/suno/submit/{music,lyrics}`` and ``/suno/fetch``.

Every answer is ``{code, message, data}``: ``code`` is ``"success"`` or an error code string
(new-api's own: ``invalid_request``, ``task_not_exist``, ...). A task id is the batch id (music)
or the lyrics task id, as the documented examples show (a UUID, not new-api's newer ``task_...``
public ids): clients treat it as opaque. Tasks are new-api's ``TaskDto``: ``action`` MUSIC or
LYRICS, ``status`` NOT_START .. SUCCESS / FAILURE, ``progress`` "0%" .. "100%", unix-second times,
and ``data`` the canonical clips or the lyrics object.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from openchirp.api.deps import IdempotencyKey, ServiceDep, UserDep
from openchirp.api.dialects import spellings
from openchirp.api.dialects.base import (
    OPTIONAL_TEXT,
    Dialect,
    Responses,
    body_schema,
    error_responses,
    limited,
    nul_free,
    one_of_names,
)
from openchirp.core.clip import ClipStatus
from openchirp.core.errors import NotFound, OpenChirpError
from openchirp.core.models import model_names
from openchirp.core.requests import ExtendRequest, GenerateRequest
from openchirp.core.service import Service
from openchirp.db.records import BatchRecord, Clip, LyricsRecord, User


class NewApiError(BaseModel):
    code: str
    message: str
    data: None = None


ERROR_CODES = {400: "invalid_request", 401: "unauthorized", 409: "invalid_request"}
ERROR_CODES |= {422: "invalid_request", 429: "insufficient_user_quota"}


def error_body(status: int, message: str, field: str | None) -> dict[str, Any]:
    if status == 404:
        code = "task_not_exist" if field == "task_id" else "not_found"
    else:
        code = ERROR_CODES.get(status, "error")
    return {"code": code, "message": message, "data": None}


def responses(*statuses: int) -> Responses:
    return error_responses(NewApiError, *statuses)


router = APIRouter(tags=["new-api gateway (Suno tasks)"])
DIALECT = Dialect(
    name="newapi",
    prefixes=("/suno/",),
    error_model=NewApiError,
    error_body=error_body,
    routers=(router,),
    field_names={
        "lyrics": "prompt",
        "description": "gpt_description_prompt",
        "clip_id": "continue_clip_id",
        "model": "mv",
        "instrumental": "make_instrumental",
    },
    route_field_names={"/suno/submit/lyrics": {"description": "prompt"}},
    model_spellings={**spellings.EVERY, **spellings.SUNO_VERSIONED},
)


MV = Field(
    None,
    description="Model: chirp-v3-5, chirp-v4, chirp-auk ...",
    json_schema_extra=one_of_names(
        sorted({*model_names(), *spellings.SUNO_VERSIONED}), nullable=True
    ),
)
CLIP = "continue_clip_id"
WHAT = {
    "anyOf": [
        # An extension names its clip and the task that made it.
        {
            "properties": {"continue_clip_id": {"minLength": 1}, "task_id": {"minLength": 1}},
            "required": ["continue_clip_id", "task_id"],
        },
        # A song has lyrics, a description, or is instrumental.
        *(
            {"properties": {CLIP: {"maxLength": 0}, field: wanted}, "required": [field]}
            for field, wanted in (
                ("make_instrumental", {"const": True}),
                ("prompt", {"minLength": 1}),
                ("gpt_description_prompt", {"minLength": 1}),
            )
        ),
    ]
}


class SubmitMusic(BaseModel):
    model_config = ConfigDict(json_schema_extra=body_schema(**WHAT))
    prompt: str = Field(
        "",
        description="The lyrics (custom mode)",
        json_schema_extra={**limited("lyrics", "The lyrics (custom mode)"), **OPTIONAL_TEXT},
    )
    mv: str | None = MV
    title: str = Field("", json_schema_extra=limited("title"))
    tags: str = Field("", json_schema_extra=limited("tags", "The style"))
    make_instrumental: bool = False
    gpt_description_prompt: str = Field(
        "",
        description="The song described (inspiration mode)",
        json_schema_extra={
            **limited("description", "The song described (inspiration mode)"),
            **OPTIONAL_TEXT,
        },
    )
    continue_clip_id: str = Field("", description="Extend this clip (with task_id and continue_at)")
    continue_at: StrictFloat | None = None
    task_id: str = Field("", description="The task that made continue_clip_id")
    negative_tags: str = Field("", json_schema_extra=limited("tags", "Styles to avoid"))
    notify_hook: str | None = Field(None, description="Where the task's stages are posted")


class SubmitLyrics(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    prompt: str = Field(
        description="What the lyrics are about", json_schema_extra={"maxLength": 200}
    )
    notify_hook: str | None = None


class Fetch(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    ids: list[str] = Field(default_factory=list)
    action: str | None = Field(None, description="MUSIC or LYRICS: only tasks of this action")


def ok(data: Any) -> JSONResponse:
    return JSONResponse({"code": "success", "message": "", "data": data})


SUBMIT_ERRORS = responses(400, 401, 404, 409, 413, 422, 429, 507)


@router.post("/suno/submit/music", responses=SUBMIT_ERRORS)
def submit_music(
    body: SubmitMusic, service: ServiceDep, user: UserDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    model = DIALECT.model_key(body.mv)
    if body.continue_clip_id:
        # new-api continues a clip of an existing task: it insists on the task's id.
        if not body.task_id:
            raise OpenChirpError("{field} is required with continue_clip_id", field="task_id")
        service.batch(user, body.task_id)
        batch = service.extend(
            user,
            ExtendRequest(
                clip_id=body.continue_clip_id,
                continue_at=body.continue_at,
                lyrics=body.prompt,
                tags=body.tags,
                title=body.title,
                negative_tags=body.negative_tags,
                model=model,
                callback_url=body.notify_hook,
            ),
            idempotency_key,
        )
    else:
        described = bool(body.gpt_description_prompt) and not body.prompt
        batch = service.create(
            user,
            GenerateRequest(
                lyrics=body.prompt,
                tags=body.tags,
                title=body.title,
                negative_tags=body.negative_tags,
                instrumental=body.make_instrumental,
                model=model,
                description=body.gpt_description_prompt if described else None,
                callback_url=body.notify_hook,
            ),
            idempotency_key,
        )
    return ok(batch.id)


@router.post("/suno/submit/lyrics", responses=responses(400, 401, 422))
def submit_lyrics(body: SubmitLyrics, service: ServiceDep, user: UserDep) -> JSONResponse:
    # The lyrics use case takes no callback URL yet: notify_hook is accepted and not posted.
    return ok(service.submit_lyrics(user, body.prompt))


@router.get("/suno/fetch/{task_id}", responses=responses(401, 404))
def fetch_one(task_id: str, service: ServiceDep, user: UserDep) -> JSONResponse:
    found = task(service, user, task_id)
    if found is None:
        raise NotFound(f"task {task_id} not found", field="task_id")
    return ok(found)


@router.post("/suno/fetch", responses=responses(400, 401, 422))
def fetch_many(body: Fetch, service: ServiceDep, user: UserDep) -> JSONResponse:
    """Like new-api: the tasks found, in the order asked; unknown ids are left out."""
    action = (body.action or "").upper()
    tasks = (task(service, user, task_id) for task_id in dict.fromkeys(body.ids))
    return ok([t for t in tasks if t is not None and (not action or t["action"] == action)])


def task(service: Service, user: User, task_id: str) -> dict[str, Any] | None:
    """The TaskDto of a music batch or a lyrics task, or None when the user has neither."""
    try:
        return music_task(*service.batch_rows(user, task_id))
    except NotFound:
        pass
    try:
        return lyrics_task(service.lyrics(user, task_id))
    except NotFound:
        return None


# Each clip's share of a task's progress, by status; a task reports the mean.
PROGRESS = {
    ClipStatus.SUBMITTED: 0,
    ClipStatus.QUEUED: 10,
    ClipStatus.STREAMING: 60,
    ClipStatus.COMPLETE: 100,
    ClipStatus.ERROR: 100,
}


def music_status(statuses: list[str]) -> str:
    """new-api's status of a batch from its clips' (Suno-API maps them the same way)."""
    if all(s == ClipStatus.ERROR for s in statuses):
        return "FAILURE"
    if all(s in (ClipStatus.COMPLETE, ClipStatus.ERROR) for s in statuses):
        return "SUCCESS"
    if any(s != ClipStatus.SUBMITTED and s != ClipStatus.QUEUED for s in statuses):
        return "IN_PROGRESS"
    if any(s == ClipStatus.QUEUED for s in statuses):
        return "QUEUED"
    return "SUBMITTED"


def music_task(batch: BatchRecord, rows: list[Clip], clips: list[dict[str, Any]]) -> dict[str, Any]:
    statuses = [c["status"] for c in clips]
    status = music_status(statuses)
    done = status in ("SUCCESS", "FAILURE")
    started = status not in ("SUBMITTED", "QUEUED")
    errors = [c["metadata"].get("error_message") or "" for c in clips if c["status"] == "error"]
    progress = sum(PROGRESS[ClipStatus(s)] for s in statuses) // max(1, len(statuses))
    return {
        "task_id": batch.id,
        "notify_hook": batch.callback_url or "",
        "action": "MUSIC",
        "status": status,
        "fail_reason": "; ".join(e for e in errors if e) if status == "FAILURE" else "",
        "submit_time": unix(batch.created_at),
        # Clips keep no start time: a started batch reports its submission.
        "start_time": unix(batch.created_at) if started else 0,
        "finish_time": max(unix(r.updated_at) for r in rows) if done and rows else 0,
        "progress": "100%" if done else f"{min(progress, 99)}%",
        "data": clips,
    }


LYRICS_STATUS = {
    "submitted": ("SUBMITTED", "0%"),
    "running": ("IN_PROGRESS", "50%"),
    "complete": ("SUCCESS", "100%"),
    "error": ("FAILURE", "100%"),
}


def lyrics_task(row: LyricsRecord) -> dict[str, Any]:
    status, progress = LYRICS_STATUS.get(row.status, ("NOT_START", "0%"))
    return {
        "task_id": row.id,
        "notify_hook": "",
        "action": "LYRICS",
        "status": status,
        "fail_reason": (row.error_message or "") if status == "FAILURE" else "",
        "submit_time": unix(row.created_at),
        "start_time": unix(row.started_at),
        "finish_time": unix(row.ended_at),
        "progress": progress,
        "data": {
            "id": row.id,
            "status": row.status,
            "title": row.title or "",
            "text": row.text or "",
            "tags": row.tags or "",
        },
    }


def unix(moment: datetime | None) -> int:
    if moment is None:
        return 0
    # Stored times are UTC; a backend may hand them back naive.
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
