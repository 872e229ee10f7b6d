"""Clip files: final files with Range, HEAD, ETag and cache headers; the growing mp3 stream.

Files are reachable by URL without a key, like Suno's CDN: players (``<audio>``, ffmpeg, bots)
cannot send a Bearer header, and clip ids are unguessable UUIDs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from email.utils import formatdate
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from PIL import Image

from openchirp.api.deps import SESSION_COOKIE, Auth
from openchirp.api.dialects.registry import FALLBACK
from openchirp.api.errors import responses
from openchirp.core.clip import AVATAR, ClipStatus
from openchirp.core.errors import NotFound, OpenChirpError, Unauthorized
from openchirp.db import repo
from openchirp.db.records import Clip
from openchirp.media.streaming import is_done, tail_file
from openchirp.storage import ObjectStat, Storage, content_type
from openchirp.storage.beneath import open_beneath, stat_beneath
from openchirp.storage.keys import safe_key
from openchirp.storage.local import CHUNK
from openchirp.storage.signing import verify

router = APIRouter(tags=["files"])

FINAL_CACHE = "public, max-age=86400"
_avatar: bytes | None = None

Reader = Callable[[int, int], Iterator[bytes]]
"""The bytes ``[start, end)`` of the object being served."""


class BadRange(OpenChirpError):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message, field="Range")


class RangeNotSatisfiable(OpenChirpError):
    status_code = 416

    def __init__(self, message: str, size: int | None = None) -> None:
        super().__init__(message, field="Range")
        # RFC 9110: a 416 says the current length when it is known.
        self.headers = {"Content-Range": f"bytes */{size}"} if size is not None else None


class Forbidden(OpenChirpError):
    status_code = 403


def may_read(request: Request, clip: Clip | None) -> bool:
    """Whether this request may read a file of ``clip`` (None: a file of no clip). Unless URLs
    are signed, anyone with the URL may, like a CDN; then a private clip's files need a valid
    ``?exp=&sig=`` or its owner's key (the web page fetches peaks with its session)."""
    settings = request.app.state.settings
    if not settings.sign_file_urls or (clip is not None and clip.is_public):
        return True
    query = request.query_params
    if verify(settings.secret, request.url.path, query.get("exp"), query.get("sig")):
        return True
    if clip is None:
        return False
    auth: Auth = request.app.state.auth
    try:
        token = auth.token(
            request.headers.get("authorization"), request.cookies.get(SESSION_COOKIE)
        )
        user = auth.cached(token) or auth.lookup(token)
    except Unauthorized:
        return False
    return user.id == clip.user_id


def _check_signed(request: Request, key: str) -> None:
    if not request.app.state.settings.sign_file_urls:
        return
    parts = key.split("/")
    clip = None
    if len(parts) >= 3 and parts[0] == "clips":
        with request.app.state.service.db.read() as conn:
            clip = repo.get_clip(conn, parts[1])
    if not may_read(request, clip):
        raise Forbidden("this private clip's file URL is not signed, or has expired", field="sig")


SIGNED_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "model": FALLBACK.error_model,
        "description": "A private clip's file without a valid signature (OPENCHIRP_SIGNED_URLS)",
    }
}
RANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": FALLBACK.error_model, "description": "A malformed Range header"},
    416: {"model": FALLBACK.error_model, "description": "The Range starts past the end"},
}
PARTIAL = {206: {"description": "Partial content (Range)"}}


def _storage(request: Request) -> Storage:
    return request.app.state.storage


def _file(key: str, request: Request) -> Response:
    storage = _storage(request)
    try:
        key = safe_key(key)
    except ValueError as exc:
        raise NotFound("no such file", field="key") from exc
    if PurePosixPath(key).name.startswith(".tmp-"):
        raise NotFound("no such file", field="key")  # a file still being written
    _check_signed(request, key)
    if storage.local_path(key) is None:
        found = storage.stat(key)
        if found is not None:
            return published(request, key, found, FINAL_CACHE)
        # Not published yet: an mp3 being rendered on this machine is still in the workspace.
        if PurePosixPath(key).suffix.lower() != ".mp3":
            raise NotFound("no such file", field="key")
    # The local backend's files, or the workspace's: the same folder, read without links.
    root = storage.workspace.root
    st = stat_beneath(root, key)
    if st is None:
        raise NotFound("no such file", field="key")
    # An mp3 still being written is not final: never let a cache keep the partial bytes.
    growing = key.lower().endswith(".mp3") and not is_done(storage.workspace.path(key))
    found = ObjectStat(st.st_size, f'"{st.st_mtime_ns:x}-{st.st_size:x}"', st.st_mtime)
    return send(
        request,
        key,
        found,
        "no-store" if growing else FINAL_CACHE,
        lambda start, end: read_beneath(root, key, start, end),
        conditional=not growing,
    )


