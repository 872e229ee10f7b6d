"""sunoapi.org's music routes: generate, extend, record-info, credit, timestamped lyrics, and
replace-section. Field names and mode rules only; the service does the work.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from openchirp.api.deps import IdempotencyKey, ServiceDep, UserDep
from openchirp.api.dialects.base import (
    REQUIRED_TEXT,
    TEXT,
    body_schema,
    limited,
    nul_free,
    one_of_names,
)
from openchirp.api.dialects.sunoapi_org import shape
from openchirp.api.dialects.sunoapi_org.shape import ok, responses
from openchirp.core.clip import ClipStatus
from openchirp.core.errors import InvalidInput, TooLong
from openchirp.core.models import resolve_model
from openchirp.core.requests import ExtendRequest, GenerateRequest
from openchirp.core.service import Artefacts
from openchirp.core.tasks import Tasks
from openchirp.core.uploads import refusal
from openchirp.db.records import BatchRecord
from openchirp.storage import load_peaks

router = APIRouter(tags=["sunoapi.org"])

DESCRIPTION_LIMIT = 500
"""Non-custom mode's prompt (a description); the model's own limit applies too."""
INFILL_MIN_S, INFILL_MAX_S = 6.0, 60.0
VOICES = {"m": "male", "f": "female"}
MODEL_NAMES = ["V3_5", "V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5", "V5_5"]
MODEL = Field(description=", ".join(MODEL_NAMES), json_schema_extra=one_of_names(MODEL_NAMES))
DESCRIBED = limited("description")


class Tuning(BaseModel):
    """Fields every song request may carry. ``vocalGender`` reaches the engine as a voice hint;
    the weights and personas are checked (0 to 1) but no built-in engine has them."""

    model_config = ConfigDict(json_schema_extra=nul_free)
    negativeTags: str = Field("", json_schema_extra=limited("tags", "Styles to avoid"))
    vocalGender: Literal["m", "f"] | None = None
    styleWeight: StrictFloat | None = Field(None, ge=0, le=1)
    weirdnessConstraint: StrictFloat | None = Field(None, ge=0, le=1)
    audioWeight: StrictFloat | None = Field(None, ge=0, le=1)
    personaId: str | None = None
    personaModel: str | None = None
    callBackUrl: str | None = None


SAYS = {"minLength": 1, **REQUIRED_TEXT}
CUSTOM = {"customMode": {"const": True}, "style": SAYS, "title": SAYS}
MODES = {
    "anyOf": [
        # Custom mode: a style and a title, and the lyrics unless instrumental.
        {
            "properties": {**CUSTOM, "instrumental": {"const": True}},
            "required": ["customMode", "style", "title", "instrumental"],
        },
        {
            "properties": {**CUSTOM, "prompt": SAYS},
            "required": ["customMode", "style", "title", "prompt"],
        },
        # Otherwise the prompt describes the song.
        {
            "properties": {
                "customMode": {"not": {"const": True}},
                "prompt": {**SAYS, "maxLength": min(DESCRIPTION_LIMIT, DESCRIBED["maxLength"])},
            },
            "required": ["prompt"],
        },
    ]
}


class Generate(Tuning):
    model_config = ConfigDict(json_schema_extra=body_schema(**MODES))
    customMode: bool = False
    instrumental: bool = False
    model: str = MODEL
    prompt: str = Field(
        "",
        json_schema_extra=limited(
            "lyrics", "Lyrics in custom mode with vocals, else a description (of at most 200)"
        ),
    )
    style: str = Field("", json_schema_extra=limited("tags", "The style"))
    title: str = Field("", json_schema_extra=limited("title"))


class Extend(Tuning):
    defaultParamFlag: bool = False
    """True: continue with this request's prompt, style, title and continueAt; false: with the
    source's own (to its end)."""
    audioId: str
    model: str = MODEL
    continueAt: StrictFloat | None = Field(None, ge=0)
    prompt: str = Field("", json_schema_extra=limited("lyrics", "The lyrics"))
    style: str = Field("", json_schema_extra=limited("tags", "The style"))
    title: str = Field("", json_schema_extra=limited("title"))


