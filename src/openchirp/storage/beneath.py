"""Open files under a root folder without following any symbolic link below it.

A link inside the data folder (planted by anyone who can write there, or by a bug) must never
let a URL read outside it: ``/files/x`` pointing at ``/etc/passwd``, the database or the owner's
key. Each component of the key is opened relative to the one before with ``O_NOFOLLOW``, so a
link anywhere on the way, not only at the end, refuses the open. The root itself is configured
by the operator and may be a link.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from openchirp.storage.keys import safe_key

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_ABSENT = {
    errno.ENOENT,
    errno.ENOTDIR,
    errno.ELOOP,
    errno.ENAMETOOLONG,
    errno.EISDIR,
    errno.ENXIO,
    errno.EACCES,
    errno.EMLINK,  # some systems answer O_NOFOLLOW on a link so
}


def open_beneath(root: Path, key: str) -> BinaryIO:
    """``root/key`` opened for reading; FileNotFoundError when it is missing, a link (anywhere
    below ``root``), not a regular file, or a name too long for the filesystem; ValueError when
    the key is not a safe one (``safe_key``)."""
    parts = safe_key(key).split("/")  # ValueError for a key that leaves the root
    try:
        fd = _open_fd(root, parts)
    except OSError as exc:
        if exc.errno in _ABSENT:
            raise FileNotFoundError(errno.ENOENT, "no such file", key) from exc
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileNotFoundError(errno.ENOENT, "not a regular file", key)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_fd(root: Path, parts: list[str]) -> int:
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            inner = os.open(part, _DIR, dir_fd=folder)
            os.close(folder)
            folder = inner
        return os.open(parts[-1], _FILE, dir_fd=folder)
    finally:
        os.close(folder)


def stat_beneath(root: Path, key: str) -> os.stat_result | None:
    """The stat of the regular file ``root/key`` reached without links; None when there is none."""
    try:
        with open_beneath(root, key) as f:
            return os.fstat(f.fileno())
    except FileNotFoundError:
        return None
