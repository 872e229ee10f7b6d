"""Both clips of a create progress together on a single worker (issue 11): one render job takes
its batch's waiting sibling and renders both interleaved, block by block."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from openchirp.db import repo
from openchirp.db.tables import jobs
from openchirp.jobs import render
from openchirp.jobs.worker import Worker
from tests.support.inprocess import InProcessApp, inprocess_settings

SONG = {"prompt": "[Verse]\nside by side\nwe go", "tags": "pop", "title": "Pair"}


def test_one_worker_streams_both_clips_at_once(
    app: InProcessApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [c["id"] for c in app.client.post("/api/custom_generate", json=SONG).json()]
    seen: list[tuple[str, str]] = []
    step = render.ClipRender.step

    def watched(self: render.ClipRender) -> bool:
        more = step(self)
        with app.worker.db.read() as conn:
            first, second = (repo.get_clip(conn, i) for i in ids)
        seen.append((first.status, second.status))
        return more

    monkeypatch.setattr(render.ClipRender, "step", watched)
    assert app.drive() == 1  # one job, both clips
    assert seen[-1] == ("complete", "complete")
    # gcui's README loop waits for clip 0 to stream, then reads clip 1's audio_url.
    playing = ("streaming", "complete")
    assert all(second in playing for first, second in seen if first in playing)
    assert ("streaming", "streaming") in seen  # both are being written at the same time
    with app.worker.db.read() as conn:
        assert [repo.get_clip(conn, i).completions for i in ids] == [1, 1]
        states = dict(conn.execute(select(jobs.c.subject_id, jobs.c.state)).all())
    assert [states[i] for i in ids] == ["done", "done"]


def test_a_failing_sibling_fails_alone(app: InProcessApp, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [c["id"] for c in app.client.post("/api/custom_generate", json=SONG).json()]
    start = render.ClipRender._start

    def flaky(self: render.ClipRender) -> Any:
        if self.clip.variant == 1 and self.ctx.job.attempts == 1:
            raise RuntimeError("variant 1 breaks once")
        return start(self)

    monkeypatch.setattr(render.ClipRender, "_start", flaky)
    deadline = time.monotonic() + 30
    while True:  # the failed one is tried again after the queue's retry delay
        app.drive()
        with app.worker.db.read() as conn:
            clips = [repo.get_clip(conn, i) for i in ids]
            attempts = dict(conn.execute(select(jobs.c.subject_id, jobs.c.attempts)).all())
        if {c.status for c in clips} == {"complete"} or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [c.status for c in clips] == ["complete", "complete"]
    assert [c.completions for c in clips] == [1, 1]
    assert [attempts[i] for i in ids] == [1, 2]  # only the sibling that failed was tried again


def test_an_idle_second_worker_still_takes_the_sibling(tmp_path: Path) -> None:
    """The pairing is for a lone worker: a render waits a couple of polls before it takes its
    sibling, and an idle worker that polls meanwhile renders it in parallel instead."""
    with InProcessApp(inprocess_settings(tmp_path / "data", poll_seconds=0.5)) as app:
        ids = [c["id"] for c in app.client.post("/api/custom_generate", json=SONG).json()]
        first = threading.Thread(target=app.worker.run_once)
        first.start()
        time.sleep(0.3)  # the first worker is planning its clip, or waiting for others to poll
        second = Worker(app.settings, name="second")
        try:
            assert second.run_once()  # there was a render job left for it
        finally:
            first.join()
            second.db.dispose()
        with app.worker.db.read() as conn:
            assert [repo.get_clip(conn, i).status for i in ids] == ["complete", "complete"]
