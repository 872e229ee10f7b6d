"""/metrics: its figures are what happened (jobs from the database, requests of this process)."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.inprocess import InProcessApp
from tests.support.server import TONE

SONG = {"prompt": "[Verse]\nla la la", "tags": "pop", "title": "Metrics"}


def scrape(app: InProcessApp) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_metrics_count_what_the_test_did(app: InProcessApp) -> None:
    for _ in range(3):
        assert app.client.post("/api/custom_generate", json=SONG).status_code == 200
    queue = f"render.{TONE}"
    before = scrape(app)
    assert before[("openchirp_queue_depth", (("kind", "render"), ("queue", queue)))] == 6

    app.drive()  # a render job may take its sibling along: 3 to 6 runs
    after = scrape(app)
    assert ("openchirp_queue_depth", (("kind", "render"), ("queue", queue))) not in after
    assert after[("openchirp_jobs_started_total", (("kind", "render"),))] == 6
    assert after[("openchirp_jobs_completed_total", (("kind", "render"),))] == 6
    assert after[("openchirp_jobs_failed_total", (("kind", "render"),))] == 0
    engine = (("engine", TONE),)
    assert after[("openchirp_renders_total", engine)] == 6
    seconds = after[("openchirp_render_seconds_total", engine)]
    audio = after[("openchirp_render_audio_seconds_total", engine)]
    clips = app.client.get("/api/get").json()
    assert audio == pytest.approx(sum(float(c["duration"]) for c in clips)) and audio > 0
    assert seconds > 0
    assert after[("openchirp_render_realtime_factor", engine)] == audio / seconds

    # Request latency, per route template: 3 creates answered 200, 2 scrapes before this one.
    creates = (("method", "POST"), ("route", "/api/custom_generate"), ("status", "200"))
    assert after[("openchirp_request_seconds_count", creates)] == 3
    scrapes = (("method", "GET"), ("route", "/metrics"), ("status", "200"))
    assert after[("openchirp_request_seconds_count", scrapes)] == 1
    assert not any(re.search(r"[0-9a-f]{8}-", dict(k[1]).get("route", "")) for k in after)


def test_device_memory_is_what_the_workers_last_reported(app: InProcessApp) -> None:
    """Workers on other machines report through the database; a worker that stops takes its
    figures with it, and a dead one's (not refreshed) age out."""
    from datetime import timedelta

    from sqlalchemy import update

    from openchirp.db import stats
    from openchirp.db.repo import utcnow
    from openchirp.db.tables import device_memory

    db = app.worker.db
    gpu = {"allocated": 3.0e9, "reserved": 4.0e9, "peak": 3.5e9}
    with db.write() as conn:
        stats.record_device_memory(conn, "gpu-1", "acestep", gpu)
        stats.record_device_memory(conn, "gpu-2", "musicgen", {"allocated": 1.0e9})
        stats.record_device_memory(conn, "gpu-1", "acestep", {**gpu, "peak": 3.75e9})  # again
    figures = scrape(app)
    name = "openchirp_engine_device_memory_bytes"
    for kind, value in {**gpu, "peak": 3.75e9}.items():
        labels = (("engine", "acestep"), ("kind", kind), ("worker", "gpu-1"))
        assert figures[(name, labels)] == value
    assert figures[(name, (("engine", "musicgen"), ("kind", "allocated"), ("worker", "gpu-2")))]

    stale = utcnow() - timedelta(seconds=stats.DEVICE_MEMORY_STALE_S + 1)
    with db.write() as conn:
        conn.execute(
            update(device_memory).where(device_memory.c.worker == "gpu-2").values(updated_at=stale)
        )
        stats.forget_device_memory(conn, "gpu-1")
    assert not [k for k in scrape(app) if k[0] == name]
