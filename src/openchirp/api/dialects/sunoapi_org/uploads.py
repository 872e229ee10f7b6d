"""sunoapi.org's file uploads (its separate upload host's paths, served on the same origin) and
the music operations on an upload. ``core/uploads.py`` keeps the audio; the operations are
refused by name where the configured engine cannot do them (the built-in one cannot: it renders
only from its own plans).
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

from openchirp.api.deps import UserDep
from openchirp.api.dialects.base import nul_free
from openchirp.api.dialects.sunoapi_org import shape
from openchirp.api.dialects.sunoapi_org.shape import responses
from openchirp.core.clip import iso
from openchirp.core.errors import InvalidInput, TooLong
from openchirp.core.uploads import Upload, Uploads

router = APIRouter(tags=["sunoapi.org uploads"])
UPLOAD_ERRORS = responses(400, 401, 413)
OPERATION_ERRORS = responses(400, 401, 404)


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


class OnUpload(BaseModel):
    model_config = ConfigDict(json_schema_extra=nul_free)
    uploadUrl: str
    model: str = "V4_5ALL"
    prompt: str = ""
    style: str = ""
    tags: str = ""
    title: str = ""
    negativeTags: str = ""
    customMode: bool = False
    instrumental: bool = False
    defaultParamFlag: bool = False
    continueAt: float | None = None
    callBackUrl: str | None = None


OPERATIONS = {
    "/api/v1/generate/upload-extend": "upload_extend",
    "/api/v1/generate/upload-cover": "upload_cover",
    "/api/v1/generate/add-instrumental": "add_instrumental",
    "/api/v1/generate/add-vocals": "add_vocals",
}


def _refuse(uploads: Uploads, user: Any, operation: str, body: OnUpload) -> NoReturn:
    model = shape.MODEL_SPELLINGS.get(body.model.strip().lower(), body.model)
    raise uploads.operation(user, operation, body.uploadUrl, model)


def _route(path: str, operation: str) -> None:
    def endpoint(body: OnUpload, uploads: UploadsDep, user: UserDep) -> JSONResponse:
        return _refuse(uploads, user, operation, body)

    endpoint.__name__ = operation
    endpoint.__doc__ = (
        f"{operation.replace('_', ' ')} on uploaded audio: needs an engine that declares "
        f"{operation!r}; the built-in composer does not, so this answers 400 naming both."
    )
    router.post(path, responses=OPERATION_ERRORS)(endpoint)


for _path, _operation in OPERATIONS.items():
    _route(_path, _operation)
