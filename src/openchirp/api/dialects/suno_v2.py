"""The sunoapi.com v2 API (seeds 000 and 001). Field names only; no logic here.

Errors answer ``{code, message, data}`` with the HTTP status in ``code`` too.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StrictFloat

from openchirp.api.deps import (
    IdempotencyKey,
    ServiceDep,
    UserDep,
    caller,
    parameters,
    read,
    split_ids,
)
from openchirp.api.dialects import spellings
from openchirp.api.dialects.base import (
    TEXT,
    CallbackUrl,
    Dialect,
    Responses,
    error_responses,
    limited,
    one_of_names,
)
from openchirp.core.clip import FINISHED, iso
from openchirp.core.errors import InvalidInput
from openchirp.core.requests import ExtendRequest, GenerateRequest
from openchirp.core.service import Batch
from openchirp.core.views import canonical, json_list


class SunoApiError(BaseModel):
    code: int
    message: str
    data: None = None


def error_body(status: int, message: str, field: str | None) -> dict[str, Any]:
    return {"code": status, "message": message, "data": None}


def responses(*statuses: int) -> Responses:
    return error_responses(SunoApiError, *statuses)


router = APIRouter(tags=["sunoapi.com v2"])
polls = APIRouter()
DIALECT = Dialect(
    name="suno_v2",
    prefixes=("/api/v2/", "/api/v1/suno/"),
    error_model=SunoApiError,
    error_body=error_body,
    routers=(router,),
    polls=(polls,),
    field_names={"lyrics": "prompt", "description": "prompt", "clip_id": "continue_clip_id"},
    model_spellings=spellings.EVERY,
)
MV_DESCRIPTION = "Model version: v3.5, v4, v4.5, v5..."
MV_SCHEMA = one_of_names(list(spellings.SUNOAPI_COM))
MV = Annotated[
    str, Path(description=MV_DESCRIPTION, examples=["v3.5"], json_schema_extra=MV_SCHEMA)
]
IDS = r"^[^\u0000]*[^\u0000\s,][^\u0000]*$"
"""At least one id among the commas."""


class CreateLyricsSong(BaseModel):
    prompt: str = Field(json_schema_extra=limited("lyrics", "The lyrics", required=True))
    tags: str = Field(json_schema_extra=limited("tags", "Style of music, e.g. 'heavy metal'"))
    title: str = Field("", json_schema_extra=limited("title"))
    negative_tags: str = Field("", json_schema_extra=limited("tags", "Styles to avoid"))
    callback_url: CallbackUrl = None


class CreatePureMusic(BaseModel):
    tags: str = Field(json_schema_extra=limited("tags", "Style of music"))
    title: str = Field("", json_schema_extra=limited("title"))
    negative_tags: str = Field("", json_schema_extra=limited("tags", "Styles to avoid"))
    callback_url: CallbackUrl = None


class Extend(BaseModel):
    prompt: str = Field(json_schema_extra=limited("lyrics", "The lyrics of the continuation"))
    tags: str = Field(json_schema_extra=limited("tags", "The style"))
    title: str = Field("", json_schema_extra=limited("title"))
    negative_tags: str = Field("", json_schema_extra=limited("tags", "Styles to avoid"))
    continue_clip_id: str = Field(json_schema_extra=TEXT)
    continue_at: StrictFloat  # true is not a number
    callback_url: CallbackUrl = None


class MakeLyrics(BaseModel):
    prompt: str = Field(max_length=200, json_schema_extra=TEXT)


def ok(data: Any) -> JSONResponse:
    return JSONResponse({"code": 200, "data": data, "message": "success"})


def model_of(mv: str) -> str:
    model = DIALECT.resolve_model(mv)
    if model is None:
        raise InvalidInput(
            f"unknown model version {mv!r} in the path (try v3.5, v4, v4.5)", field="mv"
        )
    return model.key


def batch_body(batch: Batch) -> dict[str, Any]:
    """Suno's batch object (seed 001)."""
    first = batch.clips[0]
    return {
        "id": batch.id,
        "clips": batch.clips,
        "metadata": first["metadata"],
        "major_model_version": batch.model.major_version,
        "status": "complete",
        "created_at": iso(batch.created_at),
        "batch_size": 1,
    }


CREATE_ERRORS = responses(400, 401, 404, 409, 413, 422, 429, 507)


