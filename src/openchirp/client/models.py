"""What the client hands back: clips and credits as typed, frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FINISHED = ("complete", "error")
STATUSES = ("submitted", "queued", "streaming", "complete", "error")
"""A clip's statuses in the order it passes them."""

UNLIMITED_CREDITS = 2**31 - 1
"""What the API reports for a user without a monthly limit (a number, since clients compare
``credits_left`` with one): shown to people as "unlimited"."""


def _float(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Clip:
    """One clip, from gcui's flat shape or Suno's canonical one (with ``metadata``)."""

    id: str
    status: str
    title: str = ""
    audio_url: str = ""
    image_url: str = ""
    video_url: str = ""
    tags: str = ""
    negative_tags: str = ""
    lyrics: str = ""
    description: str | None = None
    duration: float | None = None
    model_name: str = ""
    created_at: str = ""
    type: str | None = None
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The clip as the server sent it."""

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Clip:
        meta = data.get("metadata") or {}
        flat = {**meta, **{k: v for k, v in data.items() if k != "metadata"}}
        return cls(
            id=str(flat["id"]),
            status=str(flat.get("status") or ""),
            title=flat.get("title") or "",
            audio_url=flat.get("audio_url") or "",
            image_url=flat.get("image_url") or "",
            video_url=flat.get("video_url") or "",
            tags=flat.get("tags") or "",
            negative_tags=flat.get("negative_tags") or "",
            lyrics=flat.get("prompt") or "",
            description=flat.get("gpt_description_prompt"),
            duration=_float(flat.get("duration")),
            model_name=flat.get("model_name") or "",
            created_at=flat.get("created_at") or "",
            type=flat.get("type"),
            error_message=flat.get("error_message"),
            raw=data,
        )


@dataclass(frozen=True)
class Limits:
    """A user's credits this month. ``monthly_limit`` is None when there is none."""

    credits_left: int | None
    monthly_limit: int | None
    monthly_usage: int
    period: str | None = None

    @property
    def unlimited(self) -> bool:
        return self.monthly_limit is None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Limits:
        def amount(value: Any) -> int | None:
            return None if value is None or int(value) >= UNLIMITED_CREDITS else int(value)

        return cls(
            credits_left=amount(data.get("credits_left")),
            monthly_limit=amount(data.get("monthly_limit")),
            monthly_usage=int(data.get("monthly_usage") or 0),
            period=data.get("period"),
        )

    def __str__(self) -> str:
        if self.unlimited:
            return f"unlimited credits ({self.monthly_usage} used this month)"
        return f"{self.credits_left} of {self.monthly_limit} credits left this month"
