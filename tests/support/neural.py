"""The tiny ACE-Step model the neural tests load as a user's model folder: written once per test
session by the same function as ``openchirp models tiny acestep DIR``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def server_and_worker(data: Path, env: dict[str, str], engines: str) -> Iterator[Any]:
    """A real server with no embedded workers on a SQLite file in ``data``, and one
    ``openchirp worker --engines ENGINES`` beside it (as a GPU machine runs it), stopped with
    SIGTERM at the end; the worker's output goes to ``data/worker.log``."""
    from tests.support.server import Server

    env = {**env, "OPENCHIRP_DEFAULT_ENGINE": "", "OPENCHIRP_WORKERS": "0"}
    server = Server(data, f"sqlite:///{data / 'oc.db'}", **env).start()
    worker = subprocess.Popen(
        [sys.executable, "-m", "openchirp", "worker", "--engines", engines],
        env=server.env,
        cwd=data,
        stdout=open(data / "worker.log", "ab"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )
    try:
        yield server
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.stop()
