"""Workers and faults in this process (issue 15): what clients see of a failure, a full disk,
a retried render's status, the worker loop's backoff, and readiness."""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from openchirp.db import repo
from openchirp.db.tables import jobs
from openchirp.jobs import render, worker
from tests.support.inprocess import InProcessApp, inprocess_settings
from tests.support.server import free_port

SONG = {"prompt": "[Verse]\nla la", "tags": "pop"}


@pytest.fixture
def once(tmp_path: Path) -> Iterator[InProcessApp]:
    """An app whose jobs get one attempt each."""
    with InProcessApp(inprocess_settings(tmp_path / "data", max_attempts=1)) as running:
        yield running


def clips(app: InProcessApp) -> list[dict[str, Any]]:
    return app.client.get("/api/get").json()


def last_errors(app: InProcessApp) -> list[str]:
    with app.app.state.db.read() as conn:
        return [r.last_error for r in conn.execute(select(jobs.c.last_error))]


def test_clients_see_a_short_message_never_the_exception(
    once: InProcessApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("cannot open /srv/secret/openchirp.db: internal detail")

    monkeypatch.setattr(render, "store_covers", broken)
    once.client.post("/api/custom_generate", json=SONG)
    once.drive()
    for clip in clips(once):
        assert clip["status"] == "error"
        assert clip["error_message"] and "/srv" not in clip["error_message"]
        assert "RuntimeError" not in clip["error_message"]
        full = once.client.get(f"/api/clip?id={clip['id']}").json()
        assert full["metadata"]["error_type"] == "render_failed"
    # The details are kept for operators: in the job's last_error (and the log).
    assert all("/srv/secret" in e for e in last_errors(once))


def test_a_full_disk_fails_the_clip_at_once_and_removes_its_partial_files(
    app: InProcessApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: Any, block: Any) -> None:
        # Leave a partial file, as a write cut short by the disk would.
        clip = self.clip
        partial = self.ctx.storage.workspace.writable_path(f"clips/{clip.id}/{clip.id}.wav")
        partial.write_bytes(b"RIFF" + b"\0" * 100)
        raise OSError(errno.ENOSPC, "No space left on device", str(partial))

    monkeypatch.setattr(render.ClipRender, "_write", full)
    app.client.post("/api/custom_generate", json=SONG)
    started = time.monotonic()
    app.drive()
    with app.app.state.db.read() as conn:  # one attempt each (of 3): no retry on the same disk
        assert [r.attempts for r in conn.execute(select(jobs.c.attempts))] == [1, 1]
    assert time.monotonic() - started < 60
    files = app.settings.data_dir / "files" / "clips"
    for clip in clips(app):
        assert clip["status"] == "error"
        assert "disk" in clip["error_message"] and "/" not in clip["error_message"]
        assert not (files / clip["id"]).exists()  # no partial files left behind
    assert not list(files.rglob(".tmp-*"))


def test_a_create_on_a_full_disk_is_a_507_in_the_dialect_shape(
    app: InProcessApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: Any, **_kwargs: Any) -> Any:
        cause = sqlite3.OperationalError("database or disk is full")
        raise OperationalError("INSERT INTO batches", {}, cause)

    monkeypatch.setattr(repo, "insert_batch", full)
    gcui = app.client.post("/api/custom_generate", json=SONG)
    assert gcui.status_code == 507 and "disk is full" in gcui.json()["error"]
    v2 = app.client.post("/api/v2/suno/v3.5/custom/create-lyrics-song", json=SONG)
    assert v2.status_code == 507 and v2.json()["code"] == 507
    chat = app.client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": "a song"}]}
    )
    assert chat.status_code == 507 and chat.json()["error"]["code"] == 507
    assert app.client.get("/api/get_limit").json()["monthly_usage"] == 0


