"""The storage backend protocol: published objects under keys, and the workspace jobs write in.

A backend publishes finished files (or bytes) under keys, reads them back whole or by byte range,
says their size, ETag and mtime, and gives each key its public URL. Keys are checked by
:func:`~openchirp.storage.keys.safe_key` on every backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from openchirp.storage.workspace import Workspace


@dataclass(frozen=True)
class ObjectStat:
    size: int
    etag: str
    """Quoted, as sent in an ``ETag`` header."""
    mtime: float
    """Seconds since the epoch."""


class Storage(Protocol):
    workspace: Workspace
    """Where jobs write before publishing, on this machine."""

    def publish(self, key: str) -> None:
        """Publish the finished workspace file of ``key`` (it leaves the scratch folder)."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Publish ``data`` under ``key``; readers never see half of it."""
        ...

    def open(self, key: str) -> BinaryIO: ...

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``[start, end)`` of the object (to its end when ``end`` is None)."""
        ...

    def stat(self, key: str) -> ObjectStat | None:
        """Size, ETag and mtime of the published object; None when there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the published object (no error when there is none)."""
        ...

    def fetch(self, key: str) -> Path:
        """A local path holding the published object, to read it (remote ones are cached)."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The published object's own file when this backend keeps it on local disk, else None
        (the API then serves it through :meth:`read` or :meth:`presign`)."""
        ...

    def presign(self, key: str) -> str | None:
        """A time-limited URL a client can GET the object from directly; None if there is none."""
        ...

    def url(self, key: str, base: str | None = None) -> str:
        """The key's public URL: ``{base_url}/files/{key}`` on every backend (``base``: another
        base URL than the configured one, e.g. the request's)."""
        ...
