"""sunoapi.com's v1 API, in this process: create in every mode, the task and clip routes through
a task's life, extend and concat through create, lyrics, errors and limits, and which dialect
answers under the prefix it shares with the v2 dialect's lyrics routes."""

from __future__ import annotations

from typing import Any

import pytest

from openchirp.core.service import Service
from tests.support.inprocess import InProcessApp
from tests.support.shapes import assert_shape, sample

LYRICS = "[Verse]\nStars they shine above me\nMoonlight softly glows\n\n[Chorus]\nStarry night"
EXAMPLES = sample("sunoapi_com_v1_examples.json")


def create(app: InProcessApp, **body: Any) -> str:
    response = app.client.post("/api/v1/suno/create", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["code"] == 200 and answer["message"] == "success"
    assert answer["data"] == {"task_id": answer["task_id"]}
    return answer["task_id"]


def task(app: InProcessApp, task_id: str, route: str = "task") -> list[dict[str, Any]]:
    response = app.client.get(f"/api/v1/suno/{route}/{task_id}")
    assert response.status_code == 200, response.text
    assert response.json()["code"] == 200 and response.json()["message"] == "success"
    return response.json()["data"]


def test_custom_mode_task_from_pending_to_succeeded(app: InProcessApp) -> None:
    example = EXAMPLES["create_custom"]
    response = app.client.post("/api/v1/suno/create", json=example["request"])
    assert response.status_code == 200, response.text
    assert_shape(example["response"], response.json())
    task_id = response.json()["task_id"]
    clips = task(app, task_id)
    assert [c["state"] for c in clips] == ["pending", "pending"]

    app.drive()
    for route in ("task", "clip"):
        clips = task(app, task_id, route)
        assert [c["state"] for c in clips] == ["succeeded", "succeeded"]
        for clip in clips:
            assert clip["title"] == "Starry Night" and clip["tags"] == "pop, dreamy"
            assert clip["lyrics"] == example["request"]["prompt"]
            assert clip["mv"] == "chirp-crow" and clip["duration"] > 0
            assert app.client.get(clip["audio_url"]).status_code == 200
    assert_shape(
        EXAMPLES["task"]["response"], app.client.get(f"/api/v1/suno/task/{task_id}").json()
    )


def test_description_modes(app: InProcessApp) -> None:
    described = create(app, **EXAMPLES["create_description"]["request"])
    auto = create(
        app, custom_mode=True, auto_lyrics=True, prompt="a song about friends", tags="folk"
    )
    instrumental = create(app, custom_mode=True, make_instrumental=True, tags="ambient")
    app.drive()
    for clip in task(app, described):
        assert clip["gpt_description_prompt"] == "Create a happy upbeat pop song about summer"
        assert clip["lyrics"].strip() and clip["state"] == "succeeded"
    for clip in task(app, auto):
        assert clip["gpt_description_prompt"] == "a song about friends" and clip["tags"] == "folk"
    assert [c["lyrics"] for c in task(app, instrumental)] == ["", ""]


def test_extend_and_concat_through_create(app: InProcessApp) -> None:
    first = create(app, custom_mode=True, prompt=LYRICS, tags="pop", mv="chirp-v3-5")
    app.drive()
    source = task(app, first)[0]
    extend = {**EXAMPLES["extend"]["request"], "continue_clip_id": source["clip_id"]}
    extend.update(continue_at=1.25, mv="chirp-v3-5")
    extension = create(app, **extend)
    app.drive()
    clips = task(app, extension)
    assert [c["state"] for c in clips] == ["succeeded", "succeeded"]
    assert clips[0]["lyrics"] == "[Verse]\nNew verse lyrics here..."

    # Without a task_type, a clip to continue means extend.
    implied = {k: v for k, v in extend.items() if k != "task_type"}
    assert len(task(app, create(app, **implied))) == 2

    concat = {**EXAMPLES["concat"]["request"], "continue_clip_id": clips[0]["clip_id"]}
    whole_id = create(app, **concat)
    app.drive()
    [whole] = task(app, whole_id)
    assert whole["clip_id"] == whole_id and whole["state"] == "succeeded"
    assert whole["duration"] == pytest.approx(1.25 + clips[0]["duration"], abs=0.05)


def test_lyrics_routes_of_both_dialects(app: InProcessApp) -> None:
    example = EXAMPLES["lyrics"]
    response = app.client.post("/api/v1/suno/lyrics", json=example["request"])
    assert response.status_code == 200, response.text
    assert_shape(example["response"], response.json())
    assert response.json()["results"][0]["lyrics"].strip()

    # sunoapi.com's make-lyrics / get-lyrics stay the v2 dialect's, bodies unchanged.
    made = app.client.post("/api/v1/suno/make-lyrics", json={"prompt": "dance"})
    assert made.status_code == 200
    assert set(made.json()) == {"code", "data", "message"}
    app.drive()
    got = app.client.get(f"/api/v1/suno/get-lyrics/{made.json()['data']['task_id']}").json()
    assert got["data"]["status"] == "complete" and got["data"]["text"].strip()
    unknown = app.client.get("/api/v1/suno/get-lyrics/nope")
    assert unknown.status_code == 404 and "error" not in unknown.json()


@pytest.mark.parametrize(
    ("body", "field", "limit"),
    [
        ({"custom_mode": True, "prompt": "x" * 3001, "mv": "chirp-v4"}, "prompt", 3000),
        ({"custom_mode": True, "prompt": "x" * 5001, "mv": "chirp-v5"}, "prompt", 5000),
        (
            {"custom_mode": True, "prompt": "la", "tags": "t" * 1001, "mv": "chirp-v4-5"},
            "tags",
            1000,
        ),
        ({"custom_mode": True, "prompt": "la", "tags": "t" * 201}, "tags", 200),
        ({"custom_mode": True, "prompt": "la", "title": "t" * 81}, "title", 80),
        ({"gpt_description_prompt": "d" * 201, "mv": "chirp-v3-5"}, "gpt_description_prompt", 200),
    ],
)
def test_limits_name_the_field_as_v1_spells_it(
    app: InProcessApp, body: dict[str, Any], field: str, limit: int
) -> None:
    response = app.client.post("/api/v1/suno/create", json=body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == 422 and answer["data"] is None and answer["error"] == answer["message"]
    assert answer["message"].startswith(f"{field} is ") and str(limit) in answer["message"]


def test_errors_in_v1_shape(app: InProcessApp) -> None:
    client = app.client
    missing = client.get("/api/v1/suno/task/nope")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": 404,
        "message": "task nope not found",
        "error": "task nope not found",
        "data": None,
    }
    assert client.get("/api/v1/suno/clip/nope").status_code == 404
    assert client.get("/api/v1/suno/task/").json()["error"]  # no route: still v1's shape
    no_description = client.post("/api/v1/suno/create", json={"custom_mode": False})
    assert no_description.status_code == 422
    assert no_description.json()["message"].startswith("gpt_description_prompt is required")
    no_lyrics = client.post("/api/v1/suno/create", json={"custom_mode": True, "tags": "pop"})
    assert no_lyrics.status_code == 422 and no_lyrics.json()["message"].startswith("prompt ")
    no_clip = client.post("/api/v1/suno/create", json={"task_type": "extend_music"})
    assert no_clip.json()["message"] == "continue_clip_id is required to extend"
    cover = client.post("/api/v1/suno/create", json={"task_type": "cover_music"})
    assert cover.status_code == 422 and "task_type" in cover.json()["message"]
    unknown_clip = client.post(
        "/api/v1/suno/create",
        json={"task_type": "extend_music", "continue_clip_id": "nope", "continue_at": 2},
    )
    assert unknown_clip.status_code == 404 and "nope" in unknown_clip.json()["message"]
    bad_model = client.post(
        "/api/v1/suno/create", json={"custom_mode": True, "prompt": "la", "mv": "x"}
    )
    assert bad_model.status_code == 422 and "'x'" in bad_model.json()["message"]


def test_webhook_url_is_the_callback_url(
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
    first = create(app, custom_mode=True, prompt=LYRICS, webhook_url="http://127.0.0.1:9/a")
    app.drive()
    clip_id = task(app, first)[0]["clip_id"]
    create(app, continue_clip_id=clip_id, continue_at=1.0, webhook_url="http://127.0.0.1:9/b")
    assert [r.callback_url for r in seen] == ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"]
