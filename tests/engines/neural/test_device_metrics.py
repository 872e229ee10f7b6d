"""A GPU-style worker reports its model's device memory, and /metrics shows it: the tiny
ACE-Step model in this process, rendered by a real worker (on a CPU the figure is the process's
peak resident set; on a GPU allocated, reserved, peak, free and total)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.inprocess import InProcessApp, inprocess_settings
from tests.support.neural import ACESTEP_MODEL, ACESTEP_OPTIONS, require_neural, tiny_acestep

require_neural()

NAME = "openchirp_engine_device_memory_bytes"


def device_figures(app: InProcessApp) -> dict[tuple[str, str, str], float]:
    text = app.client.get("/metrics").text
    return {
        (s.labels["worker"], s.labels["engine"], s.labels["kind"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == NAME
    }


def test_the_worker_reports_its_engines_memory_after_a_batch_and_forgets_it_on_stop(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tiny_acestep(tmp_path_factory)
    settings = inprocess_settings(
        tmp_path / "data",
        default_engine=None,
        model_engines={ACESTEP_MODEL: "acestep"},
        engine_options={"acestep": {**ACESTEP_OPTIONS, "model_dir": str(folder)}},
    )
    with InProcessApp(settings) as app:
        assert device_figures(app) == {}
        body = {"prompt": "[Verse]\nla la", "tags": "pop", "model": ACESTEP_MODEL}
        assert app.client.post("/api/custom_generate", json=body).status_code == 200
        assert app.drive() == 1  # both clips in one batch
        figures = device_figures(app)
        assert set(figures) == {("inprocess", "acestep", "peak_rss")}
        assert figures[("inprocess", "acestep", "peak_rss")] > 10 * 1024 * 1024
        with app.working():  # run_forever: refreshes while idle, forgets when it stops
            pass
        assert device_figures(app) == {}
