"""sunoapi.org's API (and its clones with the same paths): camelCase fields, ``{code, msg, data}``
with the HTTP status in ``code``, 32-hex task ids, results by polling record-info (callbacks:
``callBackUrl``)."""

from __future__ import annotations

from openchirp.api.dialects.base import Dialect
from openchirp.api.dialects.sunoapi_org import callbacks, shape, songs, tasks, uploads

DIALECT = Dialect(
    name="sunoapi_org",
    prefixes=(
        "/api/v1/generate",
        "/api/v1/lyrics",
        "/api/v1/wav/",
        "/api/v1/mp4/",
        "/api/v1/vocal-removal/",
        "/api/v1/suno/cover/",
        "/api/file-stream-upload",
        "/api/file-base64-upload",
        "/api/file-url-upload",
        "/api/v1/callbacks",
    ),
    error_model=shape.SunoApiOrgError,
    error_body=shape.error_body,
    error_status=shape.error_status,
    routers=(songs.router, tasks.router, uploads.router, callbacks.router),
    field_names=shape.FIELD_NAMES,
    model_spellings=shape.MODEL_SPELLINGS,
)
