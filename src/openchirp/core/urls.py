"""The URLs a rendered clip carries: which base they start with, and whether they are signed.

The base is ``OPENCHIRP_BASE_URL`` when set; otherwise, on a server bound to every address, the
address the client used (the API sets :data:`request_base` per request), since 127.0.0.1 means
nothing to another machine. Private clips' file URLs are signed when ``sign_file_urls`` is on.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from openchirp.config import Settings
from openchirp.storage.signing import bucket, expiry, sign

request_base: ContextVar[str | None] = ContextVar("openchirp_request_base", default=None)
"""The base URL of the request being answered, where the settings leave it to the request."""


@dataclass(frozen=True)
class Urls:
    """How one rendering writes its URLs. ``key`` tells renderings apart in the views cache:
    the base, and the half-lifetime signed URLs are good for (0 when nothing is signed)."""

    base: str
    secret: bytes | None
    exp: int
    key: tuple[str, int]

    def file(self, storage_url: str, public: bool) -> str:
        if public or self.secret is None:
            return storage_url
        return sign(self.secret, storage_url, _path(storage_url, self.base), self.exp)

    def stream(self, clip_id: str, public: bool) -> str:
        return self.file(f"{self.base}/stream/{clip_id}.mp3", public)


def _path(url: str, base: str) -> str:
    return url[len(base) :] if url.startswith(base) else url


def current(settings: Settings) -> Urls:
    base = request_base.get() or settings.public_base_url
    if not settings.sign_file_urls:
        return Urls(base, None, 0, (base, 0))
    life = settings.signed_url_seconds
    return Urls(base, settings.secret, expiry(life), (base, bucket(life)))
