"""The local scratch folder where rendering writes, and a cache of fetched objects.

A job writes each file at ``workspace.writable_path(key)`` (the growing mp3 that ``/stream``
tails, the wav, stems, temporary files), then asks the backend to publish it. With the local
backend the workspace *is* the published folder, so publishing moves nothing. With a remote
backend a published file leaves the scratch folder for the cache, where a later job that reads it
back (video, concat, stems) finds it without a download.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from openchirp.storage.keys import safe_key


def done_path(path: Path) -> Path:
    """The marker a producer leaves beside a growing file when it is whole (readers of the
    growing mp3 stop there); it belongs to the workspace, where growing files live."""
    return Path(path).with_name(Path(path).name + ".done")


CACHE_BYTES = 2 * 1024**3
"""The cache keeps at most this much; the least recently used files go first."""


class Workspace:
    def __init__(
        self, root: Path, cache_root: Path | None = None, cache_bytes: int = CACHE_BYTES
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.cache_root = Path(cache_root) if cache_root is not None else None
        self.cache_bytes = cache_bytes

    def path(self, key: str) -> Path:
        """Where the key is (being) written on this machine; nothing is created."""
        return self.root / safe_key(key)

    def writable_path(self, key: str) -> Path:
        """Where to write the key, its folder made."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def discard(self, prefix: str) -> None:
        """Remove what a failed job left under ``prefix`` here (its partial files): nothing
        half-written stays, and on a full disk that is the room the failure needs to be
        recorded."""
        target = self.root / safe_key(prefix.rstrip("/"))
        shutil.rmtree(target, ignore_errors=True)

    def cache_path(self, key: str) -> Path:
        if self.cache_root is None:
            raise RuntimeError("this workspace has no cache (its backend is local)")
        return self.cache_root / safe_key(key)

    def cached(self, key: str, download: Callable[[Path], None]) -> Path:
        """The cached copy of ``key``, made by ``download(tmp_path)`` on a miss."""
        target = self.cache_path(key)
        if target.is_file():
            os.utime(target)  # most recently used
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        try:
            download(Path(tmp))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.prune(keep=target)
        return target

    def retire(self, key: str) -> None:
        """A published scratch file moves to the cache (a reader holding it open keeps reading:
        the rename keeps the inode), then its ``.done`` marker goes: a tailer sees the marker or
        the file gone, and stops either way."""
        source = self.path(key)
        target = self.cache_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        done_path(source).unlink(missing_ok=True)
        self.prune(keep=target)

    def prune(self, keep: Path | None = None) -> None:
        """Drop the least recently used cached files until the cache fits ``cache_bytes``."""
        if self.cache_root is None:
            return
        files = []
        for path in self.cache_root.rglob("*"):
            try:  # another process may prune the same cache
                files.append((path.stat(), path))
            except FileNotFoundError:
                continue
        total = sum(s.st_size for s, p in files if not p.is_dir())
        for stat, path in sorted(files, key=lambda f: f[0].st_mtime):
            if total <= self.cache_bytes:
                break
            if path != keep and not path.is_dir():
                path.unlink(missing_ok=True)
                total -= stat.st_size
