"""A batch's callback stages, as sunoapi.org posts them: decide when one is due, fix its body and
queue its delivery (jobs/callbacks.py posts it). Called inside the transaction that reaches the
stage (``first``: the one right after), so a stage is queued when it happens, once per batch.

Stages: ``text`` (lyrics and title ready: at the create), ``first`` (a clip is streaming),
``complete`` (every clip complete), ``error`` (a clip ended in error).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection

from openchirp.config import Settings
from openchirp.core.clip import ClipStatus
from openchirp.core.errors import NotFound
from openchirp.core.models import DEFAULT_MODEL, MODELS
from openchirp.db import callbacks, queue, repo
from openchirp.db.records import BatchRecord, CallbackAttempt, Clip
from openchirp.storage import Storage

MESSAGES = {
    "text": "Text generation completed.",
    "first": "First track generation completed.",
    "complete": "All generated successfully.",
}
ERROR_CODE = 501
"""sunoapi.org's code for "audio generation failed"."""


def task_id(batch: BatchRecord) -> str:
    """The batch id as its client knows it."""
    return uuid.UUID(batch.id).hex if batch.task_id_form == "hex" else batch.id


def batch_id_of(task: str) -> str | None:
    """A batch id from either form of task id (None when it is neither)."""
    try:
        return str(uuid.UUID(task)) if len(task) in (32, 36) else None
    except ValueError:
        return None


def callback_clip(clip: Clip, storage: Storage, base_url: str) -> dict[str, Any]:
    """A clip as sunoapi.org's callbacks carry it (snake_case, and its own createTime)."""
    playable = clip.status in (ClipStatus.STREAMING, ClipStatus.COMPLETE) and clip.audio_key
    done = clip.status == ClipStatus.COMPLETE and clip.audio_key
    model = MODELS.get(clip.model) or MODELS[DEFAULT_MODEL]
    return {
        "id": clip.id,
        "audio_url": storage.url(clip.audio_key) if done else "",
        "stream_audio_url": f"{base_url}/stream/{clip.id}.mp3" if playable else "",
        "image_url": storage.url(clip.image_key) if clip.image_key else "",
        "prompt": clip.meta.get("prompt") or "",
        "model_name": model.key,
        "title": clip.title,
        "tags": clip.meta.get("tags") or "",
        "createTime": clip.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "duration": clip.meta.get("duration"),
    }


def _due(conn: Connection, batch_id: str | None, stage: str) -> BatchRecord | None:
    """The batch when its ``stage`` should be queued now: it has a callback URL and has not
    had this stage (nor, for ``first``, an error) yet."""
    if batch_id is None:
        return None
    batch = repo.get_batch(conn, batch_id)
    if batch is None or not batch.callback_url:
        return None
    callbacks.lock_batch(conn, batch_id)
    if callbacks.has_stage(conn, batch_id, stage):
        return None
    if stage == "first" and callbacks.has_stage(conn, batch_id, "error"):
        return None
    return batch


def _queue(
    conn: Connection, batch: BatchRecord, stage: str, code: int, msg: str, data: list[Any]
) -> None:
    payload = {
        "code": code,
        "msg": msg,
        "data": {"callbackType": stage, "task_id": task_id(batch), "data": data},
    }
    delivery = callbacks.insert_delivery(
        conn, batch_id=batch.id, stage=stage, url=batch.callback_url or "", payload=payload
    )
    queue.enqueue(conn, "callback", delivery)


def wanted(conn: Connection, settings: Settings, batch_id: str | None) -> bool:
    """Whether the batch has a callback URL: a cheap read before a stage's write."""
    if not settings.callbacks or batch_id is None:
        return False
    batch = repo.get_batch(conn, batch_id)
    return batch is not None and bool(batch.callback_url)


def stage_reached(
    conn: Connection, settings: Settings, storage: Storage, batch_id: str | None, stage: str
) -> None:
    """Queue ``text``, ``first`` or ``complete`` if due (``complete``: once every clip is)."""
    if not settings.callbacks:
        return
    batch = _due(conn, batch_id, stage)
    if batch is None:
        return
    rows = repo.clips_of_batch(conn, batch.id)
    if stage == "complete" and any(r.status != ClipStatus.COMPLETE for r in rows):
        return
    data = [callback_clip(r, storage, settings.public_base_url) for r in rows]
    _queue(conn, batch, stage, 200, MESSAGES[stage], data)


def clip_failed(conn: Connection, clip: Clip, message: str) -> None:
    """Queue the ``error`` stage of the clip's batch (its body carries no clips, as
    sunoapi.org's does not). A batch gets a URL only while callbacks are on."""
    batch = _due(conn, clip.batch_id, "error")
    if batch is not None:
        _queue(conn, batch, "error", ERROR_CODE, message, [])


def attempts_of_task(conn: Connection, user_id: str, task: str) -> list[CallbackAttempt]:
    """Every delivery attempt of the user's task (either form of its id), oldest first."""
    batch_id = batch_id_of(task)
    batch = repo.get_batch(conn, batch_id) if batch_id else None
    if batch is None or batch.user_id != user_id:
        raise NotFound(f"task {task} not found", field="task_id")
    return callbacks.attempts_of_batch(conn, batch.id)
