"""Clip files: final files with Range, HEAD, ETag and cache headers; the growing mp3 stream.

Files are reachable by URL without a key, like Suno's CDN: players (``<audio>``, ffmpeg, bots)
cannot send a Bearer header, and clip ids are unguessable UUIDs.
"""

from __future__ import annotations

import mimetypes
import re
from io import BytesIO

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from PIL import Image

from openchirp.api.errors import responses
from openchirp.core.clip import AVATAR, ClipStatus
from openchirp.core.errors import NotFound
from openchirp.db import repo
from openchirp.media.streaming import is_done, tail_file
from openchirp.storage import LocalStorage

router = APIRouter(tags=["files"])

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".json": "application/json",
}
FINAL_CACHE = "public, max-age=86400"
_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")
_avatar: bytes | None = None


def _storage(request: Request) -> LocalStorage:
    return request.app.state.storage


@router.api_route(
    "/files/{key:path}",
    methods=["GET", "HEAD"],
    responses={
        **responses(404),
        206: {"description": "Partial content (Range)"},
        304: {"description": "Not modified (ETag)"},
    },
)
def file(key: str, request: Request) -> Response:
    storage = _storage(request)
    try:
        path = storage.local_path(key)
    except ValueError as exc:
        raise NotFound("no such file", field="key") from exc
    if not path.is_file() or path.name.startswith(".tmp-"):
        raise NotFound("no such file", field="key")
    suffix = path.suffix.lower()
    media_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0]
    # An mp3 still being written is not final: never let a cache keep the partial bytes.
    growing = suffix == ".mp3" and not is_done(path)
    stat = path.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    headers = {"Cache-Control": "no-store" if growing else FINAL_CACHE, "ETag": etag}
    if not growing and etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return FileResponse(
        path, media_type=media_type or "application/octet-stream", headers=headers, stat_result=stat
    )


@router.api_route("/stream/{clip_id}.mp3", methods=["GET", "HEAD"], responses=responses(404))
def stream(clip_id: str, request: Request) -> Response:
    """The clip's audio while it renders: an mp3 that grows until the last block is encoded."""
    service = request.app.state.service
    with service.db.read() as conn:
        clip = repo.get_clip(conn, clip_id)
    if clip is None or not clip.audio_key:
        raise NotFound(f"clip {clip_id} has no audio yet", field="clip_id")
    path = _storage(request).local_path(clip.audio_key)
    if clip.status == ClipStatus.COMPLETE or is_done(path):
        return FileResponse(path, media_type="audio/mpeg", headers={"Cache-Control": "no-cache"})
    headers = {"Cache-Control": "no-store", "Accept-Ranges": "bytes"}
    if request.method == "HEAD":
        return Response(media_type="audio/mpeg", headers=headers)
    match = _RANGE.match(request.headers.get("range", ""))
    if match and path.exists():
        # Seeking inside what exists: answer the bytes written so far (total still unknown).
        start = int(match.group(1))
        size = path.stat().st_size
        end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        if start <= end:
            headers["Content-Range"] = f"bytes {start}-{end}/*"
            return StreamingResponse(
                tail_file(path, start=start, end=end + 1),
                status_code=206,
                media_type="audio/mpeg",
                headers=headers,
            )
    return StreamingResponse(tail_file(path), media_type="audio/mpeg", headers=headers)


@router.get(f"/static/{AVATAR}", include_in_schema=False)
def avatar() -> Response:
    global _avatar
    if _avatar is None:
        out = BytesIO()
        Image.new("RGB", (64, 64), (255, 140, 40)).save(out, "JPEG", quality=85)
        _avatar = out.getvalue()
    return Response(_avatar, media_type="image/jpeg", headers={"Cache-Control": FINAL_CACHE})