_FILE_DOC: dict[str, Any] = {
    "responses": {
        **responses(404),
        **PARTIAL,
        **RANGE_ERRORS,
        **SIGNED_ERRORS,
        304: {"description": "Not modified (ETag)"},
        307: {"description": "The object's presigned URL (OPENCHIRP_STORAGE_SERVE=redirect)"},
    },
    "summary": "A clip's file",
}
# One route per method: one route with both would give both operations one OpenAPI id.
file = router.get("/files/{key:path}", **_FILE_DOC)(_file)
file_head = router.head("/files/{key:path}", **_FILE_DOC)(_file)


def read_beneath(root: Path, key: str, start: int, end: int) -> Iterator[bytes]:
    with open_beneath(root, key) as f:
        f.seek(start)
        left = end - start
        while left > 0:
            data = f.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data


def published(request: Request, key: str, stat: ObjectStat, cache_control: str) -> Response:
    """A published object of a remote backend: streamed through with Range, or redirected."""
    storage = _storage(request)
    redirect = request.app.state.settings.storage_serve == "redirect"
    return send(
        request,
        key,
        stat,
        cache_control,
        lambda start, end: storage.read(key, start, end),
        presign=storage.presign if redirect else None,
    )


def send(
    request: Request,
    key: str,
    stat: ObjectStat,
    cache_control: str,
    read: Reader,
    *,
    conditional: bool = True,
    presign: Callable[[str], str | None] | None = None,
) -> Response:
    """An object with Range, HEAD, ETag and Last-Modified; ``presign`` to redirect a GET."""
    headers = {
        "Cache-Control": cache_control,
        "ETag": stat.etag,
        "Last-Modified": formatdate(stat.mtime, usegmt=True),
        "Accept-Ranges": "bytes",
    }
    if conditional and etag_matches(request.headers.get("if-none-match"), stat.etag):
        return Response(status_code=304, headers=headers)
    media_type = content_type(key)
    if request.method == "HEAD":
        return Response(
            media_type=media_type, headers={**headers, "Content-Length": str(stat.size)}
        )
    if presign is not None:
        url = presign(key)
        if url:
            # The presigned URL expires: the redirect itself is never cached.
            return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    if_range = request.headers.get("if-range")
    span = byte_range(request.headers.get("range", ""), stat.size)
    if span is None or (if_range is not None and if_range != stat.etag):
        headers["Content-Length"] = str(stat.size)
        # Up to the size announced: a file that grows meanwhile must not overrun Content-Length.
        return StreamingResponse(read(0, stat.size), media_type=media_type, headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{stat.size}"
    headers["Content-Length"] = str(end - start)
    return StreamingResponse(
        read(start, end), status_code=206, media_type=media_type, headers=headers
    )


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match``: ``*`` matches any existing object; otherwise a list of (weak) tags."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


_SPEC = re.compile(r"\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_ranges(value: str) -> list[tuple[int | None, int | None]] | None:
    """The ``(first, last)`` byte ranges a ``Range`` header asks for; None when there is none or
    its unit is not bytes (RFC 9110: ignored). BadRange when it does not parse."""
    value = value.strip()
    if not value:
        return None
    unit, eq, specs = value.partition("=")
    if not eq:
        raise BadRange(f"the Range header {value[:80]!r} is not 'bytes=first-last'")
    if unit.strip().lower() != "bytes":
        return None
    out: list[tuple[int | None, int | None]] = []
    for spec in specs.split(","):
        match = _SPEC.match(spec)
        if not match or match.groups() == ("", ""):
            raise BadRange(f"the Range header {value[:80]!r} is not 'bytes=first-last'")
        first, last = (int(g) if g else None for g in match.groups())
        if first is not None and last is not None and last < first:
            raise BadRange(f"the Range header {value[:80]!r} ends before it starts")
        out.append((first, last))
    return out


def byte_range(value: str, size: int) -> tuple[int, int] | None:
    """The one byte range a ``Range`` header asks for, as ``[start, end)``; None to send the
    whole object (no header, another unit, or several ranges, as RFC 9110 allows)."""
    ranges = parse_ranges(value)
    if ranges is None or len(ranges) > 1:
        return None
    first, last = ranges[0]
    if first is None:  # the last N bytes
        assert last is not None
        if last == 0 or size == 0:
            raise RangeNotSatisfiable(f"{value.strip()[:80]!r} asks for no bytes", size)
        return max(0, size - last), size
    if first >= size:
        raise RangeNotSatisfiable(f"{value.strip()[:80]!r} starts past the end ({size})", size)
    end = min(last + 1, size) if last is not None else size
    return first, end


def _stream(clip_id: str, request: Request) -> Response:
    """The clip's audio while it renders: an mp3 that grows until the last block is encoded.

    It grows in the workspace of the worker rendering it: with a remote backend, this answers
    while the clip streams only where the API sees that worker's workspace folder.
    """
    service = request.app.state.service
    with service.db.read() as conn:
        clip = repo.get_clip(conn, clip_id)
    if clip is None or not clip.audio_key:
        raise NotFound(f"clip {clip_id} has no audio yet", field="clip_id")
    if not may_read(request, clip):
        raise Forbidden("this private clip's stream URL is not signed, or has expired", field="sig")
    storage = _storage(request)
    key = clip.audio_key
    root = storage.workspace.root
    path = storage.workspace.path(key)
    st = stat_beneath(root, key)
    if storage.local_path(key) is None and st is None:
        # Rendered and published: the mp3 has left the workspace.
        found = storage.stat(key)
        if found is not None:
            return published(request, key, found, "no-cache")
    if st is not None and (clip.status == ClipStatus.COMPLETE or is_done(path)):
        whole = ObjectStat(st.st_size, f'"{st.st_mtime_ns:x}-{st.st_size:x}"', st.st_mtime)
        return send(request, key, whole, "no-cache", lambda s, e: read_beneath(root, key, s, e))
    if st is None and os.path.lexists(path):
        raise NotFound(f"clip {clip_id} has no audio yet", field="clip_id")  # a link, a folder
    headers = {"Cache-Control": "no-store", "Accept-Ranges": "bytes"}
    if request.method == "HEAD":
        # Its length is not known yet: say none rather than the empty body's 0.
        response = Response(media_type="audio/mpeg", headers=headers)
        del response.headers["content-length"]
        return response
    ranges = parse_ranges(request.headers.get("range", ""))
    finished = done_or_moved(path)
    opener = lambda: open_beneath(root, key)  # noqa: E731
    if ranges and len(ranges) == 1 and ranges[0][0] is not None and st is not None:
        # Seeking inside what exists: answer the bytes written so far (total still unknown).
        start, last = ranges[0]
        assert start is not None
        end = min(last if last is not None else st.st_size - 1, st.st_size - 1)
        if start > end:
            raise RangeNotSatisfiable(f"the Range starts past the {st.st_size} bytes written")
        headers["Content-Range"] = f"bytes {start}-{end}/*"
        return StreamingResponse(
            tail_file(path, finished, start=start, end=end + 1, opener=opener),
            status_code=206,
            media_type="audio/mpeg",
            headers=headers,
        )
    return StreamingResponse(
        tail_file(path, finished, opener=opener), media_type="audio/mpeg", headers=headers
    )


_STREAM_DOC: dict[str, Any] = {
    "responses": {**responses(404), **PARTIAL, **RANGE_ERRORS, **SIGNED_ERRORS},
    "summary": "A clip's audio while it renders",
}
stream = router.get("/stream/{clip_id}.mp3", **_STREAM_DOC)(_stream)
stream_head = router.head("/stream/{clip_id}.mp3", **_STREAM_DOC)(_stream)


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
