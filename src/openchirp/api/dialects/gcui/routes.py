"""gcui-art/suno-api's song routes (seed 002). Field names only; no logic here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from openchirp.api.deps import (
    IdempotencyKey,
    LenientUserDep,
    ServiceDep,
    caller,
    parameters,
    query_int,
    read,
    split_ids,
)
from openchirp.api.dialects.base import (
    REQUIRED_TEXT,
    TEXT,
    CallbackUrl,
    limited,
    model_key,
    one_of_names,
)
from openchirp.api.dialects.gcui.shape import MODEL_SPELLINGS, responses
from openchirp.api.waiting import wait_for_audio
from openchirp.core.models import model_names
from openchirp.core.requests import ExtendRequest, GenerateRequest
from openchirp.core.service import Service
from openchirp.core.views import json_list

router = APIRouter(tags=["gcui-art/suno-api"])
polls = APIRouter()
MAX_PAGE = 100_000

FIELD_NAMES_BY_ROUTE = {"/api/concat": {"clip_id": "clip_id"}, "/api/clip": {"clip_id": "id"}}


MODEL = Field(
    None,
    description="A model name (others Suno's APIs use are accepted too)",
    json_schema_extra=one_of_names(model_names(), nullable=True),
)


class Generate(BaseModel):
    prompt: str = Field(
        description="A description of the song",
        json_schema_extra=limited("description", "A description of the song", required=True),
    )
    make_instrumental: bool = False
    model: str | None = MODEL
    wait_audio: bool = False
    callback_url: CallbackUrl = None


class CustomGenerate(BaseModel):
    model_config = ConfigDict(
        # The lyrics are required unless the song is instrumental.
        json_schema_extra={
            "anyOf": [
                {
                    "properties": {"make_instrumental": {"const": True}},
                    "required": ["make_instrumental"],
                },
                {"properties": {"prompt": REQUIRED_TEXT}, "required": ["prompt"]},
            ]
        }
    )
    prompt: str = Field("", json_schema_extra=limited("lyrics", "The lyrics"))
    tags: str = Field("", json_schema_extra=limited("tags", "The style"))
    title: str = Field("", json_schema_extra=limited("title"))
    negative_tags: str = Field("", json_schema_extra=limited("tags", "Styles to avoid"))
    make_instrumental: bool = False
    model: str | None = MODEL
    wait_audio: bool = False
    callback_url: CallbackUrl = None


class ExtendAudio(BaseModel):
    audio_id: str = Field(json_schema_extra=TEXT)
    prompt: str = Field("", json_schema_extra=limited("lyrics", "The lyrics"))
    continue_at: StrictFloat | None = None  # true is not a number
    tags: str = Field("", json_schema_extra=limited("tags", "The style"))
    negative_tags: str = Field("", json_schema_extra=limited("tags", "Styles to avoid"))
    title: str = Field("", json_schema_extra=limited("title"))
    model: str | None = MODEL
    wait_audio: bool = False
    callback_url: CallbackUrl = None


class Concat(BaseModel):
    clip_id: str = Field(json_schema_extra=TEXT)


class GenerateLyrics(BaseModel):
    prompt: str = Field(max_length=200, json_schema_extra=TEXT)


def audio_info(clip: dict[str, Any]) -> dict[str, Any]:
    """The flattened clip gcui-art/suno-api returns (seed 002)."""
    meta = clip["metadata"]
    prompt = meta.get("prompt") or ""
    return {
        "id": clip["id"],
        "title": clip["title"],
        "image_url": clip["image_url"],
        "lyric": "\n".join(line for line in prompt.splitlines() if line.strip()),
        "audio_url": clip["audio_url"],
        "video_url": clip["video_url"],
        "created_at": clip["created_at"],
        "model_name": clip["model_name"],
        "status": clip["status"],
        "gpt_description_prompt": meta.get("gpt_description_prompt"),
        "prompt": prompt,
        "type": meta.get("type"),
        "tags": meta.get("tags"),
        "negative_tags": meta.get("negative_tags"),
        "duration": meta.get("duration"),
        "error_message": meta.get("error_message"),
    }


async def _respond(
    service: Service, user: Any, clips: list[dict[str, Any]], wait: bool
) -> JSONResponse:
    if wait:
        clips = await wait_for_audio(
            service, user, [c["id"] for c in clips], service.settings.wait_audio_timeout
        )
    return JSONResponse([audio_info(c) for c in clips])


CREATE_ERRORS = responses(400, 401, 404, 409, 413, 422, 429, 507)


@router.post("/api/generate", responses=CREATE_ERRORS)
async def generate(
    body: Generate,
    service: ServiceDep,
    user: LenientUserDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    batch = await run_in_threadpool(
        service.create,
        user,
        GenerateRequest(
            description=body.prompt,
            instrumental=body.make_instrumental,
            model=model_key(body.model, MODEL_SPELLINGS),
            callback_url=body.callback_url,
        ),
        idempotency_key,
    )
    return await _respond(service, user, batch.clips, body.wait_audio)


@router.post("/api/custom_generate", responses=CREATE_ERRORS)
async def custom_generate(
    body: CustomGenerate,
    service: ServiceDep,
    user: LenientUserDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    batch = await run_in_threadpool(
        service.create,
        user,
        GenerateRequest(
            lyrics=body.prompt,
            tags=body.tags,
            title=body.title,
            negative_tags=body.negative_tags,
            instrumental=body.make_instrumental,
            model=model_key(body.model, MODEL_SPELLINGS),
            callback_url=body.callback_url,
        ),
        idempotency_key,
    )
    return await _respond(service, user, batch.clips, body.wait_audio)


@router.post("/api/extend_audio", responses=CREATE_ERRORS)
async def extend_audio(
    body: ExtendAudio,
    service: ServiceDep,
    user: LenientUserDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    batch = await run_in_threadpool(
        service.extend,
        user,
        ExtendRequest(
            clip_id=body.audio_id,
            continue_at=body.continue_at,
            lyrics=body.prompt,
            tags=body.tags,
            title=body.title,
            negative_tags=body.negative_tags,
            model=model_key(body.model, MODEL_SPELLINGS),
            callback_url=body.callback_url,
        ),
        idempotency_key,
    )
    return await _respond(service, user, batch.clips, body.wait_audio)


@router.post("/api/concat", responses=responses(400, 401, 404, 409, 422))
def concat(body: Concat, service: ServiceDep, user: LenientUserDep) -> JSONResponse:
    return JSONResponse(service.concat(user, body.clip_id))


@router.post("/api/generate_lyrics", responses=responses(400, 401, 422))
def generate_lyrics(
    body: GenerateLyrics, service: ServiceDep, user: LenientUserDep
) -> JSONResponse:
    song = service.write_lyrics_now(body.prompt)
    return JSONResponse({"text": song.lyrics, "title": song.title, "status": "complete"})


@polls.get(  # read by hand, for speed: see api/deps.py
    "/api/get",
    tags=router.tags,
    responses=responses(401, 422),
    openapi_extra=parameters(
        (
            "ids",
            "query",
            {"type": "string", **TEXT},
            False,
            "Clip ids, comma-separated (none: library)",
        ),
        ("page", "query", {"type": "integer", "minimum": 0, "maximum": MAX_PAGE}, False, "Page"),
    ),
)
async def get(request: Request) -> Response:
    service, user = await caller(request, lenient=True)
    ids = request.query_params.get("ids", "")
    page = query_int(request, "page", 0, 0, MAX_PAGE)
    if ids:
        views = await read(service, service.clip_views, user, split_ids(ids))
        return Response(json_list(views, audio_info), media_type="application/json")
    clips, _total = await read(service, service.library, user, page)
    return JSONResponse([audio_info(c) for c in clips])


@router.get("/api/clip", responses=responses(401, 404, 422))
def clip(
    service: ServiceDep,
    user: LenientUserDep,
    id: str = Query(description="A clip id", json_schema_extra=TEXT),
) -> JSONResponse:  # noqa: A002
    return JSONResponse(service.clip(user, id))


@router.get("/api/get_limit", responses=responses(401))
def get_limit(service: ServiceDep, user: LenientUserDep) -> JSONResponse:
    limits = service.limits(user)
    return JSONResponse(
        {
            "credits_left": limits.credits_left,
            "period": limits.period,
            "monthly_limit": limits.monthly_limit,
            "monthly_usage": limits.monthly_usage,
        }
    )
