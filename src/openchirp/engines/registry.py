"""Engines and lyricists by name, imported only when configured (heavy stacks stay optional)."""

from __future__ import annotations

import importlib
import json
from functools import cache
from typing import Any

from openchirp.config import Settings
from openchirp.engines.base import Engine, Lyricist, capabilities_of


def import_object(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ValueError(f"spec {spec!r} must look like 'package.module:Class'")
    return getattr(importlib.import_module(module_name), attr)


@cache
def _build(spec: str, options_json: str) -> Engine:
    return import_object(spec)(**json.loads(options_json))


def load_engine(name: str, settings: Settings) -> Engine:
    """One engine instance per process, name and options (SoundFonts and models load once),
    built with its options from configuration as keyword arguments."""
    options = json.dumps(settings.engine_options_for(name), sort_keys=True)
    return _build(settings.engine_spec(name), options)


def engine_capabilities(name: str, settings: Settings) -> frozenset[str]:
    """What the engine of that name declares it can do, read from its class: the engine itself
    (a SoundFont, a model) is not loaded for the question."""
    return capabilities_of(import_object(settings.engine_spec(name)))


def make_lyricist(settings: Settings) -> Lyricist:
    spec, options = settings.lyricist_factory()
    return import_object(spec)(**options)
