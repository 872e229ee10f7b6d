"""With a queue URL, the API publishes each job it queued after the commit (no worker here)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from openchirp.db.repo import utcnow
from openchirp.db.tables import jobs
from openchirp.jobs.celery_queue import Publisher, sweep
from openchirp.jobs.worker import Worker
from tests.support.inprocess import InProcessApp, inprocess_settings
from tests.support.server import TONE, free_port
from tests.support.topology import broker_url, redis_available

SONG = {"prompt": "[Verse]\nla la la", "tags": "pop", "title": "Publish"}


def dispatched(app: InProcessApp) -> list[object]:
    with app.worker.db.read() as conn:
        return [r.dispatched_at for r in conn.execute(select(jobs.c.dispatched_at))]


@pytest.mark.skipif(not redis_available(), reason="needs Redis on loopback")
def test_each_job_becomes_one_message_on_its_engine_queue(tmp_path: Path) -> None:
    url, client = broker_url("redis")
    with InProcessApp(inprocess_settings(tmp_path, queue_url=url)) as app:
        request_id = {"X-Request-ID": "publish-test"}
        ids = app.client.post("/api/custom_generate", json=SONG, headers=request_id).json()
        assert len(ids) == 2
        assert all(dispatched(app))  # the outbox mark
        queue = f"render.{TONE}"
        keys = [k for k in client.keys("*") if k.decode().startswith(queue)]
        assert sum(client.llen(k) for k in keys) == 2
        body = client.lindex(keys[0], 0)
        assert b"openchirp.run_job" in body
    client.flushdb()


def test_an_unreachable_broker_loses_nothing(tmp_path: Path) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings = inprocess_settings(tmp_path, queue_url=dead)
    with InProcessApp(settings) as app:
        response = app.client.post("/api/custom_generate", json=SONG)
        assert response.status_code == 200  # accepted: the row is committed
        assert dispatched(app) == [None, None]  # not published: a sweeper will
        # Once the broker is back, a worker's sweep publishes both.
        live_url = broker_url("redis")[0] if redis_available() else None
        if live_url is None:
            return
        live = settings.model_copy(update={"queue_url": live_url})
        worker = Worker(live, db=app.worker.db, storage=app.worker.storage)
        with app.worker.db.write() as conn:  # as if the grace period had passed
            conn.execute(jobs.update().values(updated_at=utcnow() - timedelta(seconds=5)))
        assert sweep(worker, Publisher(live, app.worker.db)) == 2
        assert all(dispatched(app))
        assert redis.Redis.from_url(live_url).flushdb()
