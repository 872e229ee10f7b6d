"""The S3 backend (``s3://bucket/prefix``), on obstore.

Why obstore and not boto3: obstore is one small wheel with no Python dependencies (the Rust
``object_store`` crate underneath), imports in milliseconds where boto3+botocore take a few
hundred, streams ranged GETs, uploads large files in parallel multipart parts on its own, and
presigns URLs. boto3 would bring botocore and s3transfer into every server for the same calls;
it stays a test-only dependency (moto's server needs it).

Endpoint, region and credentials come from the usual AWS variables: ``AWS_ENDPOINT_URL_S3`` or
``AWS_ENDPOINT_URL``, ``AWS_REGION`` or ``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN`` (without keys, obstore looks for instance or
container credentials). A custom endpoint (MinIO, moto, R2...) is addressed path-style.

Rendering still writes to a local workspace; a finished file is uploaded, then moves into the
workspace's cache, where jobs that read it back (video, concat, stems) find it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

import obstore
from obstore.store import S3Store

from openchirp.storage.base import ObjectStat
from openchirp.storage.keys import content_type, safe_key
from openchirp.storage.workspace import Workspace

PRESIGN_EXPIRES = timedelta(hours=1)
CHUNK = 64 * 1024


def store_from_env(bucket: str, prefix: str, env: Mapping[str, str] = os.environ) -> S3Store:
    config: dict[str, Any] = {
        "region": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    }
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        config["endpoint"] = endpoint
        config["virtual_hosted_style_request"] = False
    for name, var in (
        ("access_key_id", "AWS_ACCESS_KEY_ID"),
        ("secret_access_key", "AWS_SECRET_ACCESS_KEY"),
        ("session_token", "AWS_SESSION_TOKEN"),
    ):
        if env.get(var):
            config[name] = env[var]
    client = {"allow_http": True} if endpoint and endpoint.startswith("http://") else None
    return S3Store(bucket, prefix=prefix or None, config=config, client_options=client)


class S3Storage:
    def __init__(self, store: S3Store, workspace: Workspace, base_url: str) -> None:
        self.store = store
        self.workspace = workspace
        self.base_url = base_url.rstrip("/")

    def publish(self, key: str) -> None:
        key = safe_key(key)
        obstore.put(
            self.store,
            key,
            self.workspace.path(key),
            attributes={"Content-Type": content_type(key)},
        )
        self.workspace.retire(key)

    def put(self, key: str, data: bytes) -> None:
        key = safe_key(key)
        obstore.put(self.store, key, data, attributes={"Content-Type": content_type(key)})

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(bytes(obstore.get(self.store, safe_key(key)).bytes()))

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        options: Any = {}
        if end is not None:
            options["range"] = (start, end)
        elif start:
            options["range"] = {"offset": start}
        result = obstore.get(self.store, safe_key(key), options=options)
        for chunk in result.stream(min_chunk_size=CHUNK):
            yield bytes(chunk)

    def stat(self, key: str) -> ObjectStat | None:
        try:
            meta = obstore.head(self.store, safe_key(key))
        except FileNotFoundError:
            return None
        mtime = meta["last_modified"].timestamp()
        etag = meta["e_tag"] or f'"{int(mtime):x}-{meta["size"]:x}"'
        return ObjectStat(meta["size"], etag, mtime)

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def delete(self, key: str) -> None:
        obstore.delete(self.store, safe_key(key))

    def fetch(self, key: str) -> Path:
        key = safe_key(key)
        return self.workspace.cached(key, lambda tmp: self._download(key, tmp))

    def _download(self, key: str, target: Path) -> None:
        with open(target, "wb") as out:
            for chunk in obstore.get(self.store, key).stream(min_chunk_size=1024 * 1024):
                out.write(chunk)

    def local_path(self, key: str) -> Path | None:
        return None

    def presign(self, key: str) -> str | None:
        return obstore.sign(self.store, "GET", safe_key(key), PRESIGN_EXPIRES)

    def url(self, key: str, base: str | None = None) -> str:
        return f"{base or self.base_url}/files/{safe_key(key)}"
