"""Suno's own studio API (dialect D): Clerk's login routes and the studio's, on one origin.

Clients written against studio-api.suno.ai and clerk.suno.com (and gcui-art/suno-api itself,
which proxies them) point both hosts at OpenChirp: the ``__client`` cookie carries an API key,
Clerk trades it for a short-lived JWT, the studio routes take that JWT.
"""

from __future__ import annotations

from openchirp.api.dialects import spellings
from openchirp.api.dialects.base import Dialect
from openchirp.api.dialects.studio import clerk, feed, routes, shape

DIALECT = Dialect(
    name="studio",
    # Longer than gcui's "/api/" and chat's "/v1/": errors on these paths (a 404 too) are the
    # studio's; gcui's own /api/clip and /api/generate have no trailing slash, so stay gcui's.
    prefixes=(
        "/v1/client",
        "/api/generate/",
        "/api/feed",
        "/api/clip/",
        "/api/billing/",
        "/api/edit/",
        "/api/gen/",
    ),
    error_model=shape.StudioError,
    error_body=shape.error_body,
    routers=(routes.router, clerk.router),
    polls=(feed.polls,),
    field_names=routes.FIELD_NAMES,
    route_field_names=routes.FIELD_NAMES_BY_ROUTE,
    model_spellings=spellings.EVERY,
)
