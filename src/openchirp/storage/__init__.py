"""Where a clip's files live: a local workspace that jobs write in, and published objects behind
one backend (``file://`` by default, ``s3://`` when configured); see :mod:`.base`."""

from openchirp.storage.base import ObjectStat, Storage
from openchirp.storage.factory import make_storage
from openchirp.storage.keys import PEAKS, clip_key, content_type, load_peaks, safe_key
from openchirp.storage.local import LocalStorage
from openchirp.storage.workspace import Workspace

__all__ = [
    "PEAKS",
    "LocalStorage",
    "ObjectStat",
    "Storage",
    "Workspace",
    "clip_key",
    "content_type",
    "load_peaks",
    "make_storage",
    "safe_key",
]