def test_other_server_errors_stay_500(app: InProcessApp, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(repo, "insert_batch", broken)
    with pytest.raises(OperationalError):  # TestClient re-raises server errors
        app.client.post("/api/custom_generate", json=SONG)


def test_a_retried_render_never_goes_back_to_queued(
    app: InProcessApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, list[str]] = {}
    update = repo.update_clip

    def recording(conn: Any, clip_id: str, **values: Any) -> None:
        if "status" in values:
            seen.setdefault(clip_id, []).append(str(values["status"]))
        update(conn, clip_id, **values)

    real_complete = render.complete_clip
    failed: set[str] = set()

    def fails_once(ctx: Any, *args: Any, **kwargs: Any) -> None:
        if ctx.job.subject_id not in failed:  # after streaming started
            failed.add(ctx.job.subject_id)
            raise RuntimeError("lost the connection")
        real_complete(ctx, *args, **kwargs)

    monkeypatch.setattr(repo, "update_clip", recording)
    monkeypatch.setattr(render, "complete_clip", fails_once)
    app.client.post("/api/custom_generate", json=SONG)
    app.drive()
    assert {c["status"] for c in clips(app)} == {"streaming"}
    time.sleep(1.1)  # the retry's delay
    app.drive()
    assert {c["status"] for c in clips(app)} == {"complete"}
    for statuses in seen.values():
        assert statuses[0] == "queued"
        assert "queued" not in statuses[statuses.index("streaming") :], statuses


def test_the_worker_loop_backs_off_and_logs_one_line_per_failure(
    app: InProcessApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from openchirp.jobs.pool import restart_delay

    def full() -> bool:
        raise OSError(errno.ENOSPC, "No space left on device")

    w = app.worker
    monkeypatch.setattr(w, "run_once", full)
    monkeypatch.setattr(w, "engines_to_warm", list)
    stop = threading.Event()
    with caplog.at_level(logging.ERROR, logger="openchirp.worker"):
        thread = threading.Thread(target=w.run_forever, args=(stop.is_set,))
        thread.start()
        time.sleep(1.5)
        stop.set()
        thread.join(10)
    errors = [r for r in caplog.records if "worker loop error" in r.getMessage()]
    assert 2 <= len(errors) <= 5  # poll_seconds is 0.02: without backoff, ~70 of them
    assert errors[0].exc_info and not any(r.exc_info for r in errors[1:])
    assert [restart_delay(n) for n in (1, 2, 3, 4, 20)] == [0, 1, 2, 4, 60]
    assert worker.loop_backoff(100, 0.1) == worker.MAX_LOOP_BACKOFF_S


class FakePool:
    size = 2

    def __init__(self, live: int) -> None:
        self._live = live

    def live(self) -> int:
        return self._live


def test_readiness_and_the_no_consumer_answer(app: InProcessApp) -> None:
    ready = app.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["workers"] == {"mode": "external", "ok": True}
    assert ready.json()["checks"]["disk"]["ok"] is True
    created = app.client.post("/api/custom_generate", json=SONG)
    assert "x-openchirp-queue" not in created.headers
    app.app.state.pool = FakePool(live=0)
    ready = app.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["workers"] == {
        "mode": "embedded",
        "live": 0,
        "expected": 2,
        "ok": False,
    }
    created = app.client.post("/api/v2/suno/v3.5/custom/create-lyrics-song", json=SONG)
    assert created.status_code == 200  # still accepted: the jobs wait for a worker
    assert created.headers["x-openchirp-queue"] == "no-consumer"
    app.app.state.pool = FakePool(live=1)
    assert app.client.get("/readyz").status_code == 200
    assert "x-openchirp-queue" not in app.client.post("/api/custom_generate", json=SONG).headers


def test_readiness_reports_low_disk(tmp_path: Path) -> None:
    settings = inprocess_settings(tmp_path / "data", min_free_disk_bytes=2**62)
    with InProcessApp(settings) as app:
        ready = app.client.get("/readyz")
        assert ready.status_code == 503
        disk = ready.json()["checks"]["disk"]
        assert disk["ok"] is False and disk["free_bytes"] < disk["min_free_bytes"]


def test_readiness_asks_the_store(app: InProcessApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store that fails (an S3 endpoint down, bad credentials) makes the server not ready."""
    assert app.client.get("/readyz").json()["checks"]["storage"] == {"ok": True}

    def unreachable(key: str) -> None:
        raise ConnectionError(f"no route to the store for {key}")

    monkeypatch.setattr(app.app.state.storage, "stat", unreachable)
    ready = app.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["storage"] == {"ok": False, "error": "ConnectionError"}


def test_readiness_with_an_s3_endpoint_that_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openchirp.api import health

    port = free_port()  # nothing listens there: the S3 client retries until the probe gives up
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(health, "STORAGE_TIMEOUT_S", 0.5)
    # Its own probe thread: the hung probe goes on retrying there for a few seconds more.
    monkeypatch.setattr(health, "_store_probes", ThreadPoolExecutor(1))
    settings = inprocess_settings(tmp_path / "data", storage_url="s3://nowhere/prefix")
    with InProcessApp(settings) as app:
        ready = app.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["storage"] == {
        "ok": False,
        "error": "the store did not answer in 0.5 s",
    }