class TimestampedLyrics(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    taskId: str
    audioId: str | None = None
    musicIndex: int | None = Field(None, ge=0, le=1)


class ReplaceSection(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    taskId: str
    audioId: str
    prompt: str = ""
    tags: str = ""
    title: str = ""
    negativeTags: str = ""
    fullLyrics: str = ""
    infillStartS: StrictFloat = Field(ge=0)
    infillEndS: StrictFloat = Field(ge=0)
    callBackUrl: str | None = None


CREATE_ERRORS = responses(400, 401, 404, 413, 429, 507)


def model_key(name: str) -> str:
    model = resolve_model(name, shape.MODEL_SPELLINGS) if name.strip() else None
    if model is None:
        raise InvalidInput(
            f"{{field}} {name!r} is not one of V3_5, V4, V4_5, V4_5PLUS, V4_5ALL, V5, V5_5",
            field="model",
        )
    return model.key


def described(prompt: str) -> None:
    """Outside custom mode ``prompt`` describes the song: required, and 500 characters at most."""
    required(prompt, "description", "(a description of the song)")
    if len(prompt) > DESCRIPTION_LIMIT:
        raise TooLong(
            f"{{field}} is {len(prompt)} characters; the limit for a description "
            f"is {DESCRIPTION_LIMIT}",
            field="description",
        )


def required(value: str, field: str, why: str) -> None:
    if not value.strip():
        raise InvalidInput(f"{{field}} is required {why}", field=field)


@router.post("/api/v1/generate", responses=CREATE_ERRORS)
def generate(
    body: Generate, service: ServiceDep, user: UserDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    model = model_key(body.model)
    voice = VOICES.get(body.vocalGender or "")
    if body.customMode:
        required(body.style, "tags", "in custom mode")
        required(body.title, "title", "in custom mode")
        if not body.instrumental:
            required(body.prompt, "lyrics", "in custom mode with vocals (the lyrics)")
        request = GenerateRequest(
            lyrics="" if body.instrumental else body.prompt,
            tags=body.style,
            title=body.title,
            negative_tags=body.negativeTags,
            instrumental=body.instrumental,
            model=model,
            callback_url=body.callBackUrl,
            task_id_form="hex",
            voice=voice,
        )
    else:
        described(body.prompt)
        request = GenerateRequest(
            description=body.prompt,
            negative_tags=body.negativeTags,
            instrumental=body.instrumental,
            model=model,
            callback_url=body.callBackUrl,
            task_id_form="hex",
            voice=voice,
        )
    batch = service.create(user, request, idempotency_key)
    return ok({"taskId": shape.task_id(batch.id)})


@router.post("/api/v1/generate/extend", responses=CREATE_ERRORS)
def extend(
    body: Extend, service: ServiceDep, user: UserDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    model = model_key(body.model)
    source = service.clip_row(user, body.audioId)
    if source.model != model:
        raise InvalidInput(
            f"{{field}} {body.model} does not match the source clip's model "
            f"{shape.model_name(source.model)}: an extension keeps its source's model",
            field="model",
        )
    if body.continueAt is None:
        # Suno's "from the end" is not a point this server's engines can continue from.
        raise InvalidInput(
            "{field} is required: the second of the source clip the extension starts at",
            field="continue_at",
        )
    if body.defaultParamFlag:
        request = ExtendRequest(
            clip_id=source.id,
            continue_at=body.continueAt,
            lyrics=body.prompt,
            tags=body.style,
            title=body.title,
            negative_tags=body.negativeTags,
            model=model,
            callback_url=body.callBackUrl,
            task_id_form="hex",
        )
    else:
        request = ExtendRequest(
            clip_id=source.id,
            continue_at=body.continueAt,
            model=model,
            callback_url=body.callBackUrl,
            task_id_form="hex",
        )
    batch = service.extend(user, request, idempotency_key)
    return ok({"taskId": shape.task_id(batch.id)})


@router.get("/api/v1/generate/record-info", responses=responses(400, 401, 404))
async def record_info(
    service: ServiceDep,
    user: UserDep,
    taskId: str = Query(description="The task id", json_schema_extra=TEXT),
) -> JSONResponse:  # noqa: N803
    batch, clips = await run_in_threadpool(service.batch, user, shape.stored_id(taskId))
    status = shape.song_status([(c["status"], c["metadata"].get("error_type")) for c in clips])
    failed = next((c for c in clips if c["status"] == ClipStatus.ERROR), None)
    hex_id = shape.task_id(batch.id)
    return ok(
        {
            "taskId": hex_id,
            "parentMusicId": batch.request.get("continue_clip_id")
            or batch.request.get("cover_clip_id")
            or "",
            "param": json.dumps(_param(batch)),
            "response": {"taskId": hex_id, "sunoData": [suno_data(c) for c in clips]},
            "status": status,
            "type": batch.kind.upper(),
            "operationType": batch.kind,
            "errorCode": (400 if status == "SENSITIVE_WORD_ERROR" else 500) if failed else None,
            "errorMessage": failed["metadata"].get("error_message") if failed else None,
        }
    )


def suno_data(clip: dict[str, Any]) -> dict[str, Any]:
    """A clip as record-info lists it: ``audioUrl`` once complete, ``streamAudioUrl`` as soon as
    it plays."""
    meta = clip["metadata"]
    playing = clip["status"] in (ClipStatus.STREAMING, ClipStatus.COMPLETE)
    complete = clip["status"] == ClipStatus.COMPLETE
    audio = clip["audio_url"] if complete else ""
    stream = clip["audio_url"] if playing else ""
    image = clip["image_url"] or ""
    return {
        "id": clip["id"],
        "audioUrl": audio,
        "sourceAudioUrl": audio,
        "streamAudioUrl": stream,
        "sourceStreamAudioUrl": stream,
        "imageUrl": image,
        "sourceImageUrl": image,
        "prompt": meta.get("prompt") or "",
        "modelName": shape.model_name(clip["model_name"]),
        "title": clip["title"],
        "tags": meta.get("tags") or "",
        "createTime": clip["created_at"].replace("T", " ")[:19],
        "duration": meta.get("duration"),
    }


def _param(batch: BatchRecord) -> dict[str, Any]:
    """The request as a sunoapi.org client would have sent it."""
    record = batch.request
    model = shape.model_name(record.get("model") or batch.model)
    if batch.kind == "extend":
        return {
            "audioId": record.get("continue_clip_id"),
            "continueAt": record.get("continue_at"),
            "prompt": record.get("lyrics") or "",
            "style": record.get("tags") or "",
            "title": record.get("title") or "",
            "negativeTags": record.get("negative_tags") or "",
            "model": model,
        }
    custom = record.get("description") is None
    param = {
        "customMode": custom,
        "instrumental": bool(record.get("instrumental")),
        "prompt": (record.get("lyrics") or "") if custom else record.get("description"),
        "style": record.get("tags") or "",
        "title": record.get("title") or "",
        "negativeTags": record.get("negative_tags") or "",
        "model": model,
    }
    if batch.kind == "upload_extend":
        param.update(uploadUrl=record.get("upload_url"), continueAt=record.get("continue_at"))
        param["defaultParamFlag"] = custom
    elif batch.kind == "upload_cover":
        param.update(uploadUrl=record.get("upload_url"), audioWeight=record.get("strength"))
    return param


@router.get("/api/v1/generate/credit", responses=responses(401))
def credit(service: ServiceDep, user: UserDep) -> JSONResponse:
    return ok(service.limits(user).credits_left)


@router.post("/api/v1/generate/get-timestamped-lyrics", responses=responses(400, 401, 404))
def timestamped_lyrics(body: TimestampedLyrics, request: Request, user: UserDep) -> JSONResponse:
    artefacts: Artefacts = request.app.state.artefacts
    tasks = Tasks(artefacts.service)
    clip = _clip_of(tasks, user, body.taskId, body.audioId, body.musicIndex)
    words = artefacts.words(user, clip)
    peaks = load_peaks(artefacts.service.storage, clip) or []
    return ok(
        {
            "alignedWords": [
                {
                    "word": w.word,
                    "startS": round(w.start_s, 3),
                    "endS": round(w.end_s, 3),
                    "success": w.p_align >= 1.0,
                    "palign": 0 if w.p_align >= 1.0 else round(w.p_align, 3),
                }
                for w in words
            ],
            "waveformData": peaks,
            "hootCer": 0.0,
            "isStreamed": False,
        }
    )


def _clip_of(tasks: Tasks, user: Any, task: str, audio_id: str | None, index: int | None) -> str:
    if audio_id is None and index is not None:
        _, clips = tasks.service.batch(user, shape.stored_id(task))
        if index >= len(clips):
            raise InvalidInput(f"musicIndex {index} is past the task's clips", field="musicIndex")
        return clips[index]["id"]
    return tasks.song_clip(user, shape.stored_id(task), audio_id).id


@router.post("/api/v1/generate/replace-section", responses=responses(400, 401, 404))
def replace_section(body: ReplaceSection, request: Request, user: UserDep) -> JSONResponse:
    """Infill a window of 6 to 60 s: refused by name where the engine cannot infill."""
    tasks = Tasks(request.app.state.service)
    clip = tasks.song_clip(user, shape.stored_id(body.taskId), body.audioId)
    window = body.infillEndS - body.infillStartS
    if not INFILL_MIN_S <= window <= INFILL_MAX_S:
        raise InvalidInput(
            f"infillEndS - infillStartS is {window:g} s; the section must be "
            f"{INFILL_MIN_S:g} to {INFILL_MAX_S:g} s long",
            field="infillEndS",
        )
    duration = clip.meta.get("duration") or 0.0
    if body.infillEndS > duration:
        raise InvalidInput(
            f"infillEndS {body.infillEndS:g} is past the clip's end ({duration:g} s)",
            field="infillEndS",
        )
    raise refusal(tasks.service, "infill", clip.model)
