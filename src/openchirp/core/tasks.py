"""Tasks on finished clips: a wav, an mp4, separated stems, cover art (sunoapi.org's task routes).

A task is a batch row of its own kind that names its source clip; its state and files are read
from the source clip when asked, since every one of them is a file a finished clip has (or, for
the mp4, gets from the video job): nothing is copied and no second truth is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openchirp.core.clip import ClipStatus
from openchirp.core.errors import Conflict, InvalidInput, NotFound
from openchirp.core.service import Artefacts, Service, no_stems
from openchirp.db import queue, repo
from openchirp.db.records import BatchRecord, Clip, User

KINDS = ("wav", "mp4", "stems", "cover")
STEM_MODES = ("separate_vocal", "split_stem")
SEPARATE_VOCAL = ("vocals", "instrumental")


class TaskState:
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(frozen=True)
class Task:
    id: str
    kind: str
    created_at: datetime
    clip: Clip
    """The source clip (for cover art: the first clip of the song task)."""
    request: dict[str, Any]
    state: str
    files: dict[str, str]
    """Name -> URL: ``wav``; ``mp4``; ``origin`` and each stem's name; ``image`` + index."""
    error: str | None = None


class Tasks:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.artefacts = Artefacts(service)

    def submit(
        self,
        user: User,
        kind: str,
        clip_id: str,
        *,
        mode: str | None = None,
        callback_url: str | None = None,
    ) -> str:
        """Record a task on a complete clip of the user's; its id."""
        if kind not in KINDS:
            raise ValueError(f"unknown task kind {kind!r}")
        if kind == "stems" and mode not in STEM_MODES:
            raise InvalidInput(f"{{field}} must be one of {', '.join(STEM_MODES)}", field="type")
        clip = self.artefacts.complete_clip(user, clip_id)
        if kind == "stems" and not clip.stems:
            raise Conflict(
                "{field} " + clip.id + no_stems(clip, self.service.settings), field="clip_id"
            )
        request = {"kind": kind, "clip_id": clip.id, "task_id": clip.batch_id, "type": mode}
        if callback_url:
            request["callback_url"] = callback_url
        settings = self.service.settings
        with self.service.db.write() as conn:
            task_id, _ = repo.insert_batch(
                conn, user_id=user.id, kind=kind, model=clip.model, request=request
            )
            if kind == "mp4" and not clip.video_key and not settings.make_video:
                # Videos are not made for every clip on this server: make this one.
                queue.enqueue(conn, "video", clip.id)
        return task_id

    def get(self, user: User, task_id: str, kind: str) -> Task:
        with self.service.db.read() as conn:
            batch = repo.get_batch(conn, task_id)
            if batch is None or batch.user_id != user.id or batch.kind != kind:
                raise NotFound(f"task {task_id} not found", field="task_id")
            clip = repo.get_clip(conn, batch.request["clip_id"])
        if clip is None:
            raise NotFound(f"the clip of task {task_id} is gone", field="task_id")
        state, files, error = self._state(batch, clip)
        return Task(batch.id, kind, batch.created_at, clip, batch.request, state, files, error)

    def _state(self, batch: BatchRecord, clip: Clip) -> tuple[str, dict[str, str], str | None]:
        url = self.service.storage.url
        if clip.status == ClipStatus.ERROR:
            return TaskState.FAILED, {}, clip.meta.get("error_message") or "the clip failed"
        if batch.kind == "wav":
            return _done({"wav": url(clip.wav_key)} if clip.wav_key else {})
        if batch.kind == "mp4":
            if clip.video_key:
                return _done({"mp4": url(clip.video_key)})
            error = clip.meta.get("video_error")
            return (TaskState.FAILED, {}, error) if error else (TaskState.PENDING, {}, None)
        if batch.kind == "stems":
            stems = clip.stems or {}
            names = SEPARATE_VOCAL if batch.request["type"] == "separate_vocal" else sorted(stems)
            files = {n: url(stems[n]) for n in names if n in stems}
            return _done({"origin": url(clip.audio_key), **files} if clip.audio_key else {})
        return self._cover(clip)

    def _cover(self, clip: Clip) -> tuple[str, dict[str, str], str | None]:
        with self.service.db.read() as conn:
            rows = repo.clips_of_batch(conn, clip.batch_id) if clip.batch_id else [clip]
        keys = [r.image_large_key for r in rows if r.image_large_key]
        return _done({f"image{i}": self.service.storage.url(k) for i, k in enumerate(keys)})

    def song_clip(self, user: User, task_id: str, clip_id: str | None) -> Clip:
        """The clip a task route names: ``clip_id`` (which must belong to the song task when
        both are given), else the song task's first clip."""
        batch, clips = self.service.batch(user, task_id)
        ids = [c["id"] for c in clips]
        if clip_id is None:
            if not ids:
                raise NotFound(f"task {task_id} has no clips", field="task_id")
            clip_id = ids[0]
        elif clip_id not in ids:
            raise NotFound(f"{{field}} {clip_id} is not a clip of task {batch.id}", field="clip_id")
        return self.service.clip_row(user, clip_id)


def _done(files: dict[str, str]) -> tuple[str, dict[str, str], str | None]:
    if files:
        return TaskState.SUCCESS, files, None
    return TaskState.FAILED, {}, "the clip has no such file"
