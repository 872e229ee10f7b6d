"""The requests the client sends and how it reads the answers, with no I/O: the sync and async
clients share them. The dialect spoken is gcui-art/suno-api's, which the server serves beside
the others; its clip ids are the same in every dialect."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx

from openchirp.client.errors import ClipFailed, OpenChirpError, error_for
from openchirp.client.models import Clip, Limits

DEFAULT_URL = "http://127.0.0.1:3000"
URL_ENV, KEY_ENV = "OPENCHIRP_URL", "OPENCHIRP_API_KEY"
FILES = ("mp3", "wav", "cover", "video")
"""What ``download`` can fetch of a clip."""


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: dict[str, Any] | None = None


def base_url(url: str | None) -> str:
    return (url or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")


def api_key(key: str | None) -> str | None:
    return key or os.environ.get(KEY_ENV) or None


def headers(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def same_origin(url: str, base: str) -> bool:
    """Whether a file URL is the server's own (the key is sent there only, never to a CDN)."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def create(
    *,
    lyrics: str | None,
    description: str | None,
    tags: str,
    title: str,
    negative_tags: str,
    instrumental: bool,
    model: str | None,
) -> Call:
    if description is not None:
        body: dict[str, Any] = {"prompt": description, "make_instrumental": instrumental}
        return Call("POST", "/api/generate", json=_with_model(body, model))
    body = {
        "prompt": lyrics or "",
        "tags": tags,
        "title": title,
        "negative_tags": negative_tags,
        "make_instrumental": instrumental,
    }
    return Call("POST", "/api/custom_generate", json=_with_model(body, model))


def extend(
    clip_id: str,
    *,
    continue_at: float,
    lyrics: str,
    tags: str,
    title: str,
    negative_tags: str,
    model: str | None,
) -> Call:
    body: dict[str, Any] = {
        "audio_id": clip_id,
        "continue_at": continue_at,
        "prompt": lyrics,
        "tags": tags,
        "title": title,
        "negative_tags": negative_tags,
    }
    return Call("POST", "/api/extend_audio", json=_with_model(body, model))


def concat(clip_id: str) -> Call:
    return Call("POST", "/api/concat", json={"clip_id": clip_id})


def get(ids: Iterable[str]) -> Call:
    return Call("GET", "/api/get", params={"ids": ",".join(ids)})


def library(page: int) -> Call:
    return Call("GET", "/api/get", params={"page": page})


def limits() -> Call:
    return Call("GET", "/api/get_limit")


def wav(clip_id: str) -> Call:
    return Call("GET", "/api/get_wav", params={"id": clip_id})


def _with_model(body: dict[str, Any], model: str | None) -> dict[str, Any]:
    return {**body, "model": model} if model else body


def payload(response: httpx.Response) -> Any:
    """The answer's JSON; an :class:`ApiError` of the right kind for an error status."""
    if response.is_success:
        return response.json()
    try:
        body = response.json()
    except ValueError:
        body = None
    raise error_for(response.status_code, body, response.text[:300])


def length(response: httpx.Response) -> int | None:
    """A download's size, when the server says it."""
    value = response.headers.get("content-length")
    return int(value) if value and value.isdigit() else None


def clips(data: Any) -> list[Clip]:
    items = data if isinstance(data, list) else [data]
    return [Clip.from_json(item) for item in items]


def limits_of(data: Any) -> Limits:
    return Limits.from_json(data)


def check_finished(found: list[Clip], raise_on_error: bool) -> None:
    if raise_on_error:
        for clip in found:
            if clip.status == "error":
                raise ClipFailed(clip)


def check_downloadable(clip: Clip) -> None:
    if not clip.complete:
        raise OpenChirpError(
            f"clip {clip.id} is {clip.status}: only a complete clip's files can be downloaded "
            "(wait for it first)"
        )


def file_urls(clip: Clip, wanted: Iterable[str]) -> dict[str, str]:
    """The URLs of a clip's files by kind, for those it has (``wav`` is asked for apart)."""
    known = {"mp3": clip.audio_url, "cover": clip.image_url, "video": clip.video_url}
    return {kind: known[kind] for kind in wanted if kind in known and known[kind]}


def file_name(clip: Clip, kind: str, url: str) -> str:
    """``<clip id>.<ext>``, the extension the URL's path has (the kind's usual one otherwise)."""
    suffix = PurePosixPath(urlsplit(url).path).suffix
    usual = {"mp3": ".mp3", "wav": ".wav", "cover": ".jpeg", "video": ".mp4"}[kind]
    if kind == "cover" and suffix in (".jpg", ".jpeg", ".png", ".webp"):
        return f"{clip.id}{suffix}"
    return f"{clip.id}{usual}"
