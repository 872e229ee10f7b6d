"""The default backend (``file://``): published objects are files under a folder on this machine.

The workspace is the same folder, so a job writes each file where it is served and publishing it
moves nothing: the growing mp3, the wav and the stems are never copied.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from openchirp.storage.base import ObjectStat
from openchirp.storage.beneath import open_beneath, stat_beneath
from openchirp.storage.keys import safe_key
from openchirp.storage.workspace import Workspace

CHUNK = 64 * 1024


class LocalStorage:
    def __init__(self, root: Path, base_url: str) -> None:
        self.root = Path(root)
        self.workspace = Workspace(self.root)
        self.base_url = base_url.rstrip("/")

    def local_path(self, key: str) -> Path:
        return self.root / safe_key(key)

    def publish(self, key: str) -> None:
        # The workspace file already is the published one.
        if not self.local_path(key).is_file():
            raise FileNotFoundError(f"nothing to publish at {key!r}")

    def put(self, key: str, data: bytes) -> None:
        target = self.workspace.writable_path(key)
        # Write then rename, so a reader never sees half a final file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        except BaseException:  # a full disk must not also keep half a file
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        # Never through a link: what is served is what the jobs wrote (storage/beneath.py).
        return open_beneath(self.root, key)

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with self.open(key) as f:
            f.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                data = f.read(CHUNK if left is None else min(CHUNK, left))
                if not data:
                    return
                if left is not None:
                    left -= len(data)
                yield data

    def stat(self, key: str) -> ObjectStat | None:
        st = stat_beneath(self.root, key)
        if st is None:
            return None
        return ObjectStat(st.st_size, f'"{st.st_mtime_ns:x}-{st.st_size:x}"', st.st_mtime)

    def exists(self, key: str) -> bool:
        return stat_beneath(self.root, key) is not None

    def delete(self, key: str) -> None:
        self.local_path(key).unlink(missing_ok=True)

    def fetch(self, key: str) -> Path:
        return self.local_path(key)

    def presign(self, key: str) -> str | None:
        return None

    def url(self, key: str, base: str | None = None) -> str:
        return f"{base or self.base_url}/files/{safe_key(key)}"
