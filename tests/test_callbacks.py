"""Signed callbacks, in process: stages in order, retries, timeouts, refused addresses, off.

The receiver is a real HTTP server on loopback (tests/support/callback_receiver.py) that checks
every signature with the snippet of docs/callbacks.md; jobs run when ``app.drive()`` says so.
"""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from openchirp.core.requests import GenerateRequest
from openchirp.db import callbacks, repo
from openchirp.db.database import Database
from openchirp.db.migrate import alembic_config, upgrade
from openchirp.db.tables import batches, jobs
from openchirp.jobs.callback_http import Refused, post, public, resolve, sign
from openchirp.jobs.worker import KINDS, callback_retry
from tests.support.callback_receiver import Receiver, doc_verify
from tests.support.inprocess import InProcessApp, inprocess_settings
from tests.support.server import PgDatabase

SONG = {"prompt": "[Verse]\nHello callbacks", "tags": "pop", "title": "Hooks"}


def make_app(tmp_path: Path, **overrides: Any) -> InProcessApp:
    values = {
        "callback_allow_private": True,
        "callback_retry_delay_s": 0.0,
        "callback_timeout_s": 2.0,
        **overrides,
    }
    return InProcessApp(inprocess_settings(tmp_path / "data", **values))


@pytest.fixture
def cb_app(tmp_path: Path) -> Iterator[InProcessApp]:
    with make_app(tmp_path) as running:
        yield running


def owner_secret(app: InProcessApp) -> str:
    with app.worker.db.write() as conn:
        owner = repo.ensure_user(conn, repo.LOCAL_HANDLE)
        return callbacks.user_secret(conn, owner.id)


def attempts(app: InProcessApp, task: str) -> list[dict[str, Any]]:
    response = app.client.get("/api/v1/callbacks", params={"taskId": task})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 200 and body["msg"] == "success"
    return body["data"]


def create(app: InProcessApp, url: str, **song: Any) -> list[dict[str, Any]]:
    response = app.client.post("/api/custom_generate", json={**SONG, **song, "callback_url": url})
    assert response.status_code == 200, response.text
    return response.json()


def batch_of(app: InProcessApp, clip_id: str) -> str:
    with app.worker.db.read() as conn:
        return repo.get_clip(conn, clip_id).batch_id


def test_stages_arrive_signed_and_in_order(cb_app: InProcessApp) -> None:
    with Receiver(secret=owner_secret(cb_app)) as receiver:
        clips = create(cb_app, receiver.url)
        cb_app.drive()
        got = receiver.wait_for(3)
    assert receiver.stages() == ["text", "first", "complete"]
    task = batch_of(cb_app, clips[0]["id"])
    text, first, complete = (r.json for r in got)
    assert got[0].path == "/hook" and got[0].headers["Content-Type"] == "application/json"
    for body in (text, first, complete):
        assert body["data"]["task_id"] == task and set(body) == {"code", "msg", "data"}
    assert complete == {
        "code": 200,
        "msg": "All generated successfully.",
        "data": {"callbackType": "complete", "task_id": task, "data": complete["data"]["data"]},
    }
    songs = complete["data"]["data"]
    assert [s["id"] for s in songs] == [c["id"] for c in clips]
    for s in songs:
        assert set(s) == {
            "id", "audio_url", "stream_audio_url", "image_url", "prompt", "model_name",
            "title", "tags", "createTime", "duration",
        }  # fmt: skip
        assert s["audio_url"].endswith(".mp3") and s["stream_audio_url"].endswith(".mp3")
        assert s["title"] == "Hooks" and s["tags"] == "pop" and s["duration"] > 0
        assert s["prompt"] == SONG["prompt"] and s["model_name"] == "chirp-v3-5"
    assert [s["audio_url"] for s in text["data"]["data"]] == ["", ""]
    assert [s["title"] for s in text["data"]["data"]] == ["Hooks", "Hooks"]
    streaming = [s for s in first["data"]["data"] if s["stream_audio_url"]]
    assert streaming and all(s["audio_url"] == "" for s in streaming)
    # The audio URLs play through the app.
    assert cb_app.client.get(songs[0]["audio_url"]).status_code == 200
    seen = attempts(cb_app, task)
    assert [(a["callbackType"], a["attempt"], a["statusCode"], a["delivered"]) for a in seen] == [
        ("text", 1, 200, True),
        ("first", 1, 200, True),
        ("complete", 1, 200, True),
    ]
    # The sunoapi.org form of the task id finds the same attempts.
    by_hex = attempts(cb_app, uuid.UUID(task).hex)
    assert [{**a, "taskId": task} for a in by_hex] == seen


