"""Rendered canonical clips, remembered by (clip id, version).

Clients poll the same clips every few seconds, most of them long finished. A clip's version is
its ``updated_at``, which every change of a clip moves (``repo.update_clip``), so checking the
versions is one small indexed query and a remembered view is never stale, whichever process
made the change.
"""

from __future__ import annotations

from typing import Any

MAX_VIEWS = 20_000


class ClipViews:
    def __init__(self, limit: int = MAX_VIEWS) -> None:
        self.limit = limit
        self._views: dict[str, tuple[str, dict[str, Any]]] = {}

    def get(self, clip_id: str, version: str) -> dict[str, Any] | None:
        found = self._views.get(clip_id)
        return found[1] if found is not None and found[0] == version else None

    def put(self, clip_id: str, version: str, view: dict[str, Any]) -> None:
        views = self._views
        views.pop(clip_id, None)
        if len(views) >= self.limit:
            # Oldest first: dicts keep insertion order, and a re-put moves a clip to the end.
            for stale in list(views)[: self.limit // 10]:
                views.pop(stale, None)
        views[clip_id] = (version, view)
