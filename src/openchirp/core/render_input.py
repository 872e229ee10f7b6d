"""What a clip is made from: the typed input the service stores and the jobs read.

Written once, when the clip is created, in the clip's ``render_input`` column. Jobs read this and
never Suno's public ``metadata`` (which is what clients see and may be shaped for them). A clip
made by an engine has lyrics, tags and maybe a continuation; a whole song lists its parts; a stem
clip names its source and stem.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from openchirp.core.errors import InvalidInput
from openchirp.db.records import Clip


@dataclass(frozen=True)
class ContinueFrom:
    """Continue ``clip_id`` from ``continue_at`` seconds into its plan.

    The point is on the source plan's own timeline: for a whole song (a concat) that is its last
    part's plan, so the song's timeline offset is already taken off (``continuation_point``).
    """

    clip_id: str
    continue_at: float


@dataclass(frozen=True)
class SongPart:
    """One part of a whole song: a clip, cut at ``continue_at`` (None: the last part, whole)."""

    clip_id: str
    continue_at: float | None


@dataclass(frozen=True)
class StemOf:
    clip_id: str
    stem: str
    """``vocals`` or ``instrumental``."""


@dataclass(frozen=True)
class CoverOf:
    """Make the clip from ``clip_id``'s audio (an upload): its melody, the clip's own style."""

    clip_id: str
    strength: float | None = None
    """How closely to follow that audio, 0 to 1 (None: the engine's default)."""


@dataclass(frozen=True)
class RenderInput:
    lyrics: str
    tags: str
    model: str
    engine: str
    negative_tags: str = ""
    title: str = ""
    instrumental: bool = False
    seed: int = 0
    continuation: ContinueFrom | None = None
    parts: tuple[SongPart, ...] = field(default=())
    """A whole song (concat job): its parts, oldest first."""
    stem_of: StemOf | None = None
    """A stem clip (stems job): where its audio comes from."""
    cover_of: CoverOf | None = None
    """A cover of an upload (render job): the audio it is made from."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["parts"] = [asdict(p) for p in self.parts]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RenderInput:
        cont = data.get("continuation")
        stem = data.get("stem_of")
        cover = data.get("cover_of")
        return cls(
            lyrics=data["lyrics"],
            tags=data["tags"],
            model=data["model"],
            engine=data["engine"],
            negative_tags=data.get("negative_tags", ""),
            title=data.get("title", ""),
            instrumental=bool(data.get("instrumental", False)),
            seed=int(data.get("seed", 0)),
            continuation=ContinueFrom(cont["clip_id"], cont["continue_at"]) if cont else None,
            parts=tuple(SongPart(p["clip_id"], p["continue_at"]) for p in data.get("parts") or ()),
            stem_of=StemOf(stem["clip_id"], stem["stem"]) if stem else None,
            cover_of=CoverOf(cover["clip_id"], cover.get("strength")) if cover else None,
        )


def render_input_of(clip: Clip) -> RenderInput:
    """The clip's stored render input (every clip has one since migration 0002)."""
    if clip.render_input is None:
        raise LookupError(f"clip {clip.id} has no render input")
    return RenderInput.from_json(clip.render_input)


UPLOAD_ENGINE = "upload"
"""The engine column of an uploaded clip: no engine made it, and it has no plan."""


def is_upload(clip: Clip) -> bool:
    return clip.engine == UPLOAD_ENGINE


def audio_key_of(clip: Clip) -> str | None:
    """Where the jobs read a clip's audio: its wav, or an upload's own file (any format)."""
    return clip.wav_key or (clip.audio_key if is_upload(clip) else None)


def continue_from(source: Clip, at: float | None) -> ContinueFrom:
    """Where an extension of ``source`` starts, checked once: after the start of the source's
    own plan and before its end. A whole song continues from its last part's plan, so ``at``
    (on the song's timeline, as the client sees it) is moved onto that plan's timeline."""
    duration = float(source.meta.get("duration") or 0.0)
    if at is None or not math.isfinite(at) or not 0 < at < duration:
        raise InvalidInput(
            f"{{field}} must be more than 0 and less than the clip's "
            f"duration ({duration:.2f} s); got {at}",
            field="continue_at",
        )
    offset = source.timeline_offset_s or 0.0
    if at <= offset:
        raise InvalidInput(
            f"{{field}} must be after {offset:.2f} s: a whole song continues from its last "
            "part (extend an earlier part to change the song before that)",
            field="continue_at",
        )
    return ContinueFrom(source.id, float(at) - offset)
