"""Audio a user uploads (sunoapi.org's file uploads), kept as a complete clip of type "upload",
and the operations on it, each allowed only where the configured engine declares it can.

Upload-extend and upload-cover make a song batch (two clips, rendered like any other) by the
engine of the requested model: an extension continues the upload's audio (it has no plan), a
cover is made from it. Add-vocals and add-instrumental are refused by name: no engine has them.
"""

from __future__ import annotations

import math
import re
import secrets
import tempfile
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from openchirp.core.clip import ClipStatus, new_metadata
from openchirp.core.errors import InvalidInput, NotFound, TooLong, Unsupported
from openchirp.core.models import DEFAULT_MODEL, ModelInfo, resolve_model
from openchirp.core.render_input import UPLOAD_ENGINE, ContinueFrom, CoverOf, RenderInput
from openchirp.core.requests import UploadRequest
from openchirp.core.service import Batch, Once, Service, with_voice
from openchirp.db import repo
from openchirp.db.records import Clip, User
from openchirp.media.audio import decode
from openchirp.storage import clip_key

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FETCH_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Upload:
    clip_id: str
    file_name: str
    key: str
    url: str
    size: int
    duration_s: float
    created_at: datetime


class Uploads:
    def __init__(self, service: Service) -> None:
        self.service = service

    @property
    def max_bytes(self) -> int:
        return self.service.settings.upload_max_bytes

    def store(self, user: User, data: bytes, file_name: str) -> Upload:
        """Keep ``data`` (any audio PyAV decodes) as the user's uploaded clip."""
        if len(data) > self.max_bytes:
            raise TooLong(
                f"{{field}} is {len(data)} bytes; the limit is {self.max_bytes}", field="file"
            )
        if not data:
            raise InvalidInput("{field} is empty", field="file")
        name = _safe_name(file_name)
        duration = _duration(data, PurePosixPath(name).suffix)
        clip_id = repo.new_id()
        key = clip_key(clip_id, f"upload/{name}")
        storage = self.service.storage
        storage.put(key, data)
        meta = new_metadata(tags="", prompt="", clip_type="upload", has_vocal=False)
        meta["duration"] = duration
        with self.service.db.write() as conn:
            repo.insert_clip(
                conn,
                id=clip_id,
                user_id=user.id,
                batch_id=None,
                status=ClipStatus.COMPLETE,
                title=PurePosixPath(name).stem,
                model=DEFAULT_MODEL,
                engine=UPLOAD_ENGINE,
                meta=meta,
                audio_key=key,
                credits=0,
            )
            row = repo.get_clip(conn, clip_id)
        assert row is not None
        return Upload(clip_id, name, key, storage.url(key), len(data), duration, row.created_at)

    def fetch(self, url: str) -> bytes:
        """The bytes at ``url``, only where the server is configured to fetch URLs."""
        if not self.service.settings.upload_url_fetch:
            raise InvalidInput(
                "{field}: this server does not download files from URLs "
                "(its admin can allow it with OPENCHIRP_UPLOAD_URL_FETCH=1); "
                "upload the file itself instead",
                field="file_url",
            )
        if not url.startswith(("http://", "https://")):
            raise InvalidInput("{field} must be an http(s) URL", field="file_url")
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310
                data = response.read(self.max_bytes + 1)
        except OSError as exc:
            raise InvalidInput(f"{{field}} could not be fetched: {exc}", field="file_url") from exc
        return data

    def find(self, user: User, url: str) -> Clip:
        """The user's uploaded clip a URL (the one its upload answered with) points at."""
        found = UUID.search(url or "")
        if found is None:
            raise NotFound("{field} is not the URL of an upload", field="upload_url")
        try:
            clip = self.service.clip_row(user, found.group(0))
        except NotFound:
            raise NotFound("{field} is not the URL of an upload", field="upload_url") from None
        if clip.meta.get("type") != "upload" or clip.user_id != user.id:
            raise NotFound("{field} is not the URL of an upload", field="upload_url")
        return clip

    def extend(
        self, user: User, request: UploadRequest, idempotency_key: str | None = None
    ) -> Batch:
        """Two clips continuing the upload from ``continue_at`` (default: its end); each holds
        only the new part, so a concat joins the upload and the extension."""
        return self._song(user, "upload_extend", request, idempotency_key)

    def cover(
        self, user: User, request: UploadRequest, idempotency_key: str | None = None
    ) -> Batch:
        """Two clips made from the upload's audio in the request's style and lyrics, each as
        long as the upload (up to the model's longest)."""
        return self._song(user, "upload_cover", request, idempotency_key)

    def check(self, user: User, operation: str, url: str, model: str | None) -> Clip:
        """The upload, once the engine of ``model`` can run ``operation`` on it (else a 4xx
        naming the engine and what it lacks): asked before the request's own fields."""
        upload = self.find(user, url)
        info = resolve_model(model)
        if info is None:
            raise refusal(self.service, operation, model)
        require(self.service, operation, info)
        return upload

    def _song(
        self, user: User, operation: str, request: UploadRequest, idempotency_key: str | None
    ) -> Batch:
        service = self.service
        once = Once.of(idempotency_key, operation, request)
        replayed = service.replay(user, once)
        if replayed is not None:
            return replayed
        model = service.model_info(request.model)
        upload = self.check(user, operation, request.upload_url, model.key)
        duration = float(upload.meta.get("duration") or 0.0)
        continuation, cover = None, None
        if operation == "upload_extend":
            continuation = ContinueFrom(upload.id, _continue_at(request.continue_at, duration))
        else:
            cover = CoverOf(upload.id, _strength(request.strength))
        seed = secrets.randbits(31)
        lyrics, tags, title = service.song_text(request, model, seed)
        title = title or upload.title
        record: dict[str, Any] = {
            "kind": operation,
            "upload_url": request.upload_url,
            "lyrics": lyrics,
            "tags": tags,
            "title": title,
            "negative_tags": request.negative_tags,
            "instrumental": request.instrumental,
            "description": request.description,
            "model": model.key,
        }
        history = None
        if continuation is not None:
            at = continuation.continue_at
            record.update(continue_clip_id=upload.id, continue_at=at)
            history = [
                {
                    "id": upload.id,
                    "continue_at": at,
                    "type": "upload",
                    "source": "web",
                    "infill": False,
                }
            ]
        else:
            record.update(cover_clip_id=upload.id, strength=request.strength)
        meta = new_metadata(
            tags=tags,
            prompt=lyrics,
            negative_tags=request.negative_tags,
            gpt_description_prompt=request.description,
            history=history,
            has_vocal=not request.instrumental,
        )
        if cover is not None:
            meta["cover_clip_id"] = upload.id
        render_input = RenderInput(
            lyrics=lyrics,
            tags=with_voice(tags, request.voice),
            model=model.key,
            # The requested model's engine: the upload's own "engine" made nothing.
            engine=service.settings.engine_for_model(model.key),
            negative_tags=request.negative_tags,
            title=title,
            instrumental=request.instrumental,
            seed=seed,
            continuation=continuation,
            cover_of=cover,
        )
        return service.insert_batch(
            user, model, operation, record, meta, render_input, request, once
        )

    def operation(self, user: User, operation: str, url: str, model: str | None) -> Unsupported:
        """Why an operation on an upload (``upload_extend``, ``upload_cover``,
        ``add_instrumental``, ``add_vocals``) cannot run here, once the upload is found: the
        error for the route to raise."""
        self.find(user, url)
        return refusal(self.service, operation, model)


