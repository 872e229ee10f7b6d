"""Where a clip's files live: put / open / url behind one small interface.

Keys are relative POSIX paths such as ``clips/<clip_id>/audio.mp3``. The local backend keeps them
under a directory and the API serves them at ``{base_url}/files/{key}``.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def local_path(self, key: str) -> Path:
        """A path on this machine to read the key in place (growing files stream from it)."""
        ...

    def writable_path(self, key: str) -> Path:
        """A path on this machine to write the key in place, its folder made."""
        ...

    def url(self, key: str) -> str: ...


PEAKS = "peaks.json"


def clip_key(clip_id: str, name: str) -> str:
    """Where a clip's file lives: ``clips/<clip id>/<name>``."""
    return f"clips/{clip_id}/{name}"


def load_peaks(storage: Storage, clip_id: str) -> list[float] | None:
    """The clip's waveform peaks, once its audio is finished (None before)."""
    key = clip_key(clip_id, PEAKS)
    if not storage.exists(key):
        return None
    with storage.open(key) as f:
        return json.load(f)


@lru_cache(maxsize=65_536)
def safe_key(key: str) -> str:
    """Reject keys that would escape the storage root. Cached: every clip rendering builds
    several URLs, and the same keys come back on every poll."""
    path = PurePosixPath(key)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"bad storage key: {key!r}")
    return str(path)


class LocalStorage:
    def __init__(self, root: Path, base_url: str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.base_url = base_url.rstrip("/")

    def local_path(self, key: str) -> Path:
        return self.root / safe_key(key)

    def put(self, key: str, data: bytes) -> None:
        target = self.writable_path(key)
        # Write then rename, so a reader never sees half a final file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)

    def writable_path(self, key: str) -> Path:
        target = self.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def open(self, key: str) -> BinaryIO:
        return open(self.local_path(key), "rb")

    def exists(self, key: str) -> bool:
        return self.local_path(key).is_file()

    def url(self, key: str) -> str:
        return f"{self.base_url}/files/{safe_key(key)}"
