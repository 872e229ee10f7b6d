"""Issue 13's topology: 2 API processes and 3 Celery workers on loopback, one PostgreSQL, one
broker (Redis, and once RabbitMQ). Nothing accepted is lost, nothing completes twice."""

from __future__ import annotations

import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from openchirp.db.database import Database
from openchirp.db.tables import batches, clips, jobs
from tests.support.callback_receiver import Receiver
from tests.support.s3 import S3Server
from tests.support.server import PgDatabase, pg_available, wait_for
from tests.support.topology import (
    Topology,
    broker_url,
    rabbit_available,
    redis_available,
    wait_until,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not pg_available(), reason="needs PostgreSQL on 127.0.0.1:5432"),
]

BUCKET = "openchirp-topology"
SONG = {"prompt": "[Verse]\nround and round we go", "tags": "pop", "title": "Scale"}


def completions(db: Database) -> dict[str, int]:
    with db.read() as conn:
        return dict(conn.execute(select(clips.c.id, clips.c.completions)).all())


def running_owners(db: Database) -> list[str]:
    with db.read() as conn:
        rows = conn.execute(select(jobs.c.lease_owner).where(jobs.c.state == "running")).all()
    return [r.lease_owner for r in rows if r.lease_owner]


def create(client: httpx.Client, **headers: str) -> list[str]:
    response = client.post("/api/custom_generate", json=SONG, headers=headers)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()]


@pytest.fixture
def topology(request: pytest.FixtureRequest, tmp_path: Path):
    broker, _, speed = request.param.partition("-")
    tone = {}
    if speed == "burst":  # the fast test engine: a quarter-second clip, no waits, no lease loss
        tone = {"TONE_SECONDS": "0.25", "TONE_BLOCK_DELAY": "0", "OPENCHIRP_LEASE_SECONDS": "30"}
    available = redis_available() if broker == "redis" else rabbit_available()
    if not available:
        pytest.skip(f"needs {broker} on loopback")
    queue_url, _handle = broker_url(broker)
    # The files in S3 (moto on loopback), except for the burst: its 14,000 objects would make
    # the test process's S3 server what is measured.
    s3 = None if speed == "burst" else S3Server().start()
    if s3 is not None:
        s3.create_bucket(BUCKET)
        tone |= s3.env(BUCKET, "topology")
    pg = PgDatabase()
    topo = Topology(
        tmp_path,
        pg.url,
        queue_url,
        **{
            "TONE_SECONDS": "2",
            "TONE_BLOCK_DELAY": "0.05",
            "OPENCHIRP_LEASE_SECONDS": "2",
            "OPENCHIRP_LOG_FORMAT": "json",
            "OPENCHIRP_CALLBACK_ALLOW_PRIVATE": "1",
            "OPENCHIRP_CALLBACK_RETRY_DELAY_S": "0.1",
            **tone,
        },
    )
    topo.s3 = s3
    db = Database(pg.url)
    try:
        topo.start_apis()
        topo.start_workers(3)
        yield topo, db
    except BaseException:
        print(topo.logs())
        raise
    finally:
        topo.stop()
        db.dispose()
        pg.drop()
        if s3 is not None:
            s3.stop()