RUNNABLE = frozenset({"upload_extend", "upload_cover"})
"""Operations on an upload this server has a job for (where the engine declares them)."""


def require(service: Service, operation: str, model: ModelInfo) -> None:
    """Raise unless the engine that runs ``model`` declares ``operation`` and can run it with
    its configured options (a model folder may lack what the operation needs)."""
    from openchirp.engines.registry import engine_capabilities, operation_problems

    engine = service.settings.engine_for_model(model.key)
    if operation not in RUNNABLE or operation not in engine_capabilities(engine, service.settings):
        raise refusal(service, operation, model.key)
    problems = operation_problems(engine, operation, service.settings)
    if problems:
        raise Unsupported(
            f"{operation.replace('_', '-')} is not available: the engine {engine!r} that runs "
            f"{model.key} cannot do it with its model: {'; '.join(problems)}",
            field="model",
        )


def _continue_at(at: float | None, duration: float) -> float:
    """Where an upload-extend starts: after the upload's start, at its end at the latest."""
    if at is None:
        return duration
    if isinstance(at, bool) or not math.isfinite(at) or not 0 < at <= duration:
        raise InvalidInput(
            f"{{field}} must be more than 0 and at most the upload's duration "
            f"({duration:.2f} s); got {at}",
            field="continue_at",
        )
    return float(at)


def _strength(strength: float | None) -> float | None:
    if strength is not None and (not math.isfinite(strength) or not 0 <= strength <= 1):
        raise InvalidInput(f"{{field}} must be 0 to 1; got {strength}", field="strength")
    return strength


def refusal(service: Service, operation: str, model: str | None) -> Unsupported:
    """A 4xx naming the operation and the engine that runs ``model``. No built-in job infills a
    section or works on foreign audio (the composer renders from its own plans only), so these
    operations are refused by name; the message says whether the engine even declares them."""
    from openchirp.engines.registry import engine_capabilities

    info = resolve_model(model)
    if info is None:
        return Unsupported(f"unknown model {model!r}", field="model")
    engine = service.settings.engine_for_model(info.key)
    capabilities = engine_capabilities(engine, service.settings)
    name = operation.replace("_", "-")
    if operation in capabilities:
        return Unsupported(
            f"{name} is not available: the engine {engine!r} that runs {info.key} declares it, "
            "but this server has no job that runs it"
        )
    can = ", ".join(sorted(capabilities)) or "nothing declared"
    return Unsupported(
        f"{name} is not available: the engine {engine!r} that runs {info.key} cannot do it "
        f"(it declares: {can}); it needs an engine that declares {operation!r}"
    )


def _safe_name(file_name: str) -> str:
    name = PurePosixPath((file_name or "").replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "upload"
    return name[:100]


def _duration(data: bytes, suffix: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix or '.bin'}"
        path.write_bytes(data)
        try:
            pcm, rate = decode(path)
        except Exception as exc:  # PyAV raises many kinds for a file that is not audio
            message = f"{{field}} is not audio PyAV can read: {exc}"
            raise InvalidInput(message, field="file") from exc
    if len(pcm) == 0:
        raise InvalidInput("{field} holds no audio", field="file")
    return round(len(pcm) / rate, 3)
