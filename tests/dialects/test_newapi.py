"""The new-api gateway's Suno task API, in this process: every route, the status and progress
of a task through its life, extend by task, lyrics, errors and limits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openchirp.api.dialects import newapi
from openchirp.core.service import Service
from openchirp.db.records import BatchRecord
from tests.support.inprocess import InProcessApp, inprocess_settings
from tests.support.shapes import assert_shape, sample

LYRICS = "[Verse]\nStars they shine above me\nMoonlight softly glows\n\n[Chorus]\nStarry night"
EXAMPLES = sample("newapi_examples.json")


def submit(app: InProcessApp, **body: Any) -> str:
    response = app.client.post("/suno/submit/music", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["code"] == "success" and answer["message"] == ""
    assert isinstance(answer["data"], str)
    return answer["data"]


def fetch(app: InProcessApp, task_id: str) -> dict[str, Any]:
    response = app.client.get(f"/suno/fetch/{task_id}")
    assert response.status_code == 200, response.text
    assert response.json()["code"] == "success"
    return response.json()["data"]


def test_music_task_from_submitted_to_success(app: InProcessApp) -> None:
    task_id = submit(app, prompt=LYRICS, tags="synthwave", title="Starry", mv="chirp-v3-5")
    task = fetch(app, task_id)
    assert task["task_id"] == task_id and task["action"] == "MUSIC"
    assert task["status"] == "SUBMITTED" and task["progress"] == "0%"
    assert task["submit_time"] > 0 and task["start_time"] == task["finish_time"] == 0
    assert task["fail_reason"] == "" and task["notify_hook"] == ""
    assert [c["status"] for c in task["data"]] == ["submitted", "submitted"]

    assert app.drive() == 1  # one worker makes both clips of a create together
    task = fetch(app, task_id)
    assert task["status"] == "SUCCESS" and task["progress"] == "100%"
    assert task["finish_time"] >= task["start_time"] >= task["submit_time"]
    assert [c["status"] for c in task["data"]] == ["complete", "complete"]
    for clip in task["data"]:
        assert clip["title"] == "Starry" and clip["metadata"]["tags"] == "synthwave"
        assert clip["metadata"]["prompt"] == LYRICS and clip["model_name"] == "chirp-v3-5"
    assert_shape(EXAMPLES["fetch"]["response"], app.client.get(f"/suno/fetch/{task_id}").json())


def test_inspiration_mode_writes_the_song_from_the_description(app: InProcessApp) -> None:
    task_id = submit(app, gpt_description_prompt="a calm song about rain", make_instrumental=False)
    app.drive()
    task = fetch(app, task_id)
    assert task["status"] == "SUCCESS"
    for clip in task["data"]:
        assert clip["metadata"]["gpt_description_prompt"] == "a calm song about rain"
        assert clip["metadata"]["prompt"].strip()


def test_extend_continues_a_clip_of_an_existing_task(app: InProcessApp) -> None:
    first = submit(app, prompt=LYRICS, tags="pop")
    app.drive()
    source = fetch(app, first)["data"][0]
    body = {"prompt": "[Verse]\nOn and on", "continue_clip_id": source["id"], "continue_at": 1.25}

    missing = app.client.post("/suno/submit/music", json=body)
    assert missing.status_code == 400
    assert missing.json() == {
        "code": "invalid_request",
        "message": "task_id is required with continue_clip_id",
        "data": None,
    }
    unknown = app.client.post("/suno/submit/music", json={**body, "task_id": "nope"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "task_not_exist"

    extension = submit(app, **body, task_id=first)
    app.drive()
    task = fetch(app, extension)
    assert task["status"] == "SUCCESS" and task["action"] == "MUSIC"
    for clip in task["data"]:
        assert [h["id"] for h in clip["metadata"]["history"]] == [source["id"]]
        assert clip["metadata"]["history"][0]["continue_at"] == 1.25

    past_end = app.client.post(
        "/suno/submit/music", json={**body, "task_id": first, "continue_at": 1e6}
    )
    assert past_end.status_code == 422 and past_end.json()["code"] == "invalid_request"
    assert "continue_at" in past_end.json()["message"]


def test_lyrics_task_and_batch_fetch(app: InProcessApp) -> None:
    response = app.client.post("/suno/submit/lyrics", json={"prompt": "dance"})
    assert response.status_code == 200, response.text
    lyrics_id = response.json()["data"]
    task = fetch(app, lyrics_id)
    assert task["action"] == "LYRICS" and task["status"] == "SUBMITTED"
    assert task["progress"] == "0%" and task["start_time"] == 0
    music_id = submit(app, prompt=LYRICS, tags="pop")

    app.drive()
    task = fetch(app, lyrics_id)
    assert task["status"] == "SUCCESS" and task["progress"] == "100%"
    assert task["finish_time"] >= task["start_time"] >= task["submit_time"] > 0
    assert task["data"]["id"] == lyrics_id and task["data"]["status"] == "complete"
    assert task["data"]["text"].strip() and task["data"]["title"]

    many = app.client.post("/suno/fetch", json={"ids": [music_id, "unknown", lyrics_id, music_id]})
    assert many.status_code == 200 and many.json()["code"] == "success"
    assert [(t["task_id"], t["action"]) for t in many.json()["data"]] == [
        (music_id, "MUSIC"),
        (lyrics_id, "LYRICS"),
    ]
    only = app.client.post("/suno/fetch", json={"ids": [music_id, lyrics_id], "action": "lyrics"})
    assert [t["task_id"] for t in only.json()["data"]] == [lyrics_id]
    assert app.client.post("/suno/fetch", json={}).json() == {
        "code": "success",
        "message": "",
        "data": [],
    }


@pytest.mark.parametrize(
    ("body", "field", "limit"),
    [
        ({"prompt": "x" * 3001, "mv": "chirp-v3-5"}, "prompt", 3000),
        ({"prompt": "la", "tags": "t" * 201}, "tags", 200),
        ({"prompt": "la", "tags": "t" * 1001, "mv": "chirp-crow"}, "tags", 1000),
        ({"prompt": "la", "title": "t" * 81}, "title", 80),
        ({"gpt_description_prompt": "d" * 201, "mv": "chirp-v3-5"}, "gpt_description_prompt", 200),
        ({"prompt": "la", "negative_tags": "n" * 201}, "negative_tags", 200),
    ],
)
def test_limits_name_the_field_as_new_api_spells_it(
    app: InProcessApp, body: dict[str, Any], field: str, limit: int
) -> None:
    response = app.client.post("/suno/submit/music", json=body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == "invalid_request" and answer["data"] is None
    assert answer["message"].startswith(f"{field} is ") and str(limit) in answer["message"]


def test_errors_in_new_api_shape(app: InProcessApp) -> None:
    client = app.client
    unknown_model = client.post("/suno/submit/music", json={"prompt": "la", "mv": "chirp-v9"})
    assert unknown_model.status_code == 422 and "chirp-v9" in unknown_model.json()["message"]
    no_lyrics = client.post("/suno/submit/music", json={"tags": "pop"})
    assert no_lyrics.status_code == 422 and no_lyrics.json()["message"].startswith("prompt ")
    long_lyrics_prompt = client.post("/suno/submit/lyrics", json={"prompt": "p" * 201})
    assert long_lyrics_prompt.status_code == 422
    assert long_lyrics_prompt.json()["message"].startswith("prompt is 201 characters")
    missing = client.get("/suno/fetch/no-such-task")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "task_not_exist",
        "message": "task no-such-task not found",
        "data": None,
    }
    bad_json = client.post(
        "/suno/fetch", content=b"{", headers={"content-type": "application/json"}
    )
    assert 400 <= bad_json.status_code < 500 and bad_json.json()["code"] == "invalid_request"
    nowhere = client.get("/suno/nowhere")
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "not_found"


def test_out_of_credits_is_insufficient_user_quota(tmp_path: Path) -> None:
    settings = inprocess_settings(tmp_path / "data", default_monthly_credits=5)
    with InProcessApp(settings) as app:
        response = app.client.post("/suno/submit/music", json={"prompt": LYRICS})
        assert response.status_code == 429
        assert response.json()["code"] == "insufficient_user_quota"
        assert "credits" in response.json()["message"]


def test_notify_hook_is_the_callback_url(
    app: InProcessApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    for name in ("create", "extend"):
        original = getattr(Service, name)

        def spy(
            self: Service, user: Any, request: Any, *rest: Any, _original: Any = original
        ) -> Any:
            seen.append(request)
            return _original(self, user, request, *rest)

        monkeypatch.setattr(Service, name, spy)
    first = submit(app, prompt=LYRICS, notify_hook="http://127.0.0.1:9/hook")
    app.drive()
    clip_id = fetch(app, first)["data"][0]["id"]
    submit(
        app,
        prompt="[Verse]\nMore",
        task_id=first,
        continue_clip_id=clip_id,
        continue_at=1.0,
        notify_hook="http://127.0.0.1:9/more",
    )
    assert [r.callback_url for r in seen] == ["http://127.0.0.1:9/hook", "http://127.0.0.1:9/more"]


def test_status_and_progress_of_a_batch_mid_way() -> None:
    assert newapi.music_status(["submitted", "submitted"]) == "SUBMITTED"
    assert newapi.music_status(["queued", "submitted"]) == "QUEUED"
    assert newapi.music_status(["streaming", "queued"]) == "IN_PROGRESS"
    assert newapi.music_status(["complete", "streaming"]) == "IN_PROGRESS"
    assert newapi.music_status(["complete", "error"]) == "SUCCESS"
    assert newapi.music_status(["error", "error"]) == "FAILURE"


def test_progress_is_the_mean_of_the_clips_until_done() -> None:
    batch = BatchRecord("b", "u", "generate", "chirp-v3-5", {}, datetime(2026, 1, 1, tzinfo=UTC))

    def task(*statuses: str) -> dict[str, Any]:
        clips = [{"status": s, "metadata": {"error_message": f"{s} failed"}} for s in statuses]
        return newapi.music_task(batch, [], clips)

    assert task("submitted", "queued")["progress"] == "5%"
    assert task("streaming", "queued")["progress"] == "35%"
    assert task("complete", "streaming")["progress"] == "80%"
    running = task("complete", "streaming")
    assert running["start_time"] == running["submit_time"] == 1767225600
    assert task("complete", "error")["progress"] == "100%"
    failed = task("error", "error")
    assert failed["status"] == "FAILURE" and failed["fail_reason"] == "error failed; error failed"


def test_versioned_model_names_resolve(app: InProcessApp) -> None:
    task_id = submit(app, prompt=LYRICS, mv="chirp-v4-5-plus")
    assert {c["model_name"] for c in fetch(app, task_id)["data"]} == {"chirp-bluejay"}
    assert newapi.DIALECT.model_key("CHIRP-V5") == "chirp-crow"
