"""Rendered canonical clips, remembered by (clip id, version), with their JSON per shape.

Clients poll the same clips every few seconds, most of them long finished. A clip's version is
its ``updated_at``, which every change of a clip moves (``repo.update_clip``), so checking the
versions is one small indexed query and a remembered view is never stale, whichever process
made the change. Each dialect's JSON of a view is encoded once, on its first request, so a poll
of finished clips joins cached bytes instead of rebuilding and re-encoding dictionaries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

MAX_VIEWS = 20_000

Shape = Callable[[dict[str, Any]], Any]
"""What one dialect shows of a canonical clip (the canonical clip itself for dialect A)."""


def to_json(value: Any) -> bytes:
    """JSON as Starlette's JSONResponse writes it: compact, UTF-8, no NaN."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def canonical(clip: dict[str, Any]) -> dict[str, Any]:
    return clip


class ClipView:
    """One clip at one version: its canonical dict and, once asked for, its JSON per shape."""

    __slots__ = ("version", "clip", "_json")

    def __init__(self, version: str, clip: dict[str, Any]) -> None:
        self.version = version
        self.clip = clip
        self._json: dict[Shape, bytes] = {}

    def json(self, shape: Shape) -> bytes:
        encoded = self._json.get(shape)
        if encoded is None:
            encoded = self._json[shape] = to_json(shape(self.clip))
        return encoded


def json_list(views: Iterable[ClipView], shape: Shape) -> bytes:
    return b"[" + b",".join(view.json(shape) for view in views) + b"]"


class ClipViews:
    def __init__(self, limit: int = MAX_VIEWS) -> None:
        self.limit = limit
        self._views: dict[str, ClipView] = {}

    def get(self, clip_id: str, version: str) -> ClipView | None:
        found = self._views.get(clip_id)
        return found if found is not None and found.version == version else None

    def put(self, clip_id: str, version: str, clip: dict[str, Any]) -> ClipView:
        views = self._views
        views.pop(clip_id, None)
        if len(views) >= self.limit:
            # Oldest first: dicts keep insertion order, and a re-put moves a clip to the end.
            for stale in list(views)[: self.limit // 10]:
                views.pop(stale, None)
        view = views[clip_id] = ClipView(version, clip)
        return view
