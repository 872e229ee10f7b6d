"""sunoapi.com's v1 API (docs.sunoapi.com), which replaced the v2 of the seeds.

``POST /api/v1/suno/create`` takes one body for every task type (create, extend, concat) and
answers the task id; ``GET /api/v1/suno/task/{task_id}`` answers the task's clips as a list of
flat clips (``clip_id``, ``state`` pending/running/succeeded/failed, ``lyrics``, ``mv`` ...).

sunoapi.com's own lyrics routes under the same prefix (``make-lyrics``, ``get-lyrics``) stay with
the v2 dialect (``suno_v2``), which served them first: their bodies are unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

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
from openchirp.core.errors import InvalidInput, NotFound
from openchirp.core.models import model_names
from openchirp.core.requests import ExtendRequest, GenerateRequest
from openchirp.core.service import Service
from openchirp.db.records import User


class SunoApiComError(BaseModel):
    code: int
    message: str
    error: str
    data: None = None


def error_body(status: int, message: str, field: str | None) -> dict[str, Any]:
    # Its clients read ``message`` (the v2 envelope) or ``error`` (v1's not-ready answer).
    return {"code": status, "message": message, "error": message, "data": None}


def responses(*statuses: int) -> Responses:
    return error_responses(SunoApiComError, *statuses)


router = APIRouter(tags=["sunoapi.com v1"])
DIALECT = Dialect(
    name="sunoapi_com_v1",
    # The v2 dialect owns "/api/v1/suno/" (its lyrics routes); these are longer, so they win.
    prefixes=(
        "/api/v1/suno/create",
        "/api/v1/suno/task/",
        "/api/v1/suno/clip/",
        "/api/v1/suno/lyrics",
    ),
    error_model=SunoApiComError,
    error_body=error_body,
    routers=(router,),
    field_names={
        "lyrics": "prompt",
        "description": "gpt_description_prompt",
        "clip_id": "continue_clip_id",
        "model": "mv",
        "instrumental": "make_instrumental",
    },
    route_field_names={"/api/v1/suno/lyrics": {"description": "description"}},
    model_spellings={**spellings.EVERY, **spellings.SUNO_VERSIONED},
)

DESCRIPTION = limited("description", "The song described (without custom_mode)")
TaskType = Literal["create_music", "extend_music", "concat_music"]


NOT_TRUE = {"not": {"const": True}}
CREATES = {
    "anyOf": [
        {"properties": {"task_type": {"const": "create_music"}}, "required": ["task_type"]},
        {"properties": {"task_type": {"type": "null"}, "continue_clip_id": {"maxLength": 0}}},
    ]
}
WHAT = {
    "anyOf": [
        # An extension or a concat names its clip.
        {
            "properties": {
                "task_type": {"enum": ["extend_music", "concat_music", None]},
                "continue_clip_id": {"minLength": 1},
            },
            "required": ["continue_clip_id"],
        },
        # A song is instrumental, or has lyrics (custom mode) or a description.
        {
            "allOf": [
                CREATES,
                {
                    "anyOf": [
                        {
                            "properties": {
                                "make_instrumental": {"const": True},
                                "auto_lyrics": NOT_TRUE,
                            },
                            "required": ["make_instrumental"],
                        },
                        {
                            "properties": {
                                "custom_mode": {"const": True},
                                "auto_lyrics": NOT_TRUE,
                                "prompt": {"minLength": 1},
                            },
                            "required": ["custom_mode", "prompt"],
                        },
                        {
                            "properties": {
                                "auto_lyrics": {"const": True},
                                "prompt": {"minLength": 1, "maxLength": DESCRIPTION["maxLength"]},
                            },
                            "required": ["auto_lyrics", "prompt"],
                        },
                        {
                            "properties": {
                                "custom_mode": NOT_TRUE,
                                "auto_lyrics": NOT_TRUE,
                                "gpt_description_prompt": {"minLength": 1},
                            },
                            "required": ["gpt_description_prompt"],
                        },
                    ]
                },
            ]
        },
    ]
}


class Create(BaseModel):
    model_config = ConfigDict(json_schema_extra=body_schema(**WHAT))
    task_type: TaskType | None = Field(
        None, description="create_music (default), extend_music or concat_music"
    )
    custom_mode: bool = Field(
        False, description="true: prompt is the lyrics; false: gpt_description_prompt"
    )
    prompt: str = Field(
        "",
        json_schema_extra={
            **limited("lyrics", "The lyrics, or with auto_lyrics what they are about"),
            **OPTIONAL_TEXT,
        },
    )
    gpt_description_prompt: str = Field("", json_schema_extra={**DESCRIPTION, **OPTIONAL_TEXT})
    auto_lyrics: bool = Field(False, description="Custom mode, prompt describes the lyrics")
    title: str = Field("", json_schema_extra=limited("title"))
    tags: str = Field("", json_schema_extra=limited("tags", "The style"))
    negative_tags: str = Field("", json_schema_extra=limited("tags", "Styles to avoid"))
    make_instrumental: bool = False
    mv: str | None = Field(
        None,
        description="chirp-v3-5, chirp-v4, chirp-v4-5, chirp-v5 ...",
        json_schema_extra=one_of_names(
            sorted({*model_names(), *spellings.SUNO_VERSIONED}), nullable=True
        ),
    )
    continue_clip_id: str = ""
    continue_at: StrictFloat | None = None
    webhook_url: str | None = Field(None, description="Where the task's stages are posted")


class MakeLyrics(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    description: str = Field(
        description="What the lyrics are about", json_schema_extra={"maxLength": 200}
    )


def created(task_id: str) -> JSONResponse:
    # The docs show {message, task_id}; clients of the v2 envelope read data.task_id.
    return JSONResponse(
        {"code": 200, "message": "success", "task_id": task_id, "data": {"task_id": task_id}}
    )


@router.post("/api/v1/suno/create", responses=responses(400, 401, 404, 409, 413, 422, 429, 507))
def create(
    body: Create, service: ServiceDep, user: UserDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    task_type = body.task_type or ("extend_music" if body.continue_clip_id else "create_music")
    model = DIALECT.model_key(body.mv)
    if task_type == "concat_music":
        if not body.continue_clip_id:
            raise InvalidInput("{field} is required to concat", field="clip_id")
        return created(service.concat(user, body.continue_clip_id)["id"])
    if task_type == "extend_music":
        if not body.continue_clip_id:
            raise InvalidInput("{field} is required to extend", field="clip_id")
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
                callback_url=body.webhook_url,
            ),
            idempotency_key,
        )
        return created(batch.id)
    if body.custom_mode and not body.auto_lyrics:
        lyrics, description = body.prompt, None
    else:
        # Non-custom mode describes the song; auto_lyrics describes it in prompt.
        lyrics = ""
        description = body.prompt if body.auto_lyrics else body.gpt_description_prompt
        if not description and not body.make_instrumental:
            raise InvalidInput("{field} is required without custom_mode", field="description")
    batch = service.create(
        user,
        GenerateRequest(
            lyrics=lyrics,
            tags=body.tags,
            title=body.title,
            negative_tags=body.negative_tags,
            instrumental=body.make_instrumental,
            model=model,
            description=description or None,
            callback_url=body.webhook_url,
        ),
        idempotency_key,
    )
    return created(batch.id)


@router.get("/api/v1/suno/task/{task_id}", responses=responses(401, 404))
def get_task(task_id: str, service: ServiceDep, user: UserDep) -> JSONResponse:
    return JSONResponse(
        {"code": 200, "data": clips_of(service, user, task_id), "message": "success"}
    )


@router.get("/api/v1/suno/clip/{task_id}", responses=responses(401, 404))
def get_clip(task_id: str, service: ServiceDep, user: UserDep) -> JSONResponse:
    """The same as the task route; a clip id (a concat's task id is its clip) answers that clip."""
    return JSONResponse(
        {"code": 200, "data": clips_of(service, user, task_id), "message": "success"}
    )


@router.post("/api/v1/suno/lyrics", responses=responses(400, 401, 422))
def make_lyrics(body: MakeLyrics, service: ServiceDep, user: UserDep) -> JSONResponse:
    song = service.write_lyrics_now(body.description)
    return JSONResponse(
        {
            "code": 200,
            "results": [{"title": song.title, "lyrics": song.lyrics}],
            "message": "success",
        }
    )


def task_body(clips: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"code": 200, "data": clips, "message": "success"})


def clips_of(service: Service, user: User, task_id: str) -> list[dict[str, Any]]:
    try:
        _, clips = service.batch(user, task_id)
    except NotFound:
        clips = service.clips(user, [task_id])
        if not clips:
            raise NotFound(f"task {task_id} not found", field="task_id") from None
    return [v1_clip(c) for c in clips]


STATES = {
    "submitted": "pending",
    "queued": "pending",
    "streaming": "running",
    "complete": "succeeded",
    "error": "failed",
}


def v1_clip(clip: dict[str, Any]) -> dict[str, Any]:
    """A canonical clip as v1's task answer lists it."""
    meta = clip["metadata"]
    return {
        "clip_id": clip["id"],
        "state": STATES.get(clip["status"], "pending"),
        "title": clip["title"],
        "tags": meta.get("tags") or "",
        "lyrics": meta.get("prompt") or "",
        "image_url": clip["image_url"],
        "audio_url": clip["audio_url"],
        "video_url": clip["video_url"],
        "created_at": clip["created_at"],
        "mv": clip["model_name"],
        "gpt_description_prompt": meta.get("gpt_description_prompt"),
        "duration": meta.get("duration"),
        "error_message": meta.get("error_message"),
    }
