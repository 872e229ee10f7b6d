"""The studio's clip polls: ``GET /api/feed/`` (a list) and ``/api/feed/v2`` (``{clips, ...}``).

Clients call them every few seconds, so they read the request by hand (api/deps.py) and are
matched before every other route.
"""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, Request
from fastapi.responses import Response

from openchirp.api.deps import parameters, query_int, read, split_ids
from openchirp.api.dialects.studio.shape import responses
from openchirp.api.dialects.studio.tokens import studio_user
from openchirp.core.service import Service
from openchirp.core.views import canonical, json_list, to_json

polls = APIRouter()
TAGS: list[str | Enum] = ["Suno studio"]
MAX_PAGE = 100_000

FEED_PARAMETERS = parameters(
    ("ids", "query", {"type": "string"}, False, "Clip ids, comma-separated (none: the library)"),
    ("page", "query", {"type": "integer", "minimum": 0, "maximum": MAX_PAGE}, False, "Page"),
)


async def _feed(request: Request) -> tuple[bytes, int, int]:
    """The clips asked for (JSON list bytes), how many in all, and the page."""
    user = await studio_user(request)
    service: Service = request.app.state.service
    ids = request.query_params.get("ids", "")  # %2C arrives decoded, as a comma
    page = query_int(request, "page", 0, 0, MAX_PAGE)
    if ids:
        views = await read(service, service.clip_views, user, split_ids(ids))
        return json_list(views, canonical), len(views), 0
    clips, total = await read(service, service.library, user, page)
    return to_json([canonical(c) for c in clips]), total, page


@polls.get("/api/feed/", tags=TAGS, responses=responses(401, 422), openapi_extra=FEED_PARAMETERS)
@polls.get("/api/feed", include_in_schema=False)
async def feed(request: Request) -> Response:
    """A JSON list of clips: those in ``ids``, else the caller's library, newest first."""
    body, _total, _page = await _feed(request)
    return Response(body, media_type="application/json")


@polls.get("/api/feed/v2", tags=TAGS, responses=responses(401, 422), openapi_extra=FEED_PARAMETERS)
@polls.get("/api/feed/v2/", include_in_schema=False)
async def feed_v2(request: Request) -> Response:
    """``{clips, num_total_results, current_page}``."""
    body, total, page = await _feed(request)
    out = b'{"clips":%s,"num_total_results":%d,"current_page":%d}' % (body, total, page)
    return Response(out, media_type="application/json")
