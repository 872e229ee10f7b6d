"""sunoapi.org's file uploads (its separate upload host's paths, served on the same origin) and
the music operations on an upload. ``core/uploads.py`` keeps the audio and runs upload-extend
and upload-cover where the requested model's engine declares them (ACE-Step); they are refused
by name elsewhere (the built-in composer renders only from its own plans), and so are
add-vocals and add-instrumental everywhere.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.formparsers import MultiPartException

from openchirp.api.deps import IdempotencyKey, UserDep
from openchirp.api.dialects.base import nul_free
from openchirp.api.dialects.sunoapi_org import shape
from openchirp.api.dialects.sunoapi_org.shape import ok, responses
from openchirp.api.dialects.sunoapi_org.songs import (
    VOICES,
    Tuning,
    described,
    model_key,
    required,
)
from openchirp.core.clip import iso
from openchirp.core.errors import InvalidInput, TooLong
from openchirp.core.requests import UploadRequest
from openchirp.core.uploads import Upload, Uploads

router = APIRouter(tags=["sunoapi.org uploads"])
UPLOAD_ERRORS = responses(400, 401, 413)
OPERATION_ERRORS = responses(400, 401, 404, 413, 429, 507)
REFUSED_ERRORS = responses(400, 401, 404)


def get_uploads(request: Request) -> Uploads:
    return Uploads(request.app.state.service)


UploadsDep = Annotated[Uploads, Depends(get_uploads)]


def uploaded(upload: Upload, upload_path: str) -> JSONResponse:
    """The upload host's reply: ``success`` beside the usual envelope."""
    data = {
        "fileName": upload.file_name,
        "filePath": f"{upload_path.strip('/')}/{upload.file_name}".lstrip("/"),
        "downloadUrl": upload.url,
        "fileSize": upload.size,
        "mimeType": mimetypes.guess_type(upload.file_name)[0] or "application/octet-stream",
        "uploadedAt": iso(upload.created_at),
    }
    return JSONResponse({"success": True, "code": 200, "msg": "File uploaded", "data": data})


STREAM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "uploadPath": {"type": "string"},
                        "fileName": {"type": "string"},
                    },
                }
            }
        },
    }
}
FORM_OVERHEAD = 64 * 1024
"""Bytes a multipart body may carry beyond the file itself (boundaries, the other fields)."""


@router.post("/api/file-stream-upload", responses=UPLOAD_ERRORS, openapi_extra=STREAM_BODY)
async def file_stream_upload(request: Request, uploads: UploadsDep, user: UserDep) -> JSONResponse:
    """The file as multipart form data (``file``; ``uploadPath``, ``fileName`` optional)."""
    form = await multipart_form(request, uploads.max_bytes + FORM_OVERHEAD)
    file = form.get("file")
    if not isinstance(file, StarletteUpload):
        raise InvalidInput("file is required: the audio, as multipart form data", field="file")
    data = await file.read(uploads.max_bytes + 1)
    name = str(form.get("fileName") or file.filename or "upload")
    upload = await run_in_threadpool(uploads.store, user, data, name)
    return uploaded(upload, str(form.get("uploadPath") or ""))


