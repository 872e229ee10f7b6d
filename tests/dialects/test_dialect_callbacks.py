"""The newer dialects' callback fields reach the signed callbacks: new-api's ``notify_hook`` and
sunoapi.com v1's ``webhook_url`` get the text, first and complete stages, in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openchirp.db import callbacks, repo
from tests.support.callback_receiver import Receiver
from tests.support.inprocess import InProcessApp, inprocess_settings

SONG = {"prompt": "[Verse]\nHello hooks", "tags": "pop", "title": "Hooks"}


@pytest.fixture
def cb_app(tmp_path: Path) -> Iterator[InProcessApp]:
    settings = inprocess_settings(
        tmp_path / "data",
        callback_allow_private=True,
        callback_retry_delay_s=0.0,
        callback_timeout_s=2.0,
    )
    with InProcessApp(settings) as running:
        yield running


def owner_secret(app: InProcessApp) -> str:
    with app.worker.db.write() as conn:
        owner = repo.ensure_user(conn, repo.LOCAL_HANDLE)
        return callbacks.user_secret(conn, owner.id)


def delivered(app: InProcessApp, receiver: Receiver, task: str) -> None:
    app.drive()
    got = receiver.wait_for(3)
    assert receiver.stages() == ["text", "first", "complete"]
    assert all(r.verified and r.path == "/hook" for r in got)
    assert {r.json["data"]["task_id"] for r in got} == {task}


def test_newapi_notify_hook_gets_the_stages_and_fetch_shows_it(cb_app: InProcessApp) -> None:
    with Receiver(secret=owner_secret(cb_app)) as receiver:
        answer = cb_app.client.post(
            "/suno/submit/music", json={**SONG, "mv": "chirp-v4", "notify_hook": receiver.url}
        )
        assert answer.status_code == 200, answer.text
        task = answer.json()["data"]
        delivered(cb_app, receiver, task)
    fetched = cb_app.client.get(f"/suno/fetch/{task}").json()["data"]
    assert fetched["status"] == "SUCCESS" and fetched["notify_hook"] == receiver.url
    listed = cb_app.client.post("/suno/fetch", json={"ids": [task]}).json()["data"]
    assert [t["notify_hook"] for t in listed] == [receiver.url]


def test_newapi_fetch_without_a_hook_shows_none(cb_app: InProcessApp) -> None:
    answer = cb_app.client.post("/suno/submit/music", json=SONG)
    task = answer.json()["data"]
    assert cb_app.client.get(f"/suno/fetch/{task}").json()["data"]["notify_hook"] == ""


def test_sunoapi_com_v1_webhook_url_gets_the_stages(cb_app: InProcessApp) -> None:
    with Receiver(secret=owner_secret(cb_app)) as receiver:
        answer = cb_app.client.post(
            "/api/v1/suno/create",
            json={**SONG, "custom_mode": True, "webhook_url": receiver.url},
        )
        assert answer.status_code == 200, answer.text
        delivered(cb_app, receiver, answer.json()["task_id"])
