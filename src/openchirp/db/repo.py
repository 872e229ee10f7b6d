"""Reads and writes of users, keys, batches, clips and lyrics. SQL lives here, nowhere above."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, String, and_, bindparam, cast, func, or_, select, update

from openchirp.db.records import (
    ApiKeyInfo,
    BatchRecord,
    Clip,
    LyricsRecord,
    User,
    maybe,
    record,
)
from openchirp.db.tables import api_keys, batches, clips, lyrics, users

LOCAL_HANDLE = "local"
KEY_PREFIX = "oc_"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


# -- users and keys ----------------------------------------------------------------------------

USER = [c for c in users.c if c.name != "signing_secret"]
"""What a user read returns: never the signing secret (db/callbacks.py reads that alone)."""


def ensure_user(conn: Connection, handle: str, display_name: str | None = None) -> User:
    row = conn.execute(select(*USER).where(users.c.handle == handle)).first()
    if row is not None:
        return record(User, row)
    conn.execute(
        users.insert().values(
            id=new_id(),
            handle=handle,
            display_name=display_name or handle,
            monthly_limit=None,
            created_at=utcnow(),
        )
    )
    return record(User, conn.execute(select(*USER).where(users.c.handle == handle)).one())


def get_user(conn: Connection, user_id: str) -> User | None:
    return maybe(User, conn.execute(select(*USER).where(users.c.id == user_id)).first())


def set_monthly_limit(conn: Connection, user_id: str, limit: int | None) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(monthly_limit=limit))


def hash_key(key: str) -> str:
    # Keys are 256 random bits, so a fast hash is as safe as a slow one and keeps auth cheap.
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(conn: Connection, user_id: str, name: str) -> str:
    """Store a new key (hashed) and return it: the only time it is ever seen in clear."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        api_keys.insert().values(
            id=new_id(),
            user_id=user_id,
            name=name,
            key_hash=hash_key(key),
            prefix=key[:10],
            created_at=utcnow(),
            signing_secret=new_secret(),
        )
    )
    return key


def new_secret() -> str:
    """A callback signing secret: 256 random bits."""
    return "whsec_" + secrets.token_hex(32)


def user_for_key(conn: Connection, key: str) -> User | None:
    query = (
        select(*USER, api_keys.c.id.label("key_id"))
        .join(api_keys, api_keys.c.user_id == users.c.id)
        .where(api_keys.c.key_hash == hash_key(key), api_keys.c.revoked_at.is_(None))
    )
    return maybe(User, conn.execute(query).first())


def active_key_id(conn: Connection, key: str) -> str | None:
    """The id of an unrevoked key (a web session names its key by id, never by the key)."""
    query = select(api_keys.c.id).where(
        api_keys.c.key_hash == hash_key(key), api_keys.c.revoked_at.is_(None)
    )
    return conn.execute(query).scalar()


def user_for_key_id(conn: Connection, key_id: str) -> User | None:
    query = (
        select(users)
        .join(api_keys, api_keys.c.user_id == users.c.id)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
    )
    return maybe(User, conn.execute(query).first())


def key_is_known(conn: Connection, key: str) -> bool:
    """Whether the key was ever issued (revoked ones too): a lenient route may take an unknown
    token for anonymous, never a revoked key."""
    query = select(api_keys.c.id).where(api_keys.c.key_hash == hash_key(key))
    return conn.execute(query).first() is not None


def list_api_keys(conn: Connection) -> list[ApiKeyInfo]:
    query = (
        select(
            api_keys.c.id,
            api_keys.c.name,
            api_keys.c.prefix,
            api_keys.c.created_at,
            api_keys.c.revoked_at,
            users.c.handle,
        )
        .join(users, users.c.id == api_keys.c.user_id)
        .order_by(api_keys.c.created_at)
    )
    return [record(ApiKeyInfo, row) for row in conn.execute(query).all()]