def test_a_receiver_that_fails_twice_gets_it_on_the_third_try(cb_app: InProcessApp) -> None:
    with Receiver(secret=owner_secret(cb_app), fail_first=2) as receiver:
        body = cb_app.client.post(
            "/api/custom_generate",
            json={"tags": "pop", "make_instrumental": True, "callback_url": receiver.url},
        )
        assert body.status_code == 200
        cb_app.drive()
        receiver.wait_for(4)
    task = batch_of(cb_app, body.json()[0]["id"])
    seen = [(a["callbackType"], a["statusCode"], a["delivered"]) for a in attempts(cb_app, task)]
    assert seen[:3] == [("first", 500, False), ("first", 500, False), ("first", 200, True)]
    assert [a["attempt"] for a in attempts(cb_app, task)][:3] == [1, 2, 3]
    assert seen[3:] == [("complete", 200, True)]
    assert "text" not in receiver.stages()  # an instrumental has no lyrics to announce
    with cb_app.worker.db.read() as conn:
        states = {d.stage: d.state for d in callbacks.deliveries_of_batch(conn, task)}
    assert states == {"first": "delivered", "complete": "delivered"}


def test_a_receiver_that_never_answers_times_out_five_times(tmp_path: Path) -> None:
    with make_app(tmp_path, callback_timeout_s=0.3) as app:
        with Receiver(secret=owner_secret(app), hang_s=2.0) as receiver:
            response = app.client.post(
                "/api/v2/suno/v3.5/custom/create-lyrics-song",
                json={**SONG, "callback_url": receiver.url},
            )
            assert response.status_code == 200
            task = response.json()["data"]["task_id"]
            started = time.monotonic()
            app.drive()
            elapsed = time.monotonic() - started
        seen = attempts(app, task)
        assert len(seen) == 15  # three stages, five tries each
        for stage in ("text", "first", "complete"):
            tries = [a for a in seen if a["callbackType"] == stage]
            assert [a["attempt"] for a in tries] == [1, 2, 3, 4, 5]
            assert all(a["statusCode"] is None and not a["delivered"] for a in tries)
            assert all("timed out" in a["error"] and 250 < a["durationMs"] < 1500 for a in tries)
        assert elapsed < 30
        # The song itself is unharmed.
        clips = app.client.get(f"/api/v2/suno/v3.5/clip/{task}").json()["data"]["clips"]
        assert {c["status"] for c in clips.values()} == {"complete"}
        with app.worker.db.read() as conn:
            states = {d.state for d in callbacks.deliveries_of_batch(conn, task)}
        assert states == {"failed"}


def test_a_private_placeholder_url_is_refused_and_the_song_completes(tmp_path: Path) -> None:
    with make_app(tmp_path, callback_allow_private=False) as app:
        url = "http://169.254.169.254/latest/meta-data/"
        clips = create(app, url)
        assert app.drive() >= 2
        ids = ",".join(c["id"] for c in clips)
        done = app.client.get("/api/get", params={"ids": ids}).json()
        assert [c["status"] for c in done] == ["complete", "complete"]
        seen = attempts(app, batch_of(app, clips[0]["id"]))
        # Refused before any connection, once per stage: no point in trying again.
        assert [(a["callbackType"], a["attempt"]) for a in seen] == [
            ("text", 1),
            ("first", 1),
            ("complete", 1),
        ]
        assert all(
            a["error"].startswith("refused:") and "169.254.169.254" in a["error"] for a in seen
        )
        assert all(a["statusCode"] is None for a in seen)


def test_an_error_stage_when_a_clip_fails(tmp_path: Path) -> None:
    with make_app(tmp_path, max_attempts=1) as app, Receiver(secret=owner_secret(app)) as receiver:
        create(app, receiver.url, tags="fail-always")
        app.drive()
        got = receiver.wait_for(2)
    assert receiver.stages() == ["text", "error"]
    error = got[1].json
    assert error["code"] == 501 and "fail" in error["msg"]
    assert error["data"]["callbackType"] == "error" and error["data"]["data"] == []


