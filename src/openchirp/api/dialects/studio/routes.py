"""Suno's studio routes (studio-api.suno.ai) as its direct clients call them. Field names only.

Paths come with and without the trailing slash (clients disagree), answered alike rather than
redirected: some clients do not follow redirects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from openchirp.api.deps import ServiceDep, read
from openchirp.api.dialects import spellings
from openchirp.api.dialects.base import (
    REQUIRED_TEXT,
    body_schema,
    limited,
    model_key,
    nul_free,
    one_of_names,
)
from openchirp.api.dialects.studio.shape import responses
from openchirp.api.dialects.studio.tokens import studio_user
from openchirp.api.dialects.suno_v2 import batch_body
from openchirp.core.models import model_names
from openchirp.core.requests import ExtendRequest, GenerateRequest
from openchirp.core.service import Artefacts, Service
from openchirp.db.records import User
from openchirp.media.lyrics_timing import aligned_words
from openchirp.storage import load_peaks


class AnyTypeJsonRoute(APIRoute):
    """Reads the body as JSON whatever its Content-Type says, as Suno's studio does: clients post
    ``json.dumps(payload)`` with no JSON Content-Type (curl_cffi then sends none, or a form's)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            if "json" not in request.headers.get("content-type", ""):
                headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
                request.scope["headers"] = [*headers, (b"content-type", b"application/json")]
                request = Request(request.scope, request.receive)
            return await handler(request)

        return route


router = APIRouter(tags=["Suno studio"], route_class=AnyTypeJsonRoute)
StudioUser = Annotated[User, Depends(studio_user)]

FIELD_NAMES = {"lyrics": "prompt", "description": "gpt_description_prompt"}
FIELD_NAMES_BY_ROUTE = {
    "/api/generate/v2/": {"clip_id": "continue_clip_id"},
    "/api/generate/v2-web/": {"clip_id": "continue_clip_id"},
}


SAYS = {"type": "string", "minLength": 1, **REQUIRED_TEXT}
NONE = {"maxLength": 0}
"""Absent, null or empty: the field is not used."""
WHAT = {
    "anyOf": [
        # An extension names its clip.
        {
            "properties": {"continue_clip_id": {"type": "string", "minLength": 1}},
            "required": ["continue_clip_id"],
        },
        # A song is described, or has lyrics, or is instrumental.
        {
            "properties": {"continue_clip_id": NONE, "gpt_description_prompt": SAYS},
            "required": ["gpt_description_prompt"],
        },
        {
            "properties": {
                "continue_clip_id": NONE,
                "gpt_description_prompt": NONE,
                "make_instrumental": {"const": True},
            },
            "required": ["make_instrumental"],
        },
        {
            "properties": {
                "continue_clip_id": NONE,
                "gpt_description_prompt": NONE,
                "prompt": SAYS,
            },
            "required": ["prompt"],
        },
    ]
}


class GenerateV2(BaseModel):
    """Suno's create: custom lyrics, a description, or (with ``continue_clip_id``) an extend."""

    model_config = ConfigDict(json_schema_extra=body_schema(**WHAT))
    prompt: str | None = Field(
        None, json_schema_extra=limited("lyrics", "The lyrics (custom mode)")
    )
    tags: str | None = Field(None, json_schema_extra=limited("tags", "The style"))
    title: str | None = Field(None, json_schema_extra=limited("title"))
    negative_tags: str | None = Field(None, json_schema_extra=limited("tags", "Styles to avoid"))
    mv: str | None = Field(
        None,
        description="Model, e.g. chirp-v3-5, chirp-v4",
        json_schema_extra=one_of_names(model_names(), nullable=True),
    )
    make_instrumental: bool = False
    gpt_description_prompt: str | None = Field(
        None, json_schema_extra=limited("description", "A description of the song")
    )
    continue_at: float | None = None
    continue_clip_id: str | None = None


class Lyrics(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    prompt: str = Field("", json_schema_extra={"maxLength": 200})


class Concat(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    clip_id: str


class Visibility(BaseModel):
    is_public: bool


def _create(service: Service, user: User, body: GenerateV2) -> dict[str, Any]:
    model = model_key(body.mv, spellings.EVERY)
    if body.continue_clip_id:
        batch = service.extend(
            user,
            ExtendRequest(
                clip_id=body.continue_clip_id,
                continue_at=body.continue_at,
                lyrics=body.prompt or "",
                tags=body.tags or "",
                title=body.title or "",
                negative_tags=body.negative_tags or "",
                model=model,
            ),
        )
    elif body.gpt_description_prompt:
        batch = service.create(
            user,
            GenerateRequest(
                description=body.gpt_description_prompt,
                instrumental=body.make_instrumental,
                tags=body.tags or "",
                title=body.title or "",
                negative_tags=body.negative_tags or "",
                model=model,
            ),
        )
    else:
        batch = service.create(
            user,
            GenerateRequest(
                lyrics=body.prompt or "",
                tags=body.tags or "",
                title=body.title or "",
                negative_tags=body.negative_tags or "",
                instrumental=body.make_instrumental,
                model=model,
            ),
        )
    return batch_body(batch)


CREATE_ERRORS = responses(400, 401, 404, 409, 422, 429)


@router.post("/api/generate/v2/", responses=CREATE_ERRORS)
@router.post("/api/generate/v2-web/", responses=CREATE_ERRORS)
async def generate(body: GenerateV2, service: ServiceDep, user: StudioUser) -> JSONResponse:
    """Two clips; the reply is the batch object, its clips ``submitted``."""
    return JSONResponse(await run_in_threadpool(_create, service, user, body))


@router.get("/api/clip/{clip_id}", responses=responses(401, 404))
@router.get("/api/clip/{clip_id}/", include_in_schema=False)
async def clip(clip_id: str, service: ServiceDep, user: StudioUser) -> JSONResponse:
    return JSONResponse(await read(service, service.clip, user, clip_id))


@router.get("/api/billing/info/", responses=responses(401))
@router.get("/api/billing/info", include_in_schema=False)
async def billing_info(service: ServiceDep, user: StudioUser) -> JSONResponse:
    """Credits this month. ``period`` is null, as Suno's for an account without a plan."""
    limits = await read(service, service.limits, user)
    return JSONResponse(
        {
            "total_credits_left": limits.credits_left,
            "period": None,
            "monthly_limit": limits.monthly_limit,
            "monthly_usage": limits.monthly_usage,
        }
    )


@router.post("/api/generate/lyrics/", responses=responses(400, 401, 422))
@router.post("/api/generate/lyrics", include_in_schema=False)
async def generate_lyrics(body: Lyrics, service: ServiceDep, user: StudioUser) -> JSONResponse:
    """Starts writing; poll ``GET /api/generate/lyrics/{id}`` until ``complete``."""
    return JSONResponse({"id": await run_in_threadpool(service.submit_lyrics, user, body.prompt)})


LYRICS_STATUS = {"submitted": "queued", "running": "running"}


@router.get("/api/generate/lyrics/{lyrics_id}", responses=responses(401, 404))
@router.get("/api/generate/lyrics/{lyrics_id}/", include_in_schema=False)
async def get_lyrics(lyrics_id: str, service: ServiceDep, user: StudioUser) -> JSONResponse:
    row = await read(service, service.lyrics, user, lyrics_id)
    return JSONResponse(
        {
            "text": row.text or "",
            "title": row.title or "",
            "status": LYRICS_STATUS.get(row.status, row.status),
            "error_message": row.error_message or "",
        }
    )


@router.post("/api/generate/concat/v2/", responses=responses(400, 401, 404, 409, 422))
@router.post("/api/generate/concat/v2", include_in_schema=False)
async def concat(body: Concat, service: ServiceDep, user: StudioUser) -> JSONResponse:
    """The whole song as one clip (``metadata.type`` ``concat``)."""
    return JSONResponse(await run_in_threadpool(service.concat, user, body.clip_id))


def get_artefacts(request: Request) -> Artefacts:
    return request.app.state.artefacts


ArtefactsDep = Annotated[Artefacts, Depends(get_artefacts)]


@router.post("/api/edit/stems/{clip_id}", responses=responses(401, 404, 409))
@router.post("/api/edit/stems/{clip_id}/", include_in_schema=False)
async def stems(clip_id: str, artefacts: ArtefactsDep, user: StudioUser) -> JSONResponse:
    """New clips, vocals and instrumental, made from a complete clip."""
    clips = await run_in_threadpool(artefacts.stems, user, clip_id)
    return JSONResponse({"id": clip_id, "clips": clips})


@router.get("/api/gen/{clip_id}/aligned_lyrics/v2/", responses=responses(401, 404, 409))
@router.get("/api/gen/{clip_id}/aligned_lyrics/v2", include_in_schema=False)
async def aligned_lyrics(clip_id: str, artefacts: ArtefactsDep, user: StudioUser) -> JSONResponse:
    """Every sung word with its start and end, and the waveform's peaks."""

    def load() -> dict[str, Any]:
        return {
            "aligned_words": aligned_words(artefacts.words(user, clip_id)),
            "waveform_data": load_peaks(artefacts.service.storage, clip_id) or [],
            "hoot_cer": None,
            "is_streamed": False,
        }

    return JSONResponse(await run_in_threadpool(load))


@router.post("/api/gen/{clip_id}/set_visibility/", responses=responses(400, 401, 404, 422))
@router.post("/api/gen/{clip_id}/set_visibility", include_in_schema=False)
async def set_visibility(
    clip_id: str, body: Visibility, service: ServiceDep, user: StudioUser
) -> JSONResponse:
    shared = await run_in_threadpool(service.set_visibility, user, clip_id, body.is_public)
    return JSONResponse({"is_public": shared})