def revoke_api_key(conn: Connection, key_id_or_prefix: str) -> int:
    result = conn.execute(
        update(api_keys)
        .where(or_(api_keys.c.id == key_id_or_prefix, api_keys.c.prefix == key_id_or_prefix))
        .where(api_keys.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


# -- batches and clips -------------------------------------------------------------------------


def insert_batch(
    conn: Connection,
    *,
    user_id: str,
    kind: str,
    model: str,
    request: dict[str, Any],
    **callback: str | None,
) -> tuple[str, datetime]:
    """Store a batch; returns its id and creation time. ``callback``: its ``callback_url``,
    ``api_key_id`` and ``task_id_form`` (db/tables.py says what they are)."""
    batch_id, created_at = new_id(), utcnow()
    conn.execute(
        batches.insert().values(
            id=batch_id,
            user_id=user_id,
            kind=kind,
            model=model,
            request=request,
            created_at=created_at,
            **callback,
        )
    )
    return batch_id, created_at


def storable(value: str) -> bool:
    """Whether a lookup key can exist at all: PostgreSQL rejects NUL in text (SQLite finds none),
    and a lone surrogate cannot even be sent to either."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def get_batch(conn: Connection, batch_id: str) -> BatchRecord | None:
    if not storable(batch_id):
        return None
    return maybe(BatchRecord, conn.execute(select(batches).where(batches.c.id == batch_id)).first())


def insert_clip(conn: Connection, **values: Any) -> str:
    now = utcnow()
    clip_id = values.pop("id", None) or new_id()
    defaults = dict(
        status="submitted",
        credits=0,
        completions=0,
        is_public=False,
        is_trashed=False,
        is_liked=False,
        play_count=0,
        upvote_count=0,
        seed=0,
        variant=0,
        created_at=now,
        updated_at=now,
    )
    conn.execute(clips.insert().values(id=clip_id, **{**defaults, **values}))
    return clip_id


def get_clip(conn: Connection, clip_id: str) -> Clip | None:
    if not storable(clip_id):
        return None
    return maybe(Clip, conn.execute(select(clips).where(clips.c.id == clip_id)).first())


def visible(user_id: str):  # type: ignore[no-untyped-def]
    """A user sees their own clips and public ones."""
    return or_(clips.c.user_id == user_id, clips.c.is_public.is_(True))


# What a response shows of a clip: everything but the engine's plan, the word timings, the stem
# keys and the render input, which are large JSON that polling clients never see (a song's plan
# is ~50 KB).
VIEW = [c for c in clips.c if c.name not in ("plan", "words", "stems", "render_input")]

# A clip's version: its last change, as opaque text (see core/views.py).
VERSION = cast(clips.c.updated_at, String).label("version")

# Built once: the hot read of both dialects skips statement construction and cache-key work.
_BY_IDS = clips.c.id.in_(bindparam("ids", expanding=True)), visible(bindparam("user_id"))
_CLIPS_BY_IDS = select(*VIEW, VERSION).where(*_BY_IDS)
_FULL_CLIPS_BY_IDS = select(clips).where(*_BY_IDS)
_VERSIONS_BY_IDS = select(clips.c.id, VERSION).where(*_BY_IDS)


def clip_versions(conn: Connection, ids: Iterable[str], user_id: str) -> dict[str, str]:
    """Version of each visible clip among ``ids`` (invisible and unknown ones are left out)."""
    ids = [i for i in dict.fromkeys(ids) if storable(i)]
    if not ids:
        return {}
    return dict(conn.execute(_VERSIONS_BY_IDS, {"ids": ids, "user_id": user_id}).all())


# The same query for a plain sqlite3 connection (Database.sqlite_reader); tests check it answers
# exactly as the one above. One statement per id count, which sqlite3's statement cache keeps.
_VERSIONS_BY_IDS_SQLITE = (
    "SELECT id, CAST(updated_at AS VARCHAR) FROM clips"
    " WHERE id IN ({marks}) AND (user_id = ? OR is_public = 1)"
)


def clip_versions_sqlite(
    conn: sqlite3.Connection, ids: Iterable[str], user_id: str
) -> dict[str, str]:
    """:func:`clip_versions` on a plain sqlite3 connection, at a tenth of the cost."""
    ids = list(dict.fromkeys(ids))  # SQLite stores no NUL, so unlike PostgreSQL needs no check
    if not ids:
        return {}
    query = _VERSIONS_BY_IDS_SQLITE.format(marks=",".join("?" * len(ids)))
    return dict(conn.execute(query, (*ids, user_id)).fetchall())


def clips_by_ids(
    conn: Connection, ids: Iterable[str], user_id: str, *, full: bool = False
) -> list[Clip]:
    """Visible clips in the order asked; ``full`` adds plan, words, stems and render input."""
    ids = [i for i in dict.fromkeys(ids) if storable(i)]
    if not ids:
        return []
    query = _FULL_CLIPS_BY_IDS if full else _CLIPS_BY_IDS
    rows = conn.execute(query, {"ids": ids, "user_id": user_id}).all()
    by_id = {r.id: record(Clip, r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def clips_of_batch(conn: Connection, batch_id: str) -> list[Clip]:
    query = select(*VIEW).where(clips.c.batch_id == batch_id).order_by(clips.c.variant)
    return [record(Clip, row) for row in conn.execute(query).all()]


def library(conn: Connection, user_id: str, *, page: int, page_size: int) -> list[Clip]:
    query = (
        select(*VIEW)
        .where(clips.c.user_id == user_id, clips.c.is_trashed.is_(False))
        .order_by(clips.c.created_at.desc(), clips.c.id)
        .limit(page_size)
        .offset(page * page_size)
    )
    return [record(Clip, row) for row in conn.execute(query).all()]


def count_library(conn: Connection, user_id: str) -> int:
    query = (
        select(func.count())
        .select_from(clips)
        .where(clips.c.user_id == user_id, clips.c.is_trashed.is_(False))
    )
    return conn.execute(query).scalar_one()


def update_clip(conn: Connection, clip_id: str, **values: Any) -> None:
    conn.execute(update(clips).where(clips.c.id == clip_id).values(updated_at=utcnow(), **values))


def credits_used(conn: Connection, user_id: str, since: datetime) -> int:
    query = select(func.coalesce(func.sum(clips.c.credits), 0)).where(
        and_(clips.c.user_id == user_id, clips.c.created_at >= since)
    )
    return int(conn.execute(query).scalar_one())


def lock_user(conn: Connection, user_id: str) -> None:
    """Serialise quota checks of one user (SQLite's BEGIN IMMEDIATE already does)."""
    if conn.dialect.name != "sqlite":
        conn.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())


# -- lyrics ----------------------------------------------------------------------------------


def insert_lyrics(conn: Connection, *, user_id: str, prompt: str) -> str:
    lyrics_id = new_id()
    conn.execute(
        lyrics.insert().values(
            id=lyrics_id, user_id=user_id, status="submitted", input=prompt, created_at=utcnow()
        )
    )
    return lyrics_id


def get_lyrics(conn: Connection, lyrics_id: str, user_id: str | None = None) -> LyricsRecord | None:
    """A lyrics task; with ``user_id``, only when it is that user's."""
    if not storable(lyrics_id):
        return None
    query = select(lyrics).where(lyrics.c.id == lyrics_id)
    if user_id is not None:
        query = query.where(lyrics.c.user_id == user_id)
    return maybe(LyricsRecord, conn.execute(query).first())


def update_lyrics(conn: Connection, lyrics_id: str, **values: Any) -> None:
    conn.execute(update(lyrics).where(lyrics.c.id == lyrics_id).values(**values))
