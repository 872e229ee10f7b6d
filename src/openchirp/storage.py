"""Where a clip's files live: put / open / url behind one small interface.

Keys are relative POSIX paths such as ``clips/<clip_id>/audio.mp3``. The local backend keeps them
under a directory and the API serves them at ``{base_url}/files/{key}``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def put_file(self, key: str, source: Path) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def local_path(self, key: str) -> Path:
        """A path on this machine to read or write the key in place (growing files stream)."""
        ...

    def url(self, key: str) -> str: ...


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
        target = self.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a final file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)

    def put_file(self, key: str, source: Path) -> None:
        target = self.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(source).resolve() == target.resolve():
            return
        tmp = target.with_name(".tmp-" + target.name)
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)

    def open(self, key: str) -> BinaryIO:
        return open(self.local_path(key), "rb")

    def exists(self, key: str) -> bool:
        return self.local_path(key).is_file()

    def url(self, key: str) -> str:
        return f"{self.base_url}/files/{safe_key(key)}"
