"""Fixes in the dialects clients already used (issue 11): gcui's keyless clients, its numeric
duration, and sunoapi.com's create reply that 2024-era clients read the batch from."""

from __future__ import annotations

from pathlib import Path

from openchirp.db import repo
from tests.support.inprocess import InProcessApp, inprocess_settings

SONG = {"prompt": "[Verse]\nhello there", "tags": "pop", "title": "Hello"}


def key_for(app: InProcessApp, handle: str) -> str:
    with app.app.state.db.write() as conn:
        user = repo.ensure_user(conn, handle, handle)
        return repo.create_api_key(conn, user.id, "test")


def test_gcui_takes_an_unknown_bearer_for_anonymous_but_refuses_a_revoked_key(
    app: InProcessApp,
) -> None:
    made_up = {"Authorization": "Bearer sk-whatever-the-client-sends"}
    clips = app.client.post("/api/custom_generate", json=SONG, headers=made_up).json()
    assert {c["status"] for c in clips} == {"submitted"}
    listed = app.client.get("/api/get", params={"ids": clips[0]["id"]}, headers=made_up)
    assert listed.status_code == 200 and listed.json()[0]["id"] == clips[0]["id"]
    assert app.client.get("/api/get_limit", headers=made_up).status_code == 200
    # Other dialects keep checking: a made-up key is no key there.
    strict = app.client.get("/api/v2/suno/v3.5/clips?ids=x", headers=made_up)
    assert strict.status_code == 401 and strict.json()["code"] == 401
    key = key_for(app, "dave")
    with app.app.state.db.write() as conn:
        repo.revoke_api_key(conn, key[:10])
    revoked = app.client.get("/api/get", headers={"Authorization": f"Bearer {key}"})
    assert revoked.status_code == 401 and revoked.json()["error"] == "invalid API key"


def test_gcui_refuses_an_unknown_bearer_when_anonymous_access_is_off(tmp_path: Path) -> None:
    with InProcessApp(inprocess_settings(tmp_path / "data", anonymous=False)) as app:
        reply = app.client.get("/api/get", headers={"Authorization": "Bearer made-up"})
        assert reply.status_code == 401 and reply.json()["error"] == "invalid API key"


def test_gcui_duration_is_a_number(app: InProcessApp) -> None:
    clips = app.client.post("/api/custom_generate", json=SONG).json()
    assert clips[0]["duration"] is None
    app.drive()
    done = app.client.get("/api/get", params={"ids": clips[0]["id"]}).json()[0]
    assert isinstance(done["duration"], float) and done["duration"] > 0


def test_suno_v2_create_answers_the_task_and_the_batch(app: InProcessApp) -> None:
    for path, body in (
        ("/api/v2/suno/v3.5/custom/create-lyrics-song", SONG),
        ("/api/v2/suno/v3.5/custom/create-pure-music", {"tags": "jazz"}),
    ):
        reply = app.client.post(path, json=body).json()
        assert reply["code"] == 200 and reply["message"] == "success"
        assert reply["data"] == {"task_id": reply["id"]}
        assert len(reply["clips"]) == 2 and reply["batch_size"] == 1
        assert reply["major_model_version"] == "v3.5" and reply["status"] == "complete"
        assert reply["metadata"] == reply["clips"][0]["metadata"] and reply["created_at"]
