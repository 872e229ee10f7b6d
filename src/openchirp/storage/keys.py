"""Keys: relative POSIX paths such as ``clips/<clip_id>/audio.mp3``, the same on every backend.

The clip layout (``clip_key``, the peaks file) lives here because every backend and the API agree
on it; backends themselves only see keys and bytes.
"""

from __future__ import annotations

import json
import mimetypes
from functools import lru_cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openchirp.storage.base import Storage

PEAKS = "peaks.json"

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".json": "application/json",
}


def clip_key(clip_id: str, name: str) -> str:
    """Where a clip's file lives: ``clips/<clip id>/<name>``."""
    return f"clips/{clip_id}/{name}"


@lru_cache(maxsize=65_536)
def safe_key(key: str) -> str:
    """Reject keys that would escape the storage root. Cached: every clip rendering builds
    several URLs, and the same keys come back on every poll."""
    path = PurePosixPath(key)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"bad storage key: {key!r}")
    return str(path)


def content_type(key: str) -> str:
    """The media type a key is served with (by its suffix)."""
    suffix = PurePosixPath(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def load_peaks(storage: Storage, clip_id: str) -> list[float] | None:
    """The clip's waveform peaks, once its audio is finished (None before)."""
    key = clip_key(clip_id, PEAKS)
    if not storage.exists(key):
        return None
    with storage.open(key) as f:
        return json.load(f)
