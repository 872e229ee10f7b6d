"""Nothing accepted is lost: crashes, retries and failures, with real server processes."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from openchirp.db.database import Database
from openchirp.db.tables import clips, jobs
from tests.conftest import make_server
from tests.support.server import wait_for

pytestmark = pytest.mark.e2e

SONG = {"prompt": "[Verse]\nround and round we go", "tags": "pop", "title": "Crash"}


def job_rows(db: Database) -> list:
    with db.read() as conn:
        return list(conn.execute(select(jobs)).all())


def test_sigkill_while_rendering_then_every_clip_completes_once(tmp_path, backend) -> None:
    srv, pg = make_server(
        tmp_path, backend, TONE_SECONDS="4", TONE_BLOCK_DELAY="0.1", OPENCHIRP_LEASE_SECONDS="2"
    )
    srv.start()
    db = Database(srv.database_url)
    try:
        with srv.client() as client:
            ids = [
                c["id"]
                for _ in range(3)
                for c in client.post("/api/custom_generate", json=SONG).json()
            ]
            deadline = time.monotonic() + 30
            while not any(
                c["status"] == "streaming"
                for c in client.get("/api/get", params={"ids": ",".join(ids)}).json()
            ):
                assert time.monotonic() < deadline, "nothing started rendering"
                time.sleep(0.05)
        srv.kill()
        running = [j for j in job_rows(db) if j.state == "running"]
        assert running, "the kill should have interrupted jobs in flight"
        unfinished = [
            c for c in ids if c not in {j.subject_id for j in job_rows(db) if j.state == "done"}
        ]
        assert unfinished

        srv.start()
        with srv.client() as client:
            done = wait_for(client, ids, timeout=90)
        assert [c["status"] for c in done] == ["complete"] * len(ids)
        with db.read() as conn:
            completions = dict(conn.execute(select(clips.c.id, clips.c.completions)).all())
        assert {completions[i] for i in ids} == {1}, completions
        retried = {j.subject_id: j.attempts for j in job_rows(db)}
        assert all(retried[r.subject_id] >= 2 for r in running)
    finally:
        srv.stop()
        db.dispose()
        if pg:
            pg.drop()


@pytest.fixture(scope="module")
def flaky(backend: str, tmp_path_factory: pytest.TempPathFactory):
    srv, pg = make_server(tmp_path_factory.mktemp(f"flaky-{backend}"), backend)
    srv.start()
    yield srv
    srv.stop()
    if pg:
        pg.drop()


def test_a_failure_is_retried(flaky) -> None:
    with flaky.client() as client:
        ids = [
            c["id"]
            for c in client.post(
                "/api/custom_generate", json={**SONG, "tags": "pop, fail-once"}
            ).json()
        ]
        done = wait_for(client, ids)
    assert [c["status"] for c in done] == ["complete", "complete"]
    db = Database(flaky.database_url)
    attempts = {j.subject_id: j.attempts for j in job_rows(db) if j.kind == "render"}
    db.dispose()
    assert [attempts[i] for i in ids] == [2, 2]


def test_three_failures_end_the_clip_in_error_with_a_reason(flaky) -> None:
    with flaky.client() as client:
        ids = [
            c["id"]
            for c in client.post(
                "/api/custom_generate", json={**SONG, "tags": "fail-always"}
            ).json()
        ]
        done = wait_for(client, ids)
        assert [c["status"] for c in done] == ["error", "error"]
        assert all("asked to fail" in c["error_message"] for c in done)
        clip = client.get("/api/clip", params={"id": ids[0]}).json()
        assert clip["metadata"]["error_type"] == "engine_error"
        assert clip["is_video_pending"] is False
        task = client.get("/api/v2/suno/v3.5/clip/" + clip["id"])
        assert task.status_code == 404  # a clip id is not a task id
    db = Database(flaky.database_url)
    rows = {j.subject_id: j for j in job_rows(db)}
    db.dispose()
    assert [(rows[i].state, rows[i].attempts) for i in ids] == [("failed", 3), ("failed", 3)]


def test_a_separate_worker_process_serves_a_server_without_workers(tmp_path, backend) -> None:
    import signal
    import subprocess
    import sys

    srv, pg = make_server(tmp_path, backend, OPENCHIRP_WORKERS="0")
    srv.start()
    worker = None
    try:
        with srv.client() as client:
            ids = [c["id"] for c in client.post("/api/custom_generate", json=SONG).json()]
            time.sleep(1)
            statuses = {
                c["status"] for c in client.get("/api/get", params={"ids": ",".join(ids)}).json()
            }
            assert statuses == {"submitted"}  # nobody renders yet
            worker = subprocess.Popen(
                [sys.executable, "-m", "openchirp", "worker", "--count", "1"],
                env=srv.env,
                cwd=tmp_path,
            )
            done = wait_for(client, ids)
        assert [c["status"] for c in done] == ["complete", "complete"]
    finally:
        if worker:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(20) == 0
        srv.stop()
        if pg:
            pg.drop()
