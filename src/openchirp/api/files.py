"""Clip files: final files with Range, HEAD, ETag and cache headers; the growing mp3 stream.

Files are reachable by URL without a key, like Suno's CDN: players (``<audio>``, ffmpeg, bots)
cannot send a Bearer header, and clip ids are unguessable UUIDs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.utils import formatdate
from io import BytesIO
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from PIL import Image

from openchirp.api.errors import responses
from openchirp.core.clip import AVATAR, ClipStatus
from openchirp.core.errors import NotFound
from openchirp.db import repo
from openchirp.media.streaming import is_done, tail_file
from openchirp.storage import ObjectStat, Storage, content_type

router = APIRouter(tags=["files"])

FINAL_CACHE = "public, max-age=86400"
_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")
_avatar: bytes | None = None


def _storage(request: Request) -> Storage:
    return request.app.state.storage


@router.api_route(
    "/files/{key:path}",
    methods=["GET", "HEAD"],
    responses={
        **responses(404),
        206: {"description": "Partial content (Range)"},
        304: {"description": "Not modified (ETag)"},
        307: {"description": "The object's presigned URL (OPENCHIRP_STORAGE_SERVE=redirect)"},
    },
)
def file(key: str, request: Request) -> Response:
    storage = _storage(request)
    try:
        path = storage.local_path(key)
        if PurePosixPath(key).name.startswith(".tmp-"):
            raise ValueError("a file still being written")
        if path is None:
            found = storage.stat(key)
    except ValueError as exc:
        raise NotFound("no such file", field="key") from exc
    if path is None:
        if found is not None:
            return published(request, key, found, FINAL_CACHE)
        # Not published yet: an mp3 being rendered on this machine is still in the workspace.
        path = storage.workspace.path(key)
        if path.suffix.lower() != ".mp3":
            raise NotFound("no such file", field="key")
    if not path.is_file() or path.name.startswith(".tmp-"):
        raise NotFound("no such file", field="key")
    suffix = path.suffix.lower()
    # An mp3 still being written is not final: never let a cache keep the partial bytes.
    growing = suffix == ".mp3" and not is_done(path)
    stat = path.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    headers = {"Cache-Control": "no-store" if growing else FINAL_CACHE, "ETag": etag}
    if not growing and etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=content_type(key), headers=headers, stat_result=stat)


def published(request: Request, key: str, stat: ObjectStat, cache_control: str) -> Response:
    """A published object of a remote backend: streamed through with Range, or redirected."""
    headers = {
        "Cache-Control": cache_control,
        "ETag": stat.etag,
        "Last-Modified": formatdate(stat.mtime, usegmt=True),
        "Accept-Ranges": "bytes",
    }
    if stat.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    media_type = content_type(key)
    storage = _storage(request)
    if request.method == "HEAD":
        return Response(
            media_type=media_type, headers={**headers, "Content-Length": str(stat.size)}
        )
    if request.app.state.settings.storage_serve == "redirect":
        url = storage.presign(key)
        if url:
            # The presigned URL expires: the redirect itself is never cached.
            return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    if_range = request.headers.get("if-range")
    try:
        span = byte_range(request.headers.get("range", ""), stat.size)
    except RangeNotSatisfiable:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{stat.size}"})
    if span is None or (if_range is not None and if_range != stat.etag):
        body = storage.read(key)
        headers["Content-Length"] = str(stat.size)
        return StreamingResponse(body, media_type=media_type, headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{stat.size}"
    headers["Content-Length"] = str(end - start)
    return StreamingResponse(
        storage.read(key, start, end), status_code=206, media_type=media_type, headers=headers
    )


class RangeNotSatisfiable(Exception):
    pass


_ONE_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def byte_range(value: str, size: int) -> tuple[int, int] | None:
    """The one byte range a ``Range`` header asks for, as ``[start, end)``; None to send the
    whole object (no header, several ranges, or one that does not parse, as RFC 9110 allows)."""
    match = _ONE_RANGE.match(value.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # the last N bytes
        if int(last) == 0:
            raise RangeNotSatisfiable
        return max(0, size - int(last)), size
    start = int(first)
    if start >= size:
        raise RangeNotSatisfiable
    end = min(int(last) + 1, size) if last else size
    return (start, end) if end > start else None


@router.api_route("/stream/{clip_id}.mp3", methods=["GET", "HEAD"], responses=responses(404))
def stream(clip_id: str, request: Request) -> Response:
    """The clip's audio while it renders: an mp3 that grows until the last block is encoded.

    It grows in the workspace of the worker rendering it: with a remote backend, this answers
    while the clip streams only where the API sees that worker's workspace folder.
    """
    service = request.app.state.service
    with service.db.read() as conn:
        clip = repo.get_clip(conn, clip_id)
    if clip is None or not clip.audio_key:
        raise NotFound(f"clip {clip_id} has no audio yet", field="clip_id")
    storage = _storage(request)
    path = storage.workspace.path(clip.audio_key)
    if storage.local_path(clip.audio_key) is None and not path.is_file():
        # Rendered and published: the mp3 has left the workspace.
        found = storage.stat(clip.audio_key)
        if found is not None:
            return published(request, clip.audio_key, found, "no-cache")
    if clip.status == ClipStatus.COMPLETE or is_done(path):
        return FileResponse(path, media_type="audio/mpeg", headers={"Cache-Control": "no-cache"})
    headers = {"Cache-Control": "no-store", "Accept-Ranges": "bytes"}
    if request.method == "HEAD":
        return Response(media_type="audio/mpeg", headers=headers)
    finished = done_or_moved(path)
    match = _RANGE.match(request.headers.get("range", ""))
    if match and path.exists():
        # Seeking inside what exists: answer the bytes written so far (total still unknown).
        start = int(match.group(1))
        size = path.stat().st_size
        end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        if start <= end:
            headers["Content-Range"] = f"bytes {start}-{end}/*"
            return StreamingResponse(
                tail_file(path, finished, start=start, end=end + 1),
                status_code=206,
                media_type="audio/mpeg",
                headers=headers,
            )
    return StreamingResponse(tail_file(path, finished), media_type="audio/mpeg", headers=headers)


def done_or_moved(path: Path) -> Callable[[], bool]:
    """The growing file is final once its ``.done`` marker exists, or once it has left the
    workspace after being seen (a remote backend published it; an open reader keeps reading)."""
    seen = False

    def finished() -> bool:
        nonlocal seen
        if is_done(path):
            return True
        if path.exists():
            seen = True
            return False
        return seen

    return finished


@router.get(f"/static/{AVATAR}", include_in_schema=False)
def avatar() -> Response:
    global _avatar
    if _avatar is None:
        out = BytesIO()
        Image.new("RGB", (64, 64), (255, 140, 40)).save(out, "JPEG", quality=85)
        _avatar = out.getvalue()
    return Response(_avatar, media_type="image/jpeg", headers={"Cache-Control": FINAL_CACHE})