@pytest.mark.parametrize("topology", ["redis", "amqp"], indirect=True)
def test_flow_through_both_apis_survives_a_killed_worker_and_a_restart(topology) -> None:
    topo, db = topology
    a, b = topo.apis
    with a.client() as ca, b.client() as cb:
        # The API flow: create on one process, follow on the other; extend and concat across.
        first = create(ca, **{"X-Request-ID": "topology-first"})
        source = wait_for(cb, first, timeout=60)[0]
        extension = cb.post(
            "/api/extend_audio", json={"audio_id": source["id"], "continue_at": 1.0}
        ).json()
        ext = wait_for(ca, [extension[0]["id"]], timeout=60)[0]
        whole = ca.post("/api/concat", json={"clip_id": ext["id"]}).json()
        lyrics = cb.post("/api/generate_lyrics", json={"prompt": "a song about the sea"})
        assert lyrics.status_code == 200, lyrics.text
        assert wait_for(cb, [whole["id"]], timeout=60)[0]["status"] == "complete"

        # Retries and callbacks go through the same queue: a render that fails once, and a
        # callback receiver that refuses its first post.
        body = {**SONG, "tags": "fail-once, pop"}
        retried = [c["id"] for c in ca.post("/api/custom_generate", json=body).json()]
        secret = a.cli("keys", "secret")
        with Receiver(secret=secret, fail_first=1) as receiver:
            hooked = cb.post(
                "/api/v2/suno/v3.5/custom/create-lyrics-song",
                json={**SONG, "callback_url": receiver.url},
            )
            assert hooked.status_code == 200, hooked.text
            posts = receiver.wait_for(4, timeout=60)
        assert sorted(r.stage for r in posts[1:]) == ["complete", "first", "text"]
        assert all(r.verified for r in posts)
        (complete,) = [r.json["data"]["data"] for r in posts[1:] if r.stage == "complete"]
        hooked_ids = [c["id"] for c in complete]
        assert len(hooked_ids) == 2
        done = wait_for(ca, retried + hooked_ids, timeout=60)
        assert {c["status"] for c in done} == {"complete"}
        with db.read() as conn:
            tries = dict(
                conn.execute(
                    select(jobs.c.subject_id, jobs.c.attempts).where(jobs.c.subject_id.in_(retried))
                ).all()
            )
            deliveries = conn.execute(
                select(jobs.c.state, jobs.c.attempts).where(jobs.c.kind == "callback")
            ).all()
        assert sorted(tries.values()) == [2, 2], tries  # each clip's first attempt failed
        assert {r.state for r in deliveries} == {"done"} and len(deliveries) == 3
        assert sum(r.attempts for r in deliveries) == 4  # the refused post was tried again

        # SIGKILL a whole worker while it renders.
        batch = [i for client in (ca, cb, ca) for i in create(client)]
        wait_until(lambda: running_owners(db), 30, "nothing started rendering")
        topo.kill_process_of(running_owners(db)[0])
        done = wait_for(cb, batch, timeout=90)
        assert [c["status"] for c in done] == ["complete"] * len(batch)
        with db.read() as conn:
            retried = conn.execute(select(func.max(jobs.c.attempts))).scalar()
        assert retried >= 2, "the killed worker's job should have run again"

        # SIGTERM every worker while they render (warm shutdown: running jobs finish, not
        # retried), create while none runs, start them again: nothing is lost.
        waiting = [i for client in (ca, cb) for i in create(client)]
        wait_until(lambda: running_owners(db), 30, "nothing started rendering")
        with db.read() as conn:
            rendering = [
                r.id for r in conn.execute(select(jobs.c.id).where(jobs.c.state == "running"))
            ]
        topo.stop_workers()
        with db.read() as conn:
            finished = conn.execute(
                select(jobs.c.state, jobs.c.attempts).where(jobs.c.id.in_(rendering))
            ).all()
        assert finished and {(r.state, r.attempts) for r in finished} == {("done", 1)}
        waiting += [i for client in (ca, cb) for i in create(client)]
        time.sleep(1)
        statuses = {
            c["status"] for c in cb.get("/api/get", params={"ids": ",".join(waiting)}).json()
        }
        assert "submitted" in statuses
        topo.start_workers(3)
        done = wait_for(ca, waiting, timeout=90)
        assert [c["status"] for c in done] == ["complete"] * len(waiting)

        # SIGTERM an API process while it holds a request open (wait_audio): it answers, then
        # shuts down.
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(cb.post, "/api/custom_generate", json={**SONG, "wait_audio": True})
            time.sleep(0.5)
            assert b.proc is not None
            b.proc.send_signal(signal.SIGTERM)
            answer = held.result(timeout=60)
        assert answer.status_code == 200
        assert {c["status"] for c in answer.json()} <= {"streaming", "complete"}
        # uvicorn re-raises the SIGTERM once it has drained and run the app's shutdown.
        assert b.proc.wait(40) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in b.log.read_text()
        waiting += [c["id"] for c in answer.json()]
        b.start()
        wait_for(ca, waiting, timeout=60)

    every = completions(db)
    assert set(every.values()) == {1}, every
    with db.read() as conn:
        states = dict(conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state)).all())
        attempts = conn.execute(select(func.sum(jobs.c.attempts))).scalar()
    assert set(states) == {"done"}, states

    # /metrics: the same job figures from either API process; its own requests from each.
    renders = len(first) + len(extension) + len(batch) + len(waiting) + 4
    for api, creates in ((a, 6), (b, 0)):  # b was restarted: its own counts began again
        figures = scrape(api.url)
        assert figures[("openchirp_jobs_completed_total", (("kind", "render"),))] == renders
        assert figures[("openchirp_jobs_completed_total", (("kind", "concat"),))] == 1
        assert figures[("openchirp_jobs_failed_total", (("kind", "render"),))] == 0
        started = sum(
            v for (name, _), v in figures.items() if name == "openchirp_jobs_started_total"
        )
        assert started == attempts >= renders + 2  # the killed job ran twice
        assert not [k for k in figures if k[0] == "openchirp_queue_depth"]
        route = (("method", "POST"), ("route", "/api/custom_generate"), ("status", "200"))
        assert figures.get(("openchirp_request_seconds_count", route), 0) == creates

    # JSON log lines; the first request's id reached the worker that ran its jobs.
    lines = [
        json.loads(line)
        for log in topo.data_dir.glob("worker-*.log")
        for line in log.read_text().splitlines()
        if line.startswith("{")
    ]
    carried = [x for x in lines if x.get("request_id") == "topology-first"]
    assert {x["job_id"] for x in carried} and all(x["level"] for x in carried)

    # The files went to S3: every clip's mp3 is in the bucket.
    assert topo.s3 is not None
    stored = set(topo.s3.keys(BUCKET, "topology"))
    assert all(f"topology/clips/{i}/{i}.mp3" in stored for i in every), len(stored)


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{url}/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


