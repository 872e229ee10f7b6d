"""Files shipped with the server (the web page's, the API docs'), read without following links
and with any name, even one too long for the filesystem, answering 404 rather than 500."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi.responses import Response

from openchirp.core.errors import NotFound
from openchirp.storage.beneath import open_beneath


def serve_static(root: Path, name: str, types: Mapping[str, str], cache_control: str) -> Response:
    if "/" in name or name.startswith("."):
        raise NotFound("no such file", field="name")
    try:
        with open_beneath(root, name) as f:
            body = f.read()
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound("no such file", field="name") from exc
    media_type = types.get(Path(name).suffix, "application/octet-stream")
    return Response(body, media_type=media_type, headers={"Cache-Control": cache_control})
