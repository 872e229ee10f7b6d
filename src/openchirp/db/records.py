"""What the repository hands out: frozen records, one per table, not SQLAlchemy rows.

Callers above the database (the service, job handlers, the API) read attributes by the column
names, so a record is a plain value they can keep, compare and pass on. They live here, with the
tables they mirror, because ``core`` builds on ``db``: defining them in ``core`` would make the two
packages import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class User:
    id: str
    handle: str
    display_name: str
    monthly_limit: int | None
    created_at: datetime
    key_id: str | None = None
    """The API key the caller used (None: the local owner, or a read not made through a key)."""


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """A key as listed to its admin: never its hash."""

    id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    handle: str


@dataclass(frozen=True, slots=True)
class BatchRecord:
    id: str
    user_id: str
    kind: str
    model: str
    request: dict[str, Any]
    created_at: datetime
    callback_url: str | None = None
    api_key_id: str | None = None
    task_id_form: str | None = None


@dataclass(frozen=True, slots=True)
class Clip:
    """A clip. Reads for responses leave out the large JSON columns (``plan``, ``words``,
    ``stems``, ``render_input``): they are None there, and ``version`` is set instead."""

    id: str
    batch_id: str | None
    user_id: str
    status: str
    title: str
    model: str
    engine: str
    seed: int
    variant: int
    meta: dict[str, Any]
    audio_key: str | None
    video_key: str | None
    image_key: str | None
    image_large_key: str | None
    wav_key: str | None
    credits: int
    completions: int
    is_public: bool
    is_trashed: bool
    is_liked: bool
    play_count: int
    upvote_count: int
    created_at: datetime
    updated_at: datetime
    timeline_offset_s: float | None = None
    """Where this clip's plan starts in its song (a whole, concatenated song continues from its
    last part's plan); None for a clip that is one part."""
    plan: dict[str, Any] | None = None
    words: list[list[Any]] | None = None
    stems: dict[str, str] | None = None
    render_input: dict[str, Any] | None = None
    """What to render, as stored (``core.render_input.RenderInput.from_json`` reads it)."""
    version: str | None = None


@dataclass(frozen=True, slots=True)
class LyricsRecord:
    id: str
    user_id: str
    status: str
    input: str
    title: str | None
    text: str | None
    tags: str | None
    error_message: str | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    id: str
    batch_id: str
    stage: str
    url: str
    payload: dict[str, Any]
    state: str
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class CallbackAttempt:
    id: str
    callback_id: str
    batch_id: str
    stage: str
    url: str
    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: float
    delivered: bool
    created_at: datetime


_NAMES: dict[type, frozenset[str]] = {}


def record(cls: type[R], row: Row) -> R:
    """The row as ``cls``; columns the record does not know are left out."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = frozenset(f.name for f in fields(cls))  # type: ignore[arg-type]
    return cls(**{k: v for k, v in row._mapping.items() if k in names})


def maybe(cls: type[R], row: Row | None) -> R | None:
    return None if row is None else record(cls, row)