def test_callbacks_off_queue_nothing(tmp_path: Path) -> None:
    with make_app(tmp_path, callbacks=False) as app, Receiver(secret="x") as receiver:
        clips = create(app, receiver.url)
        app.drive()
        assert receiver.received == []
        with app.worker.db.read() as conn:
            batch = conn.execute(
                select(batches).where(batches.c.id == batch_of(app, clips[0]["id"]))
            )
            assert batch.one().callback_url is None
            kinds = {row.kind for row in conn.execute(select(jobs.c.kind))}
        assert kinds == {"render"}


def test_a_key_signs_with_its_own_secret_and_hex_task_ids(cb_app: InProcessApp) -> None:
    with cb_app.worker.db.write() as conn:
        user = repo.ensure_user(conn, "keyed")
        key = repo.create_api_key(conn, user.id, "hooks")
        secret = callbacks.secret_of_key(conn, key)
    assert secret and secret != owner_secret(cb_app)
    service = cb_app.app.state.service
    auth = cb_app.app.state.auth
    caller = auth.lookup(key)
    assert caller.key_id is not None
    with Receiver(secret=secret) as receiver:
        request = GenerateRequest(
            lyrics="[Verse]\nhex", tags="pop", callback_url=receiver.url, task_id_form="hex"
        )
        batch = service.create(caller, request)
        cb_app.drive()
        got = receiver.wait_for(3)
    assert all(r.verified for r in got)
    assert {r.json["data"]["task_id"] for r in got} == {uuid.UUID(batch.id).hex}
    # Someone else's task is not found.
    response = cb_app.client.get("/api/v1/callbacks", params={"taskId": batch.id})
    assert response.status_code == 404


def test_the_signature_and_the_documented_check_agree() -> None:
    verify = doc_verify()
    body = b'{"code":200}'
    header = sign("whsec_abc", body, int(time.time()))
    assert verify("whsec_abc", body, header)
    assert not verify("whsec_other", body, header)
    assert not verify("whsec_abc", body + b" ", header)
    assert not verify("whsec_abc", body, sign("whsec_abc", body, int(time.time()) - 3600))
    assert not verify("whsec_abc", body, "garbage")


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.5.5", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not public(ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(Refused):
        resolve(httpx.URL(f"http://{host}/cb"), allow_private=False)


