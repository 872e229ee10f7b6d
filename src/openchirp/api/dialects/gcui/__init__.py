"""The gcui-art/suno-api server's dialect (seed 002), with the clip media routes beside it."""

from __future__ import annotations

from openchirp.api.dialects.base import Dialect
from openchirp.api.dialects.gcui import media, routes, shape

DIALECT = Dialect(
    name="gcui",
    prefixes=("/api/",),
    error_model=shape.GcuiError,
    error_body=shape.error_body,
    routers=(routes.router, media.router),
    polls=(routes.polls,),
    field_names=shape.FIELD_NAMES,
    route_field_names={**routes.FIELD_NAMES_BY_ROUTE, **media.FIELD_NAMES_BY_ROUTE},
    model_spellings=shape.MODEL_SPELLINGS,
)
