"""The tiny ACE-Step model the neural tests load as a user's model folder: written once per test
session by the same function as ``openchirp models tiny acestep DIR``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ACESTEP_OPTIONS: dict[str, Any] = {
    "device": "cpu",
    "dtype": "float32",
    "steps": 2,
    "duration_s": 1.0,
    "context_s": 0.5,
    "block_s": 0.25,
    "max_batch": 4,
}
"""Seconds of audio at most: random weights make noise, the tests check shapes and lifecycle."""
ACESTEP_MODEL = "chirp-auk"
OOM_TAG = "oom-drill"


def require_neural() -> None:
    """Skip without the ``neural`` extra, unless CI says it must be there (``.ci/run`` sets
    ``OPENCHIRP_REQUIRE_NEURAL``: no silent skips)."""
    if os.environ.get("OPENCHIRP_REQUIRE_NEURAL"):
        import diffusers  # noqa: F401 - fails loudly where the extra is missing
    else:
        pytest.importorskip("diffusers", reason="the neural extra is not installed")


def tiny_acestep(factory: pytest.TempPathFactory) -> Path:
    require_neural()
    from openchirp.engines.acestep.tiny import write_tiny

    directory = factory.getbasetemp() / "tiny-acestep"
    if not (directory / "model_index.json").exists():
        write_tiny(directory)
    return directory


def acestep_env(model_dir: Path, **options: Any) -> dict[str, str]:
    """The two lines a user adds: which model key runs on acestep, and its options."""
    return {
        "OPENCHIRP_MODEL_ENGINES": f"{ACESTEP_MODEL}=acestep",
        "OPENCHIRP_ENGINE_OPTIONS": json.dumps(
            {"acestep": {**ACESTEP_OPTIONS, "model_dir": str(model_dir), **options}}
        ),
    }