BURST_CREATES, BURST_CLIENTS = 1000, 50


@pytest.mark.slow
@pytest.mark.parametrize("topology", ["redis-burst"], indirect=True)
def test_a_burst_of_creates_from_concurrent_clients_all_complete_once(topology) -> None:
    """1,000 creates from 50 clients at once through both APIs: 1,000 batches, 2,000 clips
    complete, none lost, none completed twice, no job run twice; the same through the API, the
    files, and /metrics."""
    topo, db = topology
    apis = topo.apis

    def client_creates(k: int) -> list[list[str]]:
        # One client: its own connection to one API, its share of the creates one after another.
        with apis[k % 2].client() as client:
            return [create(client) for _ in range(k, BURST_CREATES, BURST_CLIENTS)]

    started = time.monotonic()
    with ThreadPoolExecutor(BURST_CLIENTS) as pool:
        batches_made = [
            pair for one in pool.map(client_creates, range(BURST_CLIENTS)) for pair in one
        ]
    created = time.monotonic() - started
    ids = [i for pair in batches_made for i in pair]
    assert len(batches_made) == BURST_CREATES and {len(p) for p in batches_made} == {2}
    assert len(ids) == 2 * BURST_CREATES == len(set(ids))
    with apis[1].client() as client:
        for chunk in range(0, len(ids), 100):
            done = wait_for(client, ids[chunk : chunk + 100], timeout=600)
            assert {c["status"] for c in done} == {"complete"}, [
                (c["id"], c["status"]) for c in done if c["status"] != "complete"
            ]
            assert all(c["audio_url"].endswith(".mp3") for c in done)
    elapsed = time.monotonic() - started

    # The database: every batch and clip there once, each clip completed once by one job that
    # ran once (a duplicate message found its job taken and was dropped).
    every = completions(db)
    assert set(every) == set(ids) and set(every.values()) == {1}
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(batches)).scalar() == BURST_CREATES
        per_state = conn.execute(
            select(jobs.c.kind, jobs.c.state, func.count(), func.sum(jobs.c.attempts)).group_by(
                jobs.c.kind, jobs.c.state
            )
        ).all()
        subjects = conn.execute(
            select(func.count(func.distinct(jobs.c.subject_id))).where(jobs.c.kind == "render")
        ).scalar()
        statuses = set(conn.execute(select(clips.c.status).distinct()).scalars())
    assert [tuple(r) for r in per_state] == [
        ("render", "done", 2 * BURST_CREATES, 2 * BURST_CREATES)
    ]
    assert subjects == 2 * BURST_CREATES and statuses == {"complete"}

    # The files: a folder per clip (none for anything else), one mp3 in each.
    files = topo.data_dir / "files" / "clips"
    assert sorted(p.name for p in files.iterdir()) == sorted(ids)
    assert len(list(files.glob("*/*.mp3"))) == 2 * BURST_CREATES

    # /metrics: both API processes report the same job figures, each its own creates.
    creates = 0
    for api in apis:
        figures = scrape(api.url)
        assert figures[("openchirp_jobs_completed_total", (("kind", "render"),))] == len(ids)
        assert figures[("openchirp_jobs_started_total", (("kind", "render"),))] == len(ids)
        route = (("method", "POST"), ("route", "/api/custom_generate"), ("status", "200"))
        creates += figures[("openchirp_request_seconds_count", route)]
        # Per engine: every clip rendered once, a quarter second of audio each.
        (engine,) = [k[1] for k in figures if k[0] == "openchirp_renders_total"]
        assert figures[("openchirp_renders_total", engine)] == len(ids)
        audio = figures[("openchirp_render_audio_seconds_total", engine)]
        assert audio == pytest.approx(0.25 * len(ids))
        assert figures[("openchirp_render_seconds_total", engine)] > 0
    assert creates == BURST_CREATES
    print(
        f"{BURST_CREATES} creates from {BURST_CLIENTS} clients in {created:.1f} s; "
        f"{len(ids)} clips complete through 2 APIs and 3 workers in {elapsed:.1f} s"
    )
