"""``make_storage(settings)``: the backend ``OPENCHIRP_STORAGE_URL`` names."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from openchirp.config import Settings
from openchirp.storage.base import Storage
from openchirp.storage.local import LocalStorage
from openchirp.storage.workspace import Workspace


def make_storage(settings: Settings) -> Storage:
    url = settings.resolved_storage_url
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"storage URL {url!r}: a file:// URL names a local folder")
        return LocalStorage(Path(unquote(parts.path)), settings.public_base_url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"storage URL {url!r} has no bucket")
        try:
            from openchirp.storage.s3 import S3Storage, store_from_env
        except ImportError as exc:  # obstore is the optional extra
            raise RuntimeError("s3:// storage needs `pip install openchirp[s3]`") from exc
        workspace = Workspace(settings.data_dir / "workspace", settings.data_dir / "cache")
        store = store_from_env(parts.netloc, parts.path.strip("/"))
        return S3Storage(store, workspace, settings.public_base_url)
    raise ValueError(f"storage URL {url!r}: the scheme must be file:// or s3://")
