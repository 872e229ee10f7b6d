"""Suno model keys and the input limits of each. Each dialect brings its own spellings of them
(``api/dialects``); the service takes keys."""

from __future__ import annotations

from collections.abc import Mapping
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


def resolve_model(name: str | None, spellings: Mapping[str, str] | None = None) -> ModelInfo | None:
    """The model a client means, or None when nothing matches. A key matches in any case;
    ``spellings`` are a dialect's other names for models (lower case -> key)."""
    if not name:
        return MODELS[DEFAULT_MODEL]
    key = name.strip().lower()
    if spellings:
        key = spellings.get(key, key)
    return MODELS.get(key)


def model_names() -> list[str]:
    return sorted(MODELS)
