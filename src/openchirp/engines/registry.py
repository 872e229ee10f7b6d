"""Engines and lyricists by name, imported only when configured (heavy stacks stay optional)."""

from __future__ import annotations

import importlib
import json
from functools import cache
from typing import Any

from openchirp.config import BUILTIN_ENGINES, Settings
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


def operation_problems(name: str, operation: str, settings: Settings) -> list[str]:
    """Why the engine of that name, which declares ``operation``, cannot run it with its
    configured options (a model folder without a module the operation needs), read without
    loading the engine. An engine class may declare ``operation_problems(operation, options)``."""
    check = getattr(import_object(settings.engine_spec(name)), "operation_problems", None)
    if not callable(check):
        return []
    return list(check(operation, settings.engine_options_for(name)))


def make_lyricist(settings: Settings) -> Lyricist:
    spec, options = settings.lyricist_factory()
    return import_object(spec)(**options)


UNCHECKED = frozenset({BUILTIN_ENGINES["composer"]})
"""Built-in engines with no start-up check, not imported for the question: the composer's
module takes seconds to import, which a server's start would wait for."""


def engine_problems(name: str, settings: Settings) -> list[str]:
    """Why the engine of that name cannot load with its configured options (a missing model
    folder, a missing extra), checked without loading it; [] when nothing is known to be wrong.
    An engine class may declare a ``problems(options) -> list[str]`` static method."""
    try:
        spec = settings.engine_spec(name)
        if spec in UNCHECKED:
            return []
        cls = import_object(spec)
    except (ImportError, AttributeError, KeyError, ValueError) as exc:
        return [f"cannot import it: {exc}"]
    check = getattr(cls, "problems", None)
    if not callable(check):
        return []
    try:
        return list(check(settings.engine_options_for(name)))
    except ImportError as exc:
        return [f"{exc}: pip install 'openchirp[neural]'"]


def engines_in_use(settings: Settings, models: list[str]) -> list[str]:
    """The engines the model keys run on, with this configuration."""
    names = {settings.engine_for_model(m) for m in models}
    return sorted(names | set(settings.model_engines.values()))


def startup_problems(settings: Settings, engines: list[str]) -> list[str]:
    """One line per problem of each engine, ``engine NAME: ...``: what stops a server or a
    worker from starting (at start-up, not at the first song)."""
    return [f"engine {name}: {p}" for name in engines for p in engine_problems(name, settings)]
