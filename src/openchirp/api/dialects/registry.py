"""The dialects an app serves, and which of them owns a request."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from fastapi import FastAPI, Request

from openchirp.api.dialects import (
    chat,
    gcui,
    newapi,
    studio,
    suno_v2,
    sunoapi_com_v1,
    sunoapi_org,
)
from openchirp.api.dialects.base import Dialect

BUILTIN: tuple[Dialect, ...] = (
    gcui.DIALECT,
    suno_v2.DIALECT,
    chat.DIALECT,
    newapi.DIALECT,
    sunoapi_com_v1.DIALECT,
    sunoapi_org.DIALECT,
    studio.DIALECT,
)
"""In matching order. gcui's poll, the most called route, is matched first: each route tried
before a poll's own costs it a miss (~40 Python calls)."""

FALLBACK = gcui.DIALECT
"""Whose errors routes outside every dialect (files, pages, health, unknown paths) answer in."""


def load(spec: str) -> Dialect:
    """A dialect from its "package.module:ATTRIBUTE" spec (``OPENCHIRP_DIALECTS``)."""
    module_name, _, attr = spec.partition(":")
    dialect = getattr(importlib.import_module(module_name), attr) if attr else None
    if not isinstance(dialect, Dialect):
        raise ValueError(f"dialect spec {spec!r} must name a Dialect as 'package.module:NAME'")
    return dialect


def configured(specs: Iterable[str]) -> tuple[Dialect, ...]:
    """The built-in dialects, then those named in the configuration."""
    return (*BUILTIN, *(load(spec) for spec in specs))


class Dialects:
    """The registered dialects: included in an app, and asked who owns a request."""

    def __init__(self, dialects: Iterable[Dialect], fallback: Dialect = FALLBACK) -> None:
        self.dialects = tuple(dialects)
        self.fallback = fallback
        owners: dict[str, Dialect] = {}
        for dialect in self.dialects:
            for prefix in dialect.prefixes:
                if prefix in owners:
                    raise ValueError(
                        f"dialects {owners[prefix].name!r} and {dialect.name!r} both claim {prefix}"
                    )
                owners[prefix] = dialect
        self._prefixes = sorted(owners.items(), key=lambda item: -len(item[0]))
        self._by_endpoint = {
            route.endpoint: dialect
            for dialect in self.dialects
            for router in dialect.all_routers()
            for route in router.routes
            if hasattr(route, "endpoint")
        }

    def include(self, app: FastAPI) -> None:
        # Routes are matched in order, one by one: every dialect's polls go first.
        for dialect in self.dialects:
            for router in dialect.polls:
                app.include_router(router)
        for dialect in self.dialects:
            for router in dialect.routers:
                app.include_router(router)

    def claimant(self, path: str) -> Dialect | None:
        """The dialect whose prefix the path falls under (the longest), or None."""
        for prefix, dialect in self._prefixes:
            if path.startswith(prefix):
                return dialect
        return None

    def owner(self, request: Request) -> Dialect:
        """The dialect of the route that matched; for none, of the longest prefix of the path;
        else the fallback."""
        found = self._by_endpoint.get(request.scope.get("endpoint"))
        if found is not None:
            return found
        return self.claimant(request.url.path) or self.fallback