def test_public_addresses_and_schemes() -> None:
    assert public(ipaddress.ip_address("93.184.215.14"))
    assert public(ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c"))
    with pytest.raises(Refused):
        resolve(httpx.URL("file:///etc/passwd"), allow_private=True)
    with pytest.raises(Refused):
        resolve(httpx.URL("http://localhost:8000/"), allow_private=False)


def test_the_post_connects_to_the_checked_address_keeping_the_host() -> None:
    with Receiver(secret="whsec_s") as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        outcome = post(
            f"http://localhost:{port}/hook", b"{}", "whsec_s", timeout_s=5, allow_private=True
        )
        assert outcome.delivered and outcome.status_code == 200
        got = receiver.wait_for(1)
    assert got[0].headers["Host"] == f"localhost:{port}" and got[0].verified


def test_redirects_are_not_followed() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        outcome = post(url, b"{}", "s", timeout_s=5, allow_private=True)
    finally:
        server.shutdown()
        server.server_close()
    assert not outcome.delivered and outcome.status_code == 307 and "redirect" in outcome.error


def test_callback_retries_back_off_and_run_after_audio(tmp_path: Path) -> None:
    from openchirp.db.queue import PRIORITIES

    assert PRIORITIES["stems"] < PRIORITIES["callback"] < PRIORITIES["render"]
    retry = callback_retry(inprocess_settings(tmp_path))
    assert retry.attempts == 5
    assert [retry.delay_after(n) for n in (1, 2, 3, 4)] == [10.0, 30.0, 90.0, 270.0]
    assert KINDS["callback"].retry is callback_retry
    with (
        make_app(tmp_path, callback_retry_delay_s=60.0) as app,
        Receiver(secret="x", fail_first=100) as receiver,
    ):
        create(app, receiver.url)
        app.drive()
        with app.worker.db.read() as conn:
            rows = conn.execute(
                select(jobs.c.state, jobs.c.attempts, jobs.c.run_after).where(
                    jobs.c.kind == "callback"
                )
            ).all()
        # Each stage was tried once and waits a minute for its second try.
        assert len(rows) == 3 and {(r.state, r.attempts) for r in rows} == {("pending", 1)}
        for row in rows:
            wait = row.run_after.replace(tzinfo=None) - repo.utcnow().replace(tzinfo=None)
            assert 50 < wait.total_seconds() <= 60


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield Database(f"sqlite:///{tmp_path / 'm.db'}")
        return
    pg = PgDatabase()
    yield Database(pg.url)
    pg.drop()


def test_migration_gives_existing_keys_a_secret(db: Database) -> None:
    upgrade(db, "0002")
    old_keys = sa.table(
        "api_keys", *(sa.column(n) for n in ("id", "user_id", "name", "key_hash", "prefix")),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    with db.write() as conn:
        user = repo.ensure_user(conn, "old")
        for n in (1, 2):
            conn.execute(
                old_keys.insert().values(
                    id=f"k{n}", user_id=user.id, name="old", key_hash=f"h{n}", prefix=f"oc_{n}",
                    created_at=repo.utcnow(),
                )
            )  # fmt: skip
    upgrade(db)
    with db.write() as conn:
        first, second = callbacks.key_secret(conn, "k1"), callbacks.key_secret(conn, "oc_2")
        mine = callbacks.user_secret(conn, user.id)
        assert callbacks.user_secret(conn, user.id) == mine  # made once, then kept
    assert first.startswith("whsec_") and len(first) == 70
    assert len({first, second, mine}) == 3
    config = alembic_config(db)  # and back down, and up again
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    assert "callbacks" not in sa.inspect(db.engine).get_table_names()
    upgrade(db)
    db.dispose()


def test_every_create_and_extend_route_takes_a_callback_url(cb_app: InProcessApp) -> None:
    url = "http://127.0.0.1:9/unused"
    v2 = "/api/v2/suno/v3.5"
    made = [
        create(cb_app, url)[0]["id"],
        cb_app.client.post("/api/generate", json={"prompt": "a song", "callback_url": url}).json()[
            0
        ]["id"],
    ]
    cb_app.drive(limit=40)
    song = {**SONG, "callback_url": url}
    tasks = [
        cb_app.client.post(f"{v2}/custom/create-lyrics-song", json=song).json()["data"]["task_id"],
        cb_app.client.post(
            f"{v2}/custom/create-pure-music", json={"tags": "pop", "callback_url": url}
        ).json()["data"]["task_id"],
        cb_app.client.post(
            f"{v2}/extend", json={**song, "continue_clip_id": made[0], "continue_at": 1.0}
        ).json()["id"],
    ]
    extended = cb_app.client.post(
        "/api/extend_audio", json={"audio_id": made[0], "continue_at": 1.0, "callback_url": url}
    )
    assert extended.status_code == 200, extended.text
    made.append(extended.json()[0]["id"])
    with cb_app.worker.db.read() as conn:
        ids = [repo.get_clip(conn, c).batch_id for c in made] + tasks
        assert [repo.get_batch(conn, i).callback_url for i in ids] == [url] * 6
    for bad in ("http://x/\x00", "http://x/" + "a" * 2048):
        response = cb_app.client.post("/api/custom_generate", json={**SONG, "callback_url": bad})
        assert response.status_code == 422 and "callback_url" in response.text


def test_the_attempts_route_is_documented_and_checks_its_input(cb_app: InProcessApp) -> None:
    spec = cb_app.client.get("/openapi.json").json()["paths"]["/api/v1/callbacks"]["get"]
    assert {"200", "400", "401", "404"} <= set(spec["responses"])
    # sunoapi.org answers invalid input with 400 (its envelope's code is the HTTP status).
    assert cb_app.client.get("/api/v1/callbacks").status_code == 400
    for task in ("nope", "\x00", uuid.uuid4().hex, str(uuid.uuid4())):
        assert cb_app.client.get("/api/v1/callbacks", params={"taskId": task}).status_code == 404


def test_a_body_that_never_ends_does_not_hold_the_worker() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Trickle(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            for _ in range(50):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        outcome = post(url, b"{}", "s", timeout_s=1, allow_private=True)
    finally:
        server.shutdown()
        server.server_close()
    assert outcome.delivered and outcome.duration_ms < 1000


def test_an_unresolvable_host_is_tried_again_not_refused() -> None:
    outcome = post("http://no-such-host.invalid/", b"{}", "s", timeout_s=1, allow_private=False)
    assert not outcome.delivered and not outcome.refused and "resolve" in outcome.error
