"""Warm-up never blocks the first song: kernels are compiled at install, engines load while idle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from openchirp.jobs.worker import Worker
from tests.support.inprocess import InProcessApp
from tests.support.server import REPO, TONE

LYRICS = "[Verse]\nStars they shine above me"


def test_a_waiting_job_runs_before_any_engine_is_warmed(
    app: InProcessApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [c["id"] for c in app.client.post("/api/custom_generate", json={"prompt": LYRICS}).json()]
    warmed: list[tuple[str, list[str]]] = []

    def warm_up(worker: Worker, name: str) -> None:
        clips = app.client.get("/api/get", params={"ids": ",".join(ids)}).json()
        warmed.append((name, [c["status"] for c in clips]))

    monkeypatch.setattr(Worker, "warm_up", warm_up)
    app.worker.run_forever(lambda: bool(warmed))
    # Both clips were rendered first; the idle worker then warmed its one engine.
    assert warmed == [(TONE, ["complete", "complete"])]


def test_an_idle_worker_warms_each_of_its_engines_once(
    app: InProcessApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = Worker(app.settings.model_copy(update={"default_engine": None}), name="idle")
    assert worker.engines_to_warm() == ["composer"]
    mapped = {"model_engines": {"chirp-v4": TONE}, "default_engine": None}
    worker = Worker(app.settings.model_copy(update=mapped), name="idle")
    assert worker.engines_to_warm() == sorted(["composer", TONE])
    warmed: list[str] = []
    monkeypatch.setattr(Worker, "warm_up", lambda _w, name: warmed.append(name))
    polls = iter(range(10))
    worker.run_forever(lambda: next(polls) == 9)
    assert warmed == sorted(["composer", TONE])
    worker.db.dispose()


@pytest.mark.slow  # compiles every kernel from nothing: ~5-12 s
def test_warm_up_command_fills_numbas_cache(tmp_path: Path) -> None:
    """`openchirp warm-up` (run by `make install`) compiles into the cache, and a process
    started afterwards loads every kernel from it: none compiles."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        "NUMBA_CACHE_DIR": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-m", "openchirp", "warm-up"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "compiled and cached" in out
    assert list(tmp_path.rglob("kernels.*.nbi"))
    probe = (
        "import numba\n"
        "from openchirp.engines.composer import kernels\n"
        "kernels.warm_up()\n"
        "jit = numba.core.registry.CPUDispatcher\n"
        "ds = [v for v in vars(kernels).values() if isinstance(v, jit)]\n"
        "print(sum(sum(d.stats.cache_misses.values()) for d in ds),"
        " sum(sum(d.stats.cache_hits.values()) for d in ds))\n"
    )
    misses, hits = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert (int(misses), int(hits) > 0) == (0, True)
