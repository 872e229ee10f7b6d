"""One domain request per use case, whatever dialect it arrived in."""

from __future__ import annotations

from dataclasses import dataclass, fields

from openchirp.core.errors import InvalidInput
from openchirp.core.text import check_text


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

    def __post_init__(self) -> None:
        check_fields(self)


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

    def __post_init__(self) -> None:
        check_fields(self)
        at = self.continue_at
        if at is not None and (isinstance(at, bool) or not isinstance(at, int | float)):
            raise InvalidInput(
                f"{{field}} must be a number of seconds, got {at!r}", field="continue_at"
            )


@dataclass(frozen=True)
class UploadRequest:
    """A song made from audio the user uploaded: continued from ``continue_at`` (upload-extend)
    or covered (upload-cover). Custom mode gives lyrics, tags and title; otherwise
    ``description`` is set and the lyricist writes them, as for a create."""

    upload_url: str
    lyrics: str = ""
    tags: str = ""
    title: str = ""
    negative_tags: str = ""
    instrumental: bool = False
    model: str | None = None
    description: str | None = None
    continue_at: float | None = None
    """Upload-extend: the second of the upload the new part starts at (None: its end)."""
    strength: float | None = None
    """Upload-cover: how closely to follow the upload, 0 to 1 (None: the engine's default)."""
    callback_url: str | None = None
    voice: str | None = None
    task_id_form: str = "uuid"

    def __post_init__(self) -> None:
        check_fields(self)


def check_fields(request: object) -> None:
    """Every text field of a domain request can be stored: whatever dialect built it, text a
    client sent is checked here, before anything is written."""
    for f in fields(request):  # type: ignore[arg-type]
        check_text(f.name, getattr(request, f.name))
