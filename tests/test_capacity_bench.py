"""bench/capacity.py in its quick mode (tone engine, one song): the figures docs/scaling.md is
built from come out, and they add up (one broker message per job, the rows a create writes)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.support.server import pg_available

BENCH = Path(__file__).resolve().parents[1] / "bench" / "capacity.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not pg_available(), reason="needs PostgreSQL on 127.0.0.1:5432"),
]


def test_the_capacity_figures_of_one_song(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("TONE_SECONDS", "1")
    spec = importlib.util.spec_from_file_location("capacity_bench", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = bench.measure(1, tone=True)
    create = figures["statements"]["create (API)"]
    assert (create["INSERT batches"], create["INSERT clips"], create["INSERT jobs"]) == (1, 2, 2)
    # Every job ran from one message: 2 renders (one of them taking both clips), 2 videos.
    assert sum(figures["queues"].values()) == 4 and figures["queues"]["media"] == 2
    assert (
        figures["runs"]["render"] + figures["runs"]["render (message for a job already taken)"] == 2
    )
    # Each clip's files: mp3, wav, two stems, two covers, peaks, mp4.
    counts = {kind: n for kind, (n, _) in figures["files"].items()}
    assert counts["mp3"] == counts["wav"] == counts["mp4"] == 2 and counts["stem wav"] == 4
    assert figures["cpu"]["render"] > 0 and figures["audio_s"] == pytest.approx(2.0, abs=0.1)
    bench.report(figures)
    assert "INSERT/UPDATE statements" in capsys.readouterr().out
