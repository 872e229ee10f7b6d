"""Audio a user uploads (sunoapi.org's file uploads), kept as a complete clip of type "upload",
and the operations on it, each allowed only where the configured engine declares it can.
"""

from __future__ import annotations

import re
import tempfile
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from openchirp.core.clip import ClipStatus, new_metadata
from openchirp.core.errors import InvalidInput, NotFound, TooLong, Unsupported
from openchirp.core.models import DEFAULT_MODEL, resolve_model
from openchirp.core.service import Service
from openchirp.db import repo
from openchirp.db.records import Clip, User
from openchirp.media.audio import decode
from openchirp.storage import clip_key

UPLOAD_ENGINE = "upload"
"""The engine column of an uploaded clip: no engine made it."""
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

    def operation(self, user: User, operation: str, url: str, model: str | None) -> Unsupported:
        """Why an operation on an upload (``upload_extend``, ``upload_cover``,
        ``add_instrumental``, ``add_vocals``) cannot run here, once the upload is found: the
        error for the route to raise."""
        self.find(user, url)
        return refusal(self.service, operation, model)


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
