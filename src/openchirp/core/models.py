"""Suno model keys, their aliases in each dialect, and the input limits of each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    key: str
    major_version: str
    lyrics_limit: int
    tags_limit: int
    description_limit: int
    title_limit: int = 80
    max_duration_s: float = 240.0


MODELS: dict[str, ModelInfo] = {
    m.key: m
    for m in (
        ModelInfo("chirp-v3-0", "v3", 3000, 200, 200, max_duration_s=120.0),
        ModelInfo("chirp-v3-5", "v3.5", 3000, 200, 200, max_duration_s=240.0),
        ModelInfo("chirp-v4", "v4", 3000, 200, 200, max_duration_s=240.0),
        ModelInfo("chirp-auk", "v4.5", 5000, 1000, 500, max_duration_s=480.0),
        ModelInfo("chirp-auk-turbo", "v4.5", 5000, 1000, 500, max_duration_s=480.0),
        ModelInfo("chirp-bluejay", "v4.5+", 5000, 1000, 500, max_duration_s=480.0),
        ModelInfo("chirp-crow", "v5", 5000, 1000, 500, max_duration_s=480.0),
        ModelInfo("chirp-fenix", "v5.5", 5000, 1000, 500, max_duration_s=480.0),
    )
}

DEFAULT_MODEL = "chirp-v3-5"

# Every spelling a client may send for a model: sunoapi.com's `{mv}` path segment, sunoapi.org's
# `V4_5` and the marketing names.
_ALIASES: dict[str, str] = {
    "v3": "chirp-v3-0",
    "v3.0": "chirp-v3-0",
    "v3_0": "chirp-v3-0",
    "chirp-v3": "chirp-v3-0",
    "v3.5": "chirp-v3-5",
    "v3_5": "chirp-v3-5",
    "v4": "chirp-v4",
    "v4.0": "chirp-v4",
    "v4.5": "chirp-auk",
    "v4_5": "chirp-auk",
    "v4.5-turbo": "chirp-auk-turbo",
    "v4.5+": "chirp-bluejay",
    "v4_5plus": "chirp-bluejay",
    "v4.5plus": "chirp-bluejay",
    "v5": "chirp-crow",
    "v5.0": "chirp-crow",
    "v5.5": "chirp-fenix",
    "v5_5": "chirp-fenix",
}


def resolve_model(name: str | None) -> ModelInfo | None:
    """The model a client means, or None when nothing matches."""
    if not name:
        return MODELS[DEFAULT_MODEL]
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    return MODELS.get(key)


def model_names() -> list[str]:
    return sorted(MODELS)
