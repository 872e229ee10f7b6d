"""A dialect that lives in the test suite: all of it in this one module, served by naming it in
``OPENCHIRP_DIALECTS`` ("tests.dialects.toy_dialect:DIALECT"), no other file edited.

It spells things its own way: songs have ``words`` and a ``style``, models are ``small`` or
``big``, and errors answer ``{fault, status, blame}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from openchirp.api.deps import ServiceDep, UserDep, caller, parameters, read, split_ids
from openchirp.api.dialects.base import Dialect, error_responses
from openchirp.core.errors import InvalidInput
from openchirp.core.requests import GenerateRequest
from openchirp.core.views import json_list


class ToyError(BaseModel):
    fault: str
    status: int
    blame: str | None = None


def error_body(status: int, message: str, field: str | None) -> dict[str, Any]:
    return {"fault": message, "status": status, "blame": field}


router = APIRouter(tags=["toy"])
polls = APIRouter()
DIALECT = Dialect(
    name="toy",
    prefixes=("/toy/",),
    error_model=ToyError,
    error_body=error_body,
    routers=(router,),
    polls=(polls,),
    field_names={"lyrics": "words", "tags": "style", "model": "size"},
    model_spellings={"small": "chirp-v3-5", "big": "chirp-fenix"},
)


class Song(BaseModel):
    words: str
    style: str = ""
    size: str | None = None


def toy_clip(clip: dict[str, Any]) -> dict[str, Any]:
    return {"song": clip["id"], "state": clip["status"], "model": clip["model_name"]}


@router.post("/toy/songs", responses=error_responses(ToyError, 401, 422, 429))
def create(body: Song, service: ServiceDep, user: UserDep) -> JSONResponse:
    batch = service.create(
        user,
        GenerateRequest(lyrics=body.words, tags=body.style, model=DIALECT.model_key(body.size)),
    )
    return JSONResponse({"songs": [clip["id"] for clip in batch.clips]})


@polls.get(
    "/toy/songs",
    tags=router.tags,
    responses=error_responses(ToyError, 401, 422),
    openapi_extra=parameters(("ids", "query", {"type": "string"}, True, "Song ids")),
)
async def poll(request: Request) -> Response:
    service, user = await caller(request)
    ids = request.query_params.get("ids", "")
    if not ids:
        raise InvalidInput("{field} is required: song ids, comma-separated", field="ids")
    views = await read(service, service.clip_views, user, split_ids(ids))
    return Response(json_list(views, toy_clip), media_type="application/json")
