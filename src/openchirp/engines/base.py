"""The engine seam: what an engine is given (a plan request) and what it gives back (a render).

An engine knows music, not HTTP, SQL or file formats. The worker asks an engine to *plan* a clip,
which must be quick (the plan fixes duration, words and everything needed to continue later), then
pulls PCM blocks from the render in time order and hands them to the media layer while they come.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

SAMPLE_RATE = 44_100
CHANNELS = 2


@dataclass(frozen=True)
class Continuation:
    """Continue a source clip: its stored plan, and the second from which the new part starts.

    ``continue_at`` is on the source plan's own timeline (the server has already checked it and
    taken a whole song's offset off).

    A continuation keeps its source's sound: the request's ``tags`` and ``negative_tags`` do not
    change style, key, tempo, instruments or voice, which all come from ``source_plan``. Every
    engine must ignore them when continuing (they stay in the clip's metadata and cover art), so
    a client that sends other tags with an extend gets the same audio as with the source's.
    """

    source_plan: dict[str, Any]
    """Empty when the source is audio a user uploaded (sunoapi.org's upload-extend): no engine
    made it, so there is no plan and no sound to keep but the audio's own; an engine that
    declares ``upload_extend`` then takes its style from the request's tags."""
    continue_at: float
    source_audio: np.ndarray | None = None
    """The source's audio on its plan's timeline, float32 (frames, CHANNELS), for engines that
    declare ``wants_source_audio = True`` (a model that continues audio, not a plan); None for
    the others, which continue from ``source_plan`` alone."""
    source_sample_rate: int = SAMPLE_RATE


@dataclass(frozen=True)
class Cover:
    """Make a new clip from existing audio (sunoapi.org's upload-cover): its melody and form,
    in the request's style, with the request's lyrics. For engines that declare
    ``upload_cover``; the new clip is as long as the audio, up to the model's longest."""

    audio: np.ndarray = field(repr=False)
    """float32 (frames, CHANNELS) at ``sample_rate``."""
    sample_rate: int
    source_id: str
    """The audio's clip: clips covering the same audio may share one model call."""
    strength: float | None = None
    """How closely the new clip follows the audio, 0 to 1 (None: the engine's default)."""


@dataclass(frozen=True)
class PlanRequest:
    lyrics: str
    """Sectioned lyrics (``[Verse]`` ...), or "" for an instrumental."""
    tags: str
    negative_tags: str = ""
    title: str = ""
    instrumental: bool = False
    seed: int = 0
    """Same seed, same request: bit-identical audio."""
    variant: int = 0
    """Index of the clip inside its batch (0 or 1): the two clips must be different songs."""
    max_duration_s: float = 240.0
    continuation: Continuation | None = None
    cover: Cover | None = None


@dataclass(frozen=True)
class WordTiming:
    word: str
    start_s: float
    end_s: float
    p_align: float = 1.0
    """How sure the timing is: 1.0 when the engine sang the word at that time; lower when the
    timing is an estimate (an engine that is given lyrics but reports no timings)."""

    def to_row(self) -> list[Any]:
        """As stored with a clip: ``[word, start, end]``, and ``p_align`` when not certain."""
        row: list[Any] = [self.word, round(self.start_s, 3), round(self.end_s, 3)]
        return row if self.p_align >= 1.0 else [*row, round(self.p_align, 3)]

    @classmethod
    def from_row(cls, row: Any) -> WordTiming:
        return cls(str(row[0]), float(row[1]), float(row[2]), *[float(p) for p in row[3:4]])


@dataclass
class AudioBlock:
    """A run of samples in time order: float32 arrays shaped (frames, CHANNELS) in [-1, 1].

    ``stems`` holds the same frames split by part (at least ``vocals`` and ``instrumental`` for a
    sung clip, ``instrumental`` alone otherwise); the stems of a block sum to its ``mix``.
    """

    mix: np.ndarray
    stems: dict[str, np.ndarray] = field(default_factory=dict)


@runtime_checkable
class Render(Protocol):
    """One planned clip. Everything but ``blocks`` is known as soon as the plan is made."""

    sample_rate: int
    duration_s: float
    has_vocal: bool
    words: list[WordTiming]
    plan: dict[str, Any]
    """JSON-serialisable: seed, key, tempo, bar grid, sections, instruments, voice. Stored with
    the clip and handed back in a :class:`Continuation` to extend it."""

    def blocks(self) -> Iterator[AudioBlock]:
        """Yield the audio in time order; the first block must come quickly (streaming)."""
        ...


@dataclass
class FailedRender:
    """A clip of a batch that cannot be made (its own request, or out of memory even alone):
    its blocks raise why, so its job fails when the worker reads the first one and the other
    clips of the batch go on."""

    error: BaseException
    sample_rate: int
    duration_s: float = 0.0
    has_vocal: bool = False
    words: list[WordTiming] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)

    def blocks(self) -> Iterator[AudioBlock]:
        raise self.error
        yield  # pragma: no cover - a generator: the error comes with the first block


@runtime_checkable
class Engine(Protocol):
    name: str

    def plan(self, request: PlanRequest) -> Render: ...


CAPABILITIES = {
    "generate": "compose a song from lyrics and style",
    "extend": "continue one of its own clips",
    "concat": "join an extended song into one clip",
    "stems": "hand out vocals and instrumental stems",
    "infill": "replace a section of an existing clip (sunoapi.org replace-section)",
    "upload_extend": "continue audio a user uploaded",
    "upload_cover": "re-sing or re-arrange audio a user uploaded",
    "add_instrumental": "write an accompaniment for uploaded vocals",
    "add_vocals": "sing over an uploaded instrumental",
}
"""What an engine may declare in an optional ``capabilities: frozenset[str]`` class attribute
(none declared: an empty set). Operations past the core four are refused unless declared."""


def capabilities_of(engine: object) -> frozenset[str]:
    """An engine's (or engine class's) declared capabilities."""
    return frozenset(getattr(engine, "capabilities", frozenset()))


@dataclass(frozen=True)
class WrittenSong:
    title: str
    tags: str
    lyrics: str


@runtime_checkable
class Lyricist(Protocol):
    """Turns a one-line description into a title, style tags and sectioned lyrics."""

    def write(self, description: str, *, seed: int, instrumental: bool = False) -> WrittenSong: ...


class EngineError(Exception):
    """A render failed for a reason worth telling the user (ends the clip in ``error``)."""

    error_type = "engine_error"
    retry = True
    """Whether another attempt could succeed (out of memory on the same device: not at once)."""
