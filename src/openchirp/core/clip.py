"""The canonical clip: Suno's own shape (snake_case), built from a stored row.

Dialect modules render this one dict into their own shapes; nothing else keeps a copy of the truth.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from openchirp.core.models import DEFAULT_MODEL, MODELS
from openchirp.core.urls import Urls
from openchirp.storage import Storage


class ClipStatus(StrEnum):
    SUBMITTED = "submitted"
    QUEUED = "queued"
    STREAMING = "streaming"
    COMPLETE = "complete"
    ERROR = "error"


FINISHED = (ClipStatus.COMPLETE, ClipStatus.ERROR)
AVATAR = "defaultOrange.jpg"


def new_metadata(
    *,
    tags: str,
    prompt: str,
    negative_tags: str = "",
    gpt_description_prompt: str | None = None,
    history: list[dict[str, Any]] | None = None,
    concat_history: list[dict[str, Any]] | None = None,
    clip_type: str = "gen",
    has_vocal: bool = True,
    stem_from_id: str | None = None,
    stem_type: str | None = None,
) -> dict[str, Any]:
    """Suno's `metadata` object for a new clip, every key present."""
    meta: dict[str, Any] = {
        "tags": tags,
        "negative_tags": negative_tags,
        "prompt": prompt,
        "gpt_description_prompt": gpt_description_prompt,
        "audio_prompt_id": history[0]["id"] if history else None,
        "history": history,
        "concat_history": concat_history,
        "stem_from_id": stem_from_id,
        "type": clip_type,
        "duration": None,
        "refund_credits": None,
        "stream": True,
        "infill": False,
        "has_vocal": has_vocal,
        "is_audio_upload_tos_accepted": True,
        "error_type": None,
        "error_message": None,
    }
    if stem_type is not None:
        meta["stem_type"] = stem_type
    return meta


def iso(ts: datetime) -> str:
    """Suno's timestamp format: UTC with milliseconds and a Z."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def canonical_clip(row: Any, user: Any, storage: Storage, urls: Urls | str) -> dict[str, Any]:
    """The clip as Suno returns it. ``row`` is a clips row, ``user`` a users row; ``urls`` how
    its URLs are written (a base URL: unsigned ones)."""
    if isinstance(urls, str):
        urls = Urls(urls, None, 0, (urls, 0))
    status = row.status
    model = MODELS.get(row.model) or MODELS[DEFAULT_MODEL]
    meta = dict(row.meta)
    public = bool(row.is_public)

    def file_url(key: str) -> str:
        return urls.file(storage.url(key, urls.base), public)

    if status == ClipStatus.STREAMING:
        audio_url = urls.stream(row.id, public)
    elif status == ClipStatus.COMPLETE and row.audio_key:
        audio_url = file_url(row.audio_key)
    else:
        audio_url = ""
    base_url = urls.base
    return {
        "id": row.id,
        "video_url": file_url(row.video_key) if row.video_key else "",
        "audio_url": audio_url,
        "image_url": file_url(row.image_key) if row.image_key else None,
        "image_large_url": file_url(row.image_large_key) if row.image_large_key else None,
        # Suno: true until the mp4 exists; an errored clip will never have one.
        "is_video_pending": status != ClipStatus.ERROR and not row.video_key,
        "major_model_version": model.major_version,
        "model_name": model.key,
        "metadata": meta,
        "is_liked": bool(row.is_liked),
        "user_id": user.id,
        "display_name": user.display_name,
        "handle": user.handle,
        "is_handle_updated": False,
        "avatar_image_url": f"{base_url}/static/{AVATAR}",
        "is_trashed": bool(row.is_trashed),
        "reaction": None,
        "created_at": iso(row.created_at),
        "status": status,
        "title": row.title,
        "play_count": row.play_count,
        "upvote_count": row.upvote_count,
        "is_public": bool(row.is_public),
    }
