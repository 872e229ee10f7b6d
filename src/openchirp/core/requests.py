"""One domain request per use case, whatever dialect it arrived in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GenerateRequest:
    lyrics: str = ""
    tags: str = ""
    title: str = ""
    negative_tags: str = ""
    instrumental: bool = False
    model: str | None = None
    description: str | None = None
    """Description mode: the lyricist writes title, tags and lyrics from this line."""
    callback_url: str | None = None
    """Where the batch's stages are posted (signed), if the client asked for callbacks."""
    voice: str | None = None
    """"male" or "female": the singer asked for. The engine hears it as the words "male vocals"
    or "female vocals" after the style (the composer reads its voice from the style)."""
    task_id_form: str = "uuid"
    """How the dialect shows the batch id, so callbacks name the task as the client knows it:
    "uuid", or "hex" (sunoapi.org's 32 hex digits)."""


@dataclass(frozen=True)
class ExtendRequest:
    clip_id: str
    continue_at: float | None
    lyrics: str = ""
    tags: str = ""
    title: str = ""
    negative_tags: str = ""
    model: str | None = None
    callback_url: str | None = None
    task_id_form: str = "uuid"
