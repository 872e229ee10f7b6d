"""sunoapi.org's task routes: lyrics, wav, mp4, vocal removal and cover art, each a submit and a
record-info. Field names only; ``core/tasks.py`` keeps the records.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from openchirp.api.deps import ServiceDep, UserDep
from openchirp.api.dialects.base import TEXT, nul_free
from openchirp.api.dialects.sunoapi_org import shape
from openchirp.api.dialects.sunoapi_org.shape import ok, responses
from openchirp.core.clip import iso
from openchirp.core.tasks import Task, Tasks

router = APIRouter(tags=["sunoapi.org"])
SUBMIT_ERRORS = responses(400, 401, 404, 413)
INFO_ERRORS = responses(400, 401, 404)
TaskId = Annotated[
    str, Query(description="The task id the submit answered with", json_schema_extra=TEXT)
]


def get_tasks(request: Request) -> Tasks:
    return Tasks(request.app.state.service)


TasksDep = Annotated[Tasks, Depends(get_tasks)]


# -- lyrics --------------------------------------------------------------------------------------


class Lyrics(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    prompt: str = Field(
        description="What the lyrics are about", json_schema_extra={"maxLength": 200}
    )
    callBackUrl: str | None = None


@router.post("/api/v1/lyrics", responses=SUBMIT_ERRORS)
def lyrics(body: Lyrics, service: ServiceDep, user: UserDep) -> JSONResponse:
    return ok({"taskId": shape.task_id(service.submit_lyrics(user, body.prompt))})


@router.get("/api/v1/lyrics/record-info", responses=INFO_ERRORS)
def lyrics_info(taskId: TaskId, service: ServiceDep, user: UserDep) -> JSONResponse:  # noqa: N803
    row = service.lyrics(user, shape.stored_id(taskId))
    status = shape.lyrics_status(row.status)
    hex_id = shape.task_id(row.id)
    item = {
        "text": row.text or "",
        "title": row.title or "",
        "status": row.status,
        "errorMessage": row.error_message or "",
    }
    failed = status == "GENERATE_LYRICS_FAILED"
    return ok(
        {
            "taskId": hex_id,
            "param": json.dumps({"prompt": row.input}),
            "response": {"taskId": hex_id, "data": [item] if status == "SUCCESS" else []},
            "status": status,
            "type": "LYRICS",
            "errorCode": 500 if failed else None,
            "errorMessage": row.error_message if failed else None,
        }
    )


# -- tasks on a finished clip --------------------------------------------------------------------


class OnClip(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    taskId: str = Field(description="The music task")
    audioId: str | None = Field(None, description="One of its clips (default: the first)")
    callBackUrl: str | None = None


class Mp4(OnClip):
    author: str | None = None
    domainName: str | None = None


class VocalRemoval(OnClip):
    type: Literal["separate_vocal", "split_stem"] = "separate_vocal"


class Cover(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    taskId: str
    callBackUrl: str | None = None


def submit(tasks: Tasks, user: Any, kind: str, body: OnClip, mode: str | None = None) -> str:
    clip = tasks.song_clip(user, shape.stored_id(body.taskId), body.audioId)
    task = tasks.submit(user, kind, clip.id, mode=mode, callback_url=body.callBackUrl)
    return shape.task_id(task)


def info(task: Task, response: dict[str, Any] | None, flag: Any, error: str | None) -> JSONResponse:
    """The record-info of a task on a clip, in the shape wav, mp4 and vocal removal share."""
    return ok(
        {
            "taskId": shape.task_id(task.id),
            "musicId": task.clip.id,
            "callbackUrl": task.request.get("callback_url") or "",
            "musicIndex": task.clip.variant,
            "completeTime": iso(task.created_at) if task.state == "success" else None,
            "response": response,
            "successFlag": flag,
            "createTime": iso(task.created_at),
            "errorCode": 500 if error else None,
            "errorMessage": error,
        }
    )


@router.post("/api/v1/wav/generate", responses=SUBMIT_ERRORS)
def wav(body: OnClip, tasks: TasksDep, user: UserDep) -> JSONResponse:
    return ok({"taskId": submit(tasks, user, "wav", body)})


@router.get("/api/v1/wav/record-info", responses=INFO_ERRORS)
def wav_info(taskId: TaskId, tasks: TasksDep, user: UserDep) -> JSONResponse:  # noqa: N803
    task = tasks.get(user, shape.stored_id(taskId), "wav")
    response = {"audioWavUrl": task.files["wav"]} if task.state == "success" else None
    return info(task, response, shape.task_flag(task.state, "GENERATE_WAV_FAILED"), task.error)


@router.post("/api/v1/mp4/generate", responses=SUBMIT_ERRORS)
def mp4(body: Mp4, tasks: TasksDep, user: UserDep) -> JSONResponse:
    return ok({"taskId": submit(tasks, user, "mp4", body)})


@router.get("/api/v1/mp4/record-info", responses=INFO_ERRORS)
def mp4_info(taskId: TaskId, tasks: TasksDep, user: UserDep) -> JSONResponse:  # noqa: N803
    task = tasks.get(user, shape.stored_id(taskId), "mp4")
    response = {"videoUrl": task.files["mp4"]} if task.state == "success" else None
    return info(task, response, shape.task_flag(task.state, "GENERATE_MP4_FAILED"), task.error)


STEM_FIELDS = {"origin": "originUrl", "vocals": "vocalUrl", "instrumental": "instrumentalUrl"}
"""Stem name -> sunoapi.org's field; any other stem an engine makes is ``<name>Url``."""