async def multipart_form(request: Request, max_bytes: int) -> FormData:
    """The request's form. A multipart body sent as another type is read as multipart all the
    same: suno-easy's upload keeps its session's ``Content-Type: application/json`` on it."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise TooLong(f"the upload is {length} bytes; the limit is {max_bytes}", field="file")
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        return await _form(request)
    body = await request.body()
    if len(body) > max_bytes:
        raise TooLong(f"the upload is over {max_bytes} bytes", field="file")
    boundary = body.split(b"\r\n", 1)[0]
    if not (boundary.startswith(b"--") and 2 < len(boundary) <= 72):
        raise InvalidInput("file is required: the audio, as multipart form data", field="file")
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
    headers.append((b"content-type", b"multipart/form-data; boundary=" + boundary[2:]))
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return await _form(Request({**request.scope, "headers": headers}, receive))


async def _form(request: Request) -> FormData:
    try:
        return await request.form(max_part_size=request.app.state.settings.upload_max_bytes)
    except MultiPartException as exc:
        raise InvalidInput(f"the multipart body cannot be read: {exc}", field="file") from exc


class Base64Upload(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    base64Data: str = Field(description="The file, base64 (a data: URL prefix is allowed)")
    uploadPath: str = ""
    fileName: str | None = None


@router.post("/api/file-base64-upload", responses=UPLOAD_ERRORS)
def file_base64_upload(body: Base64Upload, uploads: UploadsDep, user: UserDep) -> JSONResponse:
    encoded = body.base64Data.partition("base64,")[2] or body.base64Data
    if len(encoded) > uploads.max_bytes * 4 // 3 + 4:
        raise TooLong(f"base64Data decodes to over {uploads.max_bytes} bytes", field="base64Data")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("base64Data is not valid base64", field="base64Data") from None
    return uploaded(uploads.store(user, data, body.fileName or "upload"), body.uploadPath)


class UrlUpload(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    fileUrl: str
    uploadPath: str = ""
    fileName: str | None = None


@router.post("/api/file-url-upload", responses=UPLOAD_ERRORS)
def file_url_upload(body: UrlUpload, uploads: UploadsDep, user: UserDep) -> JSONResponse:
    """Off unless ``OPENCHIRP_UPLOAD_URL_FETCH=1``: the server fetches no URL a client names."""
    data = uploads.fetch(body.fileUrl)
    name = body.fileName or body.fileUrl.rsplit("/", 1)[-1].split("?", 1)[0]
    return uploaded(uploads.store(user, data, name), body.uploadPath)


class OnUpload(Tuning):
    """An operation on an upload. Upload-extend's custom parameters are ``defaultParamFlag``
    (upload-cover's are ``customMode``; either is read as custom mode for both): a style, a
    title and the lyrics unless instrumental; otherwise ``prompt`` describes the song.
    ``audioWeight`` is how closely a cover follows the upload (0 to 1)."""

    model_config = ConfigDict(json_schema_extra=nul_free)
    uploadUrl: str
    model: str = "V4_5ALL"
    prompt: str = ""
    style: str = ""
    tags: str = ""
    title: str = ""
    customMode: bool = False
    instrumental: bool = False
    defaultParamFlag: bool = False
    continueAt: float | None = None


OPERATIONS = {
    "/api/v1/generate/add-instrumental": "add_instrumental",
    "/api/v1/generate/add-vocals": "add_vocals",
}
"""Operations refused by name: no engine here writes an accompaniment or a vocal part."""


def upload_request(body: OnUpload) -> UploadRequest:
    """The domain request, checked by sunoapi.org's mode rules (as ``generate`` checks them)."""
    style = body.style or body.tags
    common: dict[str, Any] = {
        "upload_url": body.uploadUrl,
        "negative_tags": body.negativeTags,
        "instrumental": body.instrumental,
        "model": model_key(body.model),
        "continue_at": body.continueAt,
        "strength": body.audioWeight,
        "callback_url": body.callBackUrl,
        "voice": VOICES.get(body.vocalGender or ""),
        "task_id_form": "hex",
    }
    if body.customMode or body.defaultParamFlag:
        required(style, "tags", "in custom mode")
        required(body.title, "title", "in custom mode")
        if not body.instrumental:
            required(body.prompt, "lyrics", "in custom mode with vocals (the lyrics)")
        lyrics = "" if body.instrumental else body.prompt
        return UploadRequest(lyrics=lyrics, tags=style, title=body.title, **common)
    described(body.prompt)
    return UploadRequest(description=body.prompt, **common)


@router.post("/api/v1/generate/upload-extend", responses=OPERATION_ERRORS)
def upload_extend(
    body: OnUpload, uploads: UploadsDep, user: UserDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Continue an upload from ``continueAt`` (default: its end): two clips, each the new part
    only, by the engine of ``model``, which must declare ``upload_extend`` (the built-in
    composer does not: 400 naming it)."""
    uploads.check(user, "upload_extend", body.uploadUrl, _model(body))
    batch = uploads.extend(user, upload_request(body), idempotency_key)
    return ok({"taskId": shape.task_id(batch.id)})


@router.post("/api/v1/generate/upload-cover", responses=OPERATION_ERRORS)
def upload_cover(
    body: OnUpload, uploads: UploadsDep, user: UserDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Cover an upload: two clips of its length (up to the model's longest), its melody in the
    request's style and lyrics, by the engine of ``model``, which must declare ``upload_cover``
    (and, for ACE-Step, have the audio tokenizer in its folder; otherwise 400 naming it)."""
    uploads.check(user, "upload_cover", body.uploadUrl, _model(body))
    batch = uploads.cover(user, upload_request(body), idempotency_key)
    return ok({"taskId": shape.task_id(batch.id)})


def _model(body: OnUpload) -> str:
    return shape.MODEL_SPELLINGS.get(body.model.strip().lower(), body.model)


def _refuse(uploads: Uploads, user: Any, operation: str, body: OnUpload) -> NoReturn:
    raise uploads.operation(user, operation, body.uploadUrl, _model(body))


def _route(path: str, operation: str) -> None:
    def endpoint(body: OnUpload, uploads: UploadsDep, user: UserDep) -> JSONResponse:
        return _refuse(uploads, user, operation, body)

    endpoint.__name__ = operation
    endpoint.__doc__ = (
        f"{operation.replace('_', ' ')} on uploaded audio: needs an engine that declares "
        f"{operation!r}; none here does, so this answers 400 naming the engine."
    )
    router.post(path, responses=REFUSED_ERRORS)(endpoint)


for _path, _operation in OPERATIONS.items():
    _route(_path, _operation)
