"""The use cases: create, extend, concat, look up clips, lyrics and limits.

Knows neither wire format nor audio format. Every create checks input against the model's limits
and the user's credits, then writes the batch, its clips and their jobs in one transaction: once
it returns, nothing it accepted can be lost.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from openchirp.config import Settings
from openchirp.core import callbacks
from openchirp.core.clip import ClipStatus, canonical_clip, new_metadata
from openchirp.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    QuotaExceeded,
    TooLong,
    limit_error,
)
from openchirp.core.models import ModelInfo, model_names, resolve_model
from openchirp.core.render_input import (
    RenderInput,
    SongPart,
    StemOf,
    continue_from,
    is_upload,
)
from openchirp.core.requests import ExtendRequest, GenerateRequest, UploadRequest
from openchirp.core.text import check_ids, check_text, repair
from openchirp.core.urls import current
from openchirp.core.views import ClipView, ClipViews
from openchirp.db import idempotency, queue, repo
from openchirp.db.database import Database
from openchirp.db.records import BatchRecord, Clip, LyricsRecord, User
from openchirp.engines.base import Lyricist, WordTiming, WrittenSong
from openchirp.storage import Storage

CLIPS_PER_BATCH = 2
SONG_KINDS = ("generate", "extend", "upload_extend", "upload_cover")
"""Batches that make songs; other kinds are tasks on existing clips (``core/tasks.py``)."""
PAGE_SIZE = 20
CALLBACK_URL_LIMIT = 2048
MAX_URL_VARIANTS = 8
"""Renderings kept per way of writing URLs (the hosts a server answers to); a base's rendering
of an ended signing period goes when the next one starts."""
UNLIMITED = 2**31 - 1
"""What limits report for an unlimited user: clients compare credits_left with a number."""


@dataclass(frozen=True)
class Batch:
    id: str
    created_at: datetime
    model: ModelInfo
    clips: list[dict[str, Any]]


@dataclass(frozen=True)
class Limits:
    credits_left: int
    monthly_limit: int
    monthly_usage: int
    period: str = "month"


def with_voice(tags: str, voice: str | None) -> str:
    """The style the engine hears: the singer asked for ("male"/"female") as the words
    "male vocals" or "female vocals" after the tags (the composer reads its voice from them)."""
    return f"{tags}, {voice} vocals" if voice else tags


class Service:
    def __init__(
        self, settings: Settings, db: Database, storage: Storage, lyricist: Lyricist | None = None
    ) -> None:
        self.settings = settings
        self.db = db
        self.storage = storage
        self._lyricist = lyricist
        self._views: dict[tuple[str, int], ClipViews] = {}

    # -- lookups ---------------------------------------------------------------------------

    def render(
        self, conn: Connection, rows: list[Clip], caller: User | None = None
    ) -> list[dict[str, Any]]:
        """Canonical clips of rows, with their owners (the caller's own row saves a read)."""
        owners: dict[str, User] = {caller.id: caller} if caller is not None else {}
        urls = current(self.settings)
        out = []
        for row in rows:
            owner = owners.get(row.user_id)
            if owner is None:
                owner = owners[row.user_id] = repo.get_user(conn, row.user_id)
            clip = canonical_clip(row, owner, self.storage, urls)
            # A row written before input was checked (or by another tool) must not break reads.
            out.append(repair(clip, f"clip {row.id}"))
        return out

    def clips(self, user: User, ids: list[str]) -> list[dict[str, Any]]:
        """Canonical clips the user may see, in the order asked; rendered ones are reused."""
        return [view.clip for view in self.clip_views(user, ids)]

    def clip_views(self, user: User, ids: list[str]) -> list[ClipView]:
        """The rendered clips the user may see, in the order asked, each at its latest version."""
        check_ids("ids", ids)
        versions = self._versions(ids, user.id)
        views = self.views_for(current(self.settings).key)
        stale = [i for i, v in versions.items() if views.get(i, v) is None]
        fresh: dict[str, ClipView] = {}
        if stale:
            with self.db.read() as conn:
                rows = repo.clips_by_ids(conn, stale, user.id)
                for row, clip in zip(rows, self.render(conn, rows, user), strict=True):
                    fresh[row.id] = views.put(row.id, row.version, clip)
        out = []
        for clip_id in dict.fromkeys(ids):
            if clip_id not in versions:
                continue
            view = fresh.get(clip_id) or views.get(clip_id, versions[clip_id])
            if view is not None:  # changed and gone between the two reads: skip it
                out.append(view)
        return out

    def views_for(self, key: tuple[str, int]) -> ClipViews:
        """The rendered clips of one way of writing URLs (base URL, signing period): a clip
        rendered for one host, or with URLs about to expire, is never served for another."""
        found = self._views.get(key)
        if found is None:
            # Snapshots and pops that tolerate a miss: threads of the pool call this at once.
            known = list(self._views)
            for old in [k for k in known if k[0] == key[0] and k[1] < key[1]]:
                self._views.pop(old, None)  # that base's URLs of a signing period now over
            if len(known) >= MAX_URL_VARIANTS:
                self._views.pop(known[0], None)  # the oldest
            found = self._views.setdefault(key, ClipViews())
        return found

    def _versions(self, ids: list[str], user_id: str) -> dict[str, str]:
        sqlite = self.db.sqlite_reader()
        if sqlite is not None:
            return repo.clip_versions_sqlite(sqlite, ids, user_id)
        with self.db.read() as conn:
            return repo.clip_versions(conn, ids, user_id)

    def clip(self, user: User, clip_id: str) -> dict[str, Any]:
        check_text("clip_id", clip_id)
        found = self.clips(user, [clip_id])
        if not found:
            raise NotFound(f"clip {clip_id} not found", field="clip_id")
        return found[0]

    def clip_row(self, user: User, clip_id: str) -> Clip:
        check_text("clip_id", clip_id)
        with self.db.read() as conn:
            rows = repo.clips_by_ids(conn, [clip_id], user.id, full=True)
        if not rows:
            raise NotFound(f"clip {clip_id} not found", field="clip_id")
        return rows[0]

    def set_visibility(self, user: User, clip_id: str, is_public: bool) -> bool:
        """Share a clip (or stop sharing it); only its owner may."""
        clip = self.clip_row(user, clip_id)
        if clip.user_id != user.id:
            raise NotFound(f"clip {clip_id} not found", field="clip_id")
        with self.db.write() as conn:
            repo.update_clip(conn, clip.id, is_public=is_public)
        return is_public

    def library(self, user: User, page: int) -> tuple[list[dict[str, Any]], int]:
        with self.db.read() as conn:
            rows = repo.library(conn, user.id, page=page, page_size=PAGE_SIZE)
            return self.render(conn, rows, user), repo.count_library(conn, user.id)

    def batch(self, user: User, batch_id: str) -> tuple[BatchRecord, list[dict[str, Any]]]:
        batch, _rows, clips = self.batch_rows(user, batch_id)
        return batch, clips

    def batch_rows(
        self, user: User, batch_id: str
    ) -> tuple[BatchRecord, list[Clip], list[dict[str, Any]]]:
        """A song batch with its clip rows (their times, for task APIs) and canonical clips."""
        check_text("task_id", batch_id)
        with self.db.read() as conn:
            batch = repo.get_batch(conn, batch_id)
            if batch is None or batch.user_id != user.id or batch.kind not in SONG_KINDS:
                raise NotFound(f"task {batch_id} not found", field="task_id")
            request = repair(batch.request, f"task {batch.id}")
            if request is not batch.request:
                batch = replace(batch, request=request)
            rows = repo.clips_of_batch(conn, batch_id)
            return batch, rows, self.render(conn, rows, user)

    def limits(self, user: User) -> Limits:
        with self.db.read() as conn:
            return self._limits(conn, user)

    def _limits(self, conn: Connection, user: User) -> Limits:
        # Read the limit now: ``user`` may come from the key cache and predate a change.
        limit = repo.get_user(conn, user.id).monthly_limit
        if limit is None:
            limit = self.settings.default_monthly_credits
        used = repo.credits_used(conn, user.id, month_start())
        if limit is None:
            return Limits(UNLIMITED, UNLIMITED, used)
        return Limits(max(0, limit - used), limit, used)

    # -- creating ----------------------------------------------------------------------------

    def create(
        self, user: User, request: GenerateRequest, idempotency_key: str | None = None
    ) -> Batch:
        """``idempotency_key``: a retried create with the same key and request returns the
        batch the first one made; with another request it is refused."""
        once = Once.of(idempotency_key, "generate", request)
        replayed = self.replay(user, once)
        if replayed is not None:
            return replayed
        model = self.model_info(request.model)
        seed = secrets.randbits(31)
        lyrics, tags, title = self.song_text(request, model, seed)
        description = request.description
        meta = new_metadata(
            tags=tags,
            prompt=lyrics,
            negative_tags=request.negative_tags,
            gpt_description_prompt=description,
            has_vocal=not request.instrumental,
        )
        record = {
            "kind": "generate",
            "lyrics": lyrics,
            "tags": tags,
            "title": title,
            "negative_tags": request.negative_tags,
            "instrumental": request.instrumental,
            "description": description,
            "model": model.key,
        }
        render_input = RenderInput(
            lyrics=lyrics,
            tags=with_voice(tags, request.voice),
            model=model.key,
            engine=self.settings.engine_for_model(model.key),
            negative_tags=request.negative_tags,
            title=title,
            instrumental=request.instrumental,
            seed=seed,
        )
        return self.insert_batch(user, model, "generate", record, meta, render_input, request, once)

    def song_text(
        self, request: GenerateRequest | UploadRequest, model: ModelInfo, seed: int
    ) -> tuple[str, str, str]:
        """A new song's lyrics, tags and title, checked against the model's limits: as sent
        (custom mode), or written by the lyricist from the request's description."""
        lyrics, tags, title = request.lyrics or "", request.tags or "", request.title or ""
        description = request.description
        if description is not None:
            _check_len("description", description, model.description_limit, model)
            if not description.strip():
                raise InvalidInput("{field} (the song description) is empty", field="description")
        elif not request.instrumental and not lyrics.strip():
            raise InvalidInput("{field} (the lyrics) is required", field="lyrics")
        _check_len("lyrics", lyrics, model.lyrics_limit, model)
        _check_len("tags", tags, model.tags_limit, model)
        _check_len("negative_tags", request.negative_tags, model.tags_limit, model)
        _check_len("title", title, model.title_limit, model)
        if description is not None:
            # Written before the transaction: a slow lyricist must not hold the writer lock.
            song = self.lyricist.write(description, seed=seed, instrumental=request.instrumental)
            lyrics = "" if request.instrumental else song.lyrics
            tags = tags or song.tags
            title = title or song.title
        return lyrics, tags, title

    def extend(
        self, user: User, request: ExtendRequest, idempotency_key: str | None = None
    ) -> Batch:
        once = Once.of(idempotency_key, "extend", request)
        replayed = self.replay(user, once)
        if replayed is not None:
            return replayed
        source = self.clip_row(user, request.clip_id)
        model = resolve_model(request.model) if request.model else resolve_model(source.model)
        if model is None:
            raise InvalidInput(_unknown_model(request.model), field="model")
        if source.status != ClipStatus.COMPLETE:
            raise Conflict(
                f"{{field}} {source.id} is {source.status}; only a complete clip can be extended",
                field="clip_id",
            )
        if not source.plan:
            raise Conflict(f"{{field}} {source.id} has no plan to continue from", field="clip_id")
        continuation = continue_from(source, request.continue_at)
        _check_len("lyrics", request.lyrics, model.lyrics_limit, model)
        _check_len("tags", request.tags, model.tags_limit, model)
        _check_len("negative_tags", request.negative_tags, model.tags_limit, model)
        _check_len("title", request.title, model.title_limit, model)
        tags = request.tags or source.meta.get("tags") or ""
        title = request.title or source.title
        history = [
            {
                "id": source.id,
                "continue_at": request.continue_at,
                "type": "gen",
                "source": "web",
                "infill": False,
            }
        ] + list(source.meta.get("history") or [])
        meta = new_metadata(
            tags=tags,
            prompt=request.lyrics,
            negative_tags=request.negative_tags,
            history=history,
            has_vocal=bool(request.lyrics.strip()) or source.meta["has_vocal"],
        )
        record = {
            "kind": "extend",
            "lyrics": request.lyrics,
            "tags": tags,
            "title": title,
            "negative_tags": request.negative_tags,
            "continue_clip_id": source.id,
            "continue_at": request.continue_at,
            "model": model.key,
        }
        render_input = RenderInput(
            lyrics=request.lyrics,
            tags=tags,
            model=model.key,
            engine=source.engine,
            negative_tags=request.negative_tags,
            title=title,
            instrumental=not meta["has_vocal"],
            seed=source.seed,
            continuation=continuation,
        )
        return self.insert_batch(user, model, "extend", record, meta, render_input, request, once)

    def concat(self, user: User, clip_id: str) -> dict[str, Any]:
        clip = self.clip_row(user, clip_id)
        if clip.status != ClipStatus.COMPLETE:
            raise Conflict(
                f"clip {clip.id} is {clip.status}; only a complete clip can be concatenated",
                field="clip_id",
            )
        history = list(clip.meta.get("history") or [])
        if not history:
            raise Conflict(
                f"clip {clip.id} is not an extension: there is nothing to join", field="clip_id"
            )
        # history[0] is the direct source; the song runs from the oldest ancestor forwards.
        parts = [
            {"id": h["id"], "continue_at": h["continue_at"], "type": "gen"}
            for h in reversed(history)
        ]
        parts.append({"id": clip.id, "continue_at": None, "type": "gen"})
        with self.db.read() as conn:
            ancestors = [repo.get_clip(conn, part["id"]) for part in parts[:-1]]
        for part, row in zip(parts, ancestors, strict=False):
            if row is None or row.status != ClipStatus.COMPLETE:
                raise Conflict(
                    f"part {part['id']} of the song is missing or not complete", field="clip_id"
                )
        prompts = [
            p for p in ((r.meta.get("prompt") or "").strip() for r in [*ancestors, clip]) if p
        ]
        meta = new_metadata(
            tags=clip.meta.get("tags") or "",
            prompt="\n\n".join(prompts),
            negative_tags=clip.meta.get("negative_tags") or "",
            concat_history=parts,
            clip_type="concat",
            has_vocal=clip.meta.get("has_vocal", True),
        )
        render_input = RenderInput(
            lyrics=meta["prompt"],
            tags=meta["tags"],
            model=clip.model,
            engine=clip.engine,
            negative_tags=meta["negative_tags"],
            title=clip.title,
            instrumental=not meta["has_vocal"],
            seed=clip.seed,
            parts=tuple(SongPart(p["id"], p["continue_at"]) for p in parts),
        )
        with self.db.write() as conn:
            concat_id = insert_derived(conn, user, clip, "concat", meta, render_input)
            return self.render(conn, [repo.get_clip(conn, concat_id)], user)[0]

    def insert_batch(
        self,
        user: User,
        model: ModelInfo,
        kind: str,
        record: dict[str, Any],
        meta: dict[str, Any],
        render_input: RenderInput,
        request: GenerateRequest | ExtendRequest | UploadRequest,
        once: Once | None = None,
    ) -> Batch:
        cost = self.settings.credits_per_clip
        callback: dict[str, str | None] = {}
        url = (request.callback_url or "").strip()
        _check_len("callback_url", url, CALLBACK_URL_LIMIT, None)
        if url and self.settings.callbacks:
            # Any other URL is accepted: one that cannot be called is refused at delivery,
            # recorded where the client can see why (GET /api/v1/callbacks).
            callback = {
                "callback_url": url,
                "api_key_id": user.key_id,
                "task_id_form": request.task_id_form,
            }
        with self.db.write() as conn:
            repo.lock_user(conn, user.id)
            if once is not None:  # a retry that raced the first request here waited for it
                replayed = self._replay_in(conn, user, once)
                if replayed is not None:
                    return replayed
            limits = self._limits(conn, user)
            if limits.credits_left < cost * CLIPS_PER_BATCH:
                raise QuotaExceeded(
                    f"not enough credits: {limits.credits_left} left of {limits.monthly_limit} "
                    f"this month, a song costs {cost * CLIPS_PER_BATCH}",
                    field="credits",
                )
            batch_id, created_at = repo.insert_batch(
                conn, user_id=user.id, kind=kind, model=model.key, request=record, **callback
            )
            for variant in range(CLIPS_PER_BATCH):
                clip_id = repo.insert_clip(
                    conn,
                    batch_id=batch_id,
                    user_id=user.id,
                    title=render_input.title,
                    model=model.key,
                    engine=render_input.engine,
                    seed=render_input.seed,
                    variant=variant,
                    meta=meta,
                    render_input=render_input.to_json(),
                    credits=cost,
                )
                queue.enqueue(conn, "render", clip_id, engine=render_input.engine)
            if once is not None:
                idempotency.remember(conn, user.id, once.key, once.fingerprint, batch_id)
            if render_input.lyrics.strip():
                callbacks.stage_reached(conn, self.settings, self.storage, batch_id, "text")
            rows = repo.clips_of_batch(conn, batch_id)
            return Batch(batch_id, created_at, model, self.render(conn, rows, user))

    def replay(self, user: User, once: Once | None) -> Batch | None:
        if once is None:
            return None
        with self.db.read() as conn:
            return self._replay_in(conn, user, once)

    def _replay_in(self, conn: Connection, user: User, once: Once) -> Batch | None:
        """The batch an earlier create with this key made, or None when the key is new."""
        found = idempotency.find(conn, user.id, once.key)
        if found is None:
            return None
        fingerprint, batch_id = found
        if fingerprint != once.fingerprint:
            raise Conflict(
                "{field} was already used with a different request; use a new key for a new"
                " request",
                field="Idempotency-Key",
            )
        batch = repo.get_batch(conn, batch_id)
        assert batch is not None  # the key and its batch were written in one transaction
        model = resolve_model(batch.model)
        assert model is not None
        rows = repo.clips_of_batch(conn, batch_id)
        return Batch(batch.id, batch.created_at, model, self.render(conn, rows, user))

    # -- lyrics ------------------------------------------------------------------------------

    @property
    def lyricist(self) -> Lyricist:
        if self._lyricist is None:
            from openchirp.engines.registry import make_lyricist

            self._lyricist = make_lyricist(self.settings)
        return self._lyricist

    def write_lyrics_now(self, prompt: str) -> WrittenSong:
        _check_len("description", prompt, 200, None)
        return self.lyricist.write(prompt, seed=secrets.randbits(31))

    def submit_lyrics(self, user: User, prompt: str) -> str:
        _check_len("description", prompt, 200, None)
        with self.db.write() as conn:
            lyrics_id = repo.insert_lyrics(conn, user_id=user.id, prompt=prompt)
            queue.enqueue(conn, "lyrics", lyrics_id)
            return lyrics_id

    def lyrics(self, user: User, lyrics_id: str) -> LyricsRecord:
        check_text("task_id", lyrics_id)
        with self.db.read() as conn:
            row = repo.get_lyrics(conn, lyrics_id, user.id)
        if row is None:
            raise NotFound(f"lyrics task {lyrics_id} not found", field="task_id")
        values = {f.name: getattr(row, f.name) for f in fields(row)}
        values = {k: v for k, v in values.items() if isinstance(v, str)}
        fixed = repair(values, f"lyrics task {row.id}")
        return row if fixed is values else replace(row, **fixed)

    def model_info(self, name: str | None) -> ModelInfo:
        model = resolve_model(name)
        if model is None:
            raise InvalidInput(_unknown_model(name), field="model")
        return model


@dataclass(frozen=True)
class Once:
    """An idempotency key and the fingerprint of the request it came with."""

    key: str
    fingerprint: str

    @classmethod
    def of(
        cls, key: str | None, kind: str, request: GenerateRequest | ExtendRequest | UploadRequest
    ) -> Once | None:
        if key is None:
            return None
        check_text("Idempotency-Key", key)
        if not key.strip() or len(key) > idempotency.MAX_KEY_LENGTH:
            raise InvalidInput(
                f"{{field}} must be 1 to {idempotency.MAX_KEY_LENGTH} characters",
                field="Idempotency-Key",
            )
        canonical = json.dumps([kind, asdict(request)], sort_keys=True, ensure_ascii=True)
        return cls(key, hashlib.sha256(canonical.encode()).hexdigest())


def _unknown_model(name: str | None) -> str:
    return f"unknown model {name!r}; known models: {', '.join(model_names())}"


def _check_len(field: str, value: str | None, limit: int, model: ModelInfo | None) -> None:
    check_text(field, value)
    if value is not None and len(value) > limit:
        if model is None:
            message = f"{{field}} is {len(value)} characters; the limit is {limit}"
            raise TooLong(message, field=field)
        raise limit_error(field, limit, model.key, len(value))


def insert_derived(
    conn: Connection,
    user: User,
    source: Clip,
    job_kind: str,
    meta: dict[str, Any],
    render_input: RenderInput,
) -> str:
    """A clip made from an existing one (a whole song, a stem): free; queued by its job's kind."""
    clip_id = repo.insert_clip(
        conn,
        user_id=user.id,
        batch_id=None,
        title=render_input.title,
        model=source.model,
        engine=source.engine,
        seed=source.seed,
        meta=meta,
        render_input=render_input.to_json(),
        credits=0,
    )
    queue.enqueue(conn, job_kind, clip_id)
    return clip_id


def month_start(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


STEM_TITLES = {"vocals": "Vocals", "instrumental": "Instrumental"}


def no_stems(clip: Clip, settings: Settings) -> str:
    """Why a clip has no stems, after its id: its engine cannot separate them, or it has none."""
    from openchirp.engines.registry import engine_capabilities

    if clip.engine and not is_upload(clip):
        try:
            capable = "stems" in engine_capabilities(clip.engine, settings)
        except (ImportError, AttributeError, KeyError, ValueError):
            capable = True  # an engine no longer configured: say only what is known
        if not capable:
            return f" has no stems: the engine {clip.engine!r} that made it cannot separate them"
    return " has no stems"


class Artefacts:
    """Use cases on what a finished clip has: word timings, stems, wav, waveform."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def complete_clip(self, user: User, clip_id: str) -> Clip:
        clip = self.service.clip_row(user, clip_id)
        if clip.status != ClipStatus.COMPLETE:
            raise Conflict(
                f"{{field}} {clip.id} is {clip.status}; this needs a complete clip", field="clip_id"
            )
        return clip

    def words(self, user: User, clip_id: str) -> list[WordTiming]:
        return [WordTiming.from_row(w) for w in (self.complete_clip(user, clip_id).words or [])]

    def stems(self, user: User, clip_id: str) -> list[dict[str, Any]]:
        """Make stem clips (vocals and instrumental; instrumental only for an instrumental)."""
        source = self.complete_clip(user, clip_id)
        names = [n for n in STEM_TITLES if n in (source.stems or {})]
        if not names:
            raise Conflict(
                "{field} " + source.id + no_stems(source, self.service.settings), field="clip_id"
            )
        service = self.service
        with service.db.write() as conn:
            rows = []
            for name in names:
                meta = new_metadata(
                    tags=source.meta.get("tags") or "",
                    prompt=source.meta.get("prompt") or "" if name == "vocals" else "",
                    negative_tags=source.meta.get("negative_tags") or "",
                    has_vocal=name == "vocals",
                    stem_from_id=source.id,
                    stem_type=name,
                )
                render_input = RenderInput(
                    lyrics=meta["prompt"],
                    tags=meta["tags"],
                    model=source.model,
                    engine=source.engine,
                    negative_tags=meta["negative_tags"],
                    title=f"{source.title} ({STEM_TITLES[name]})".strip(),
                    instrumental=name != "vocals",
                    seed=source.seed,
                    stem_of=StemOf(source.id, name),
                )
                stem_id = insert_derived(conn, user, source, "stems", meta, render_input)
                rows.append(repo.get_clip(conn, stem_id))
            return service.render(conn, rows, user)

    def file_url(self, user: User, clip_id: str, key_of: str) -> str:
        clip = self.complete_clip(user, clip_id)
        key = getattr(clip, key_of)
        if not key:
            raise NotFound("{field} " + clip.id + " has no such file", field="clip_id")
        # Written like the clip's own URLs: the request's base, signed when the clip is private.
        urls = current(self.service.settings)
        return urls.file(self.service.storage.url(key, urls.base), bool(clip.is_public))
