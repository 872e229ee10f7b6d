"""Engines and lyricists by name, imported only when configured (heavy stacks stay optional)."""

from __future__ import annotations

import importlib
import inspect
from functools import cache
from typing import Any

from openchirp.config import Settings
from openchirp.engines.base import Engine, Lyricist


def import_object(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ValueError(f"engine spec {spec!r} must look like 'package.module:Class'")
    return getattr(importlib.import_module(module_name), attr)


@cache
def _build(spec: str, soundfont: str | None) -> Engine:
    factory = import_object(spec)
    kwargs: dict[str, Any] = {}
    if soundfont and "soundfont" in inspect.signature(factory).parameters:
        kwargs["soundfont"] = soundfont
    return factory(**kwargs)


def load_engine(name: str, settings: Settings) -> Engine:
    """One engine instance per process and name (SoundFonts and models load once)."""
    soundfont = str(settings.soundfont) if settings.soundfont else None
    return _build(settings.engine_spec(name), soundfont)


def make_lyricist(settings: Settings) -> Lyricist:
    from openchirp.engines.composer.lyricist import LLMLyricist, OfflineLyricist

    if settings.lyricist_url:
        return LLMLyricist(
            settings.lyricist_url, settings.lyricist_model, api_key=settings.lyricist_api_key
        )
    return OfflineLyricist()