def created(batch: Batch) -> JSONResponse:
    """Today's ``{code, data: {task_id}, message}`` with the batch object's fields beside it:
    clients written against the 2024 API read the batch from the create reply."""
    return JSONResponse(
        {"code": 200, "data": {"task_id": batch.id}, "message": "success", **batch_body(batch)}
    )


@router.post("/api/v2/suno/{mv}/custom/create-lyrics-song", responses=CREATE_ERRORS)
def create_lyrics_song(
    mv: MV,
    body: CreateLyricsSong,
    service: ServiceDep,
    user: UserDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    batch = service.create(
        user,
        GenerateRequest(
            lyrics=body.prompt,
            tags=body.tags,
            title=body.title,
            negative_tags=body.negative_tags,
            model=model_of(mv),
            callback_url=body.callback_url,
        ),
        idempotency_key,
    )
    return created(batch)


@router.post("/api/v2/suno/{mv}/custom/create-pure-music", responses=CREATE_ERRORS)
def create_pure_music(
    mv: MV,
    body: CreatePureMusic,
    service: ServiceDep,
    user: UserDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    batch = service.create(
        user,
        GenerateRequest(
            tags=body.tags,
            title=body.title,
            negative_tags=body.negative_tags,
            instrumental=True,
            model=model_of(mv),
            callback_url=body.callback_url,
        ),
        idempotency_key,
    )
    return created(batch)


@router.get("/api/v2/suno/{mv}/clip/{task_id}", responses=responses(401, 404, 422))
def get_task(mv: MV, task_id: str, service: ServiceDep, user: UserDep) -> JSONResponse:
    model_of(mv)
    batch, clips = service.batch(user, task_id)
    done = all(c["status"] in FINISHED for c in clips)
    return ok(
        {
            "task_id": batch.id,
            "status": "completed" if done else "processing",
            "input": json.dumps(_input_of(batch.request)),
            "clips": {c["id"]: c for c in clips},
        }
    )


def _input_of(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("prompt", "tags", "title", "negative_tags", "continue_clip_id", "continue_at")
    named = {**record, "prompt": record.get("lyrics", "")}
    return {k: named[k] for k in keys if k in named}


@polls.get(  # read by hand, for speed: see api/deps.py
    "/api/v2/suno/{mv}/clips",
    tags=router.tags,
    responses=responses(401, 404, 422),
    openapi_extra=parameters(
        ("mv", "path", {**MV_SCHEMA, "examples": ["v3.5"]}, True, MV_DESCRIPTION),
        ("ids", "query", {"type": "string", "pattern": IDS}, True, "Clip ids, comma-separated"),
    ),
)
async def get_clips(request: Request) -> Response:
    service, user = await caller(request)
    model_of(request.path_params["mv"])
    ids = request.query_params.get("ids", "")
    if not ids:
        raise InvalidInput("ids is required: clip ids, comma-separated", field="ids")
    views = await read(service, service.clip_views, user, split_ids(ids))
    body = b'{"clips":%s,"num_total_results":%d,"current_page":0}'
    return Response(body % (json_list(views, canonical), len(views)), media_type="application/json")


@router.post(
    "/api/v2/suno/{mv}/extend", responses=responses(400, 401, 404, 409, 413, 422, 429, 507)
)
def extend(
    mv: MV, body: Extend, service: ServiceDep, user: UserDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    batch = service.extend(
        user,
        ExtendRequest(
            clip_id=body.continue_clip_id,
            continue_at=body.continue_at,
            lyrics=body.prompt,
            tags=body.tags,
            title=body.title,
            negative_tags=body.negative_tags,
            model=model_of(mv),
            callback_url=body.callback_url,
        ),
        idempotency_key,
    )
    return JSONResponse(batch_body(batch))


@router.post("/api/v1/suno/make-lyrics", responses=responses(400, 401, 422))
def make_lyrics(body: MakeLyrics, service: ServiceDep, user: UserDep) -> JSONResponse:
    return ok({"task_id": service.submit_lyrics(user, body.prompt)})


@router.get("/api/v1/suno/get-lyrics/{task_id}", responses=responses(401, 404))
def get_lyrics(task_id: str, service: ServiceDep, user: UserDep) -> JSONResponse:
    row = service.lyrics(user, task_id)
    return ok(
        {
            "task_id": row.id,
            "input": row.input,
            "status": row.status,
            "title": row.title or "",
            "text": row.text or "",
            "metadata": {
                "created_at": iso(row.created_at),
                "started_at": iso(row.started_at) if row.started_at else None,
                "ended_at": iso(row.ended_at) if row.ended_at else None,
            },
        }
    )