@router.post("/api/v1/vocal-removal/generate", responses=SUBMIT_ERRORS)
def vocal_removal(body: VocalRemoval, tasks: TasksDep, user: UserDep) -> JSONResponse:
    """``separate_vocal``: vocals and instrumental; ``split_stem``: every stem the engine made
    (the built-in engine makes those two)."""
    return ok({"taskId": submit(tasks, user, "stems", body, mode=body.type)})


@router.get("/api/v1/vocal-removal/record-info", responses=INFO_ERRORS)
def vocal_removal_info(taskId: TaskId, tasks: TasksDep, user: UserDep) -> JSONResponse:  # noqa: N803
    task = tasks.get(user, shape.stored_id(taskId), "stems")
    response = None
    if task.state == "success":
        response = {STEM_FIELDS.get(name, f"{name}Url"): url for name, url in task.files.items()}
        response.setdefault("vocalUrl", None)  # an instrumental has no vocals
    flag = shape.task_flag(task.state, "GENERATE_AUDIO_FAILED")
    return info(task, response, flag, task.error)


@router.post("/api/v1/suno/cover/generate", responses=SUBMIT_ERRORS)
def cover(body: Cover, tasks: TasksDep, user: UserDep) -> JSONResponse:
    clip = tasks.song_clip(user, shape.stored_id(body.taskId), None)
    task = tasks.submit(user, "cover", clip.id, callback_url=body.callBackUrl)
    return ok({"taskId": shape.task_id(task)})


@router.get("/api/v1/suno/cover/record-info", responses=INFO_ERRORS)
def cover_info(taskId: TaskId, tasks: TasksDep, user: UserDep) -> JSONResponse:  # noqa: N803
    task = tasks.get(user, shape.stored_id(taskId), "cover")
    images = list(task.files.values())
    return ok(
        {
            "taskId": shape.task_id(task.id),
            "parentTaskId": shape.task_id(task.clip.batch_id) if task.clip.batch_id else "",
            "callbackUrl": task.request.get("callback_url") or "",
            "completeTime": iso(task.created_at) if task.state == "success" else None,
            "response": {"images": images} if images else None,
            "successFlag": shape.cover_flag(task.state),
            "createTime": iso(task.created_at),
            "errorCode": 500 if task.error else None,
            "errorMessage": task.error,
        }
    )
