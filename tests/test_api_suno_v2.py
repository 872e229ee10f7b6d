"""Dialect A (sunoapi.com v2) end to end, compared with the seed documents' samples."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.support.server import Server, wait_for
from tests.support.shapes import assert_shape, sample, starry_lyrics

pytestmark = pytest.mark.e2e

LYRICS = starry_lyrics()


def create_task(client: httpx.Client, mv: str = "v3.5") -> str:
    response = client.post(
        f"/api/v2/suno/{mv}/custom/create-lyrics-song",
        json={"prompt": LYRICS, "tags": "heavy metal", "title": "Starry "},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 200 and body["message"] == "success"
    return body["data"]["task_id"]


def poll_task(client: httpx.Client, task_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v2/suno/v3.5/clip/{task_id}").json()
        if body["data"]["status"] == "completed" or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_create_poll_task_and_clips_match_seed_000(server: Server) -> None:
    with server.client() as client:
        task_id = create_task(client)
        body = poll_task(client, task_id)
        data = body["data"]
        assert data["task_id"] == task_id and data["status"] == "completed"
        assert json.loads(data["input"])["tags"] == "heavy metal"
        ids = list(data["clips"])
        assert len(ids) == 2
        listing = client.get("/api/v2/suno/v3.5/clips", params={"ids": ",".join(ids)}).json()
        seed = sample("seed_000_clips.json")
        assert_shape(seed, listing)
        assert listing["num_total_results"] == 2 and listing["current_page"] == 0
        assert [c["id"] for c in listing["clips"]] == ids
        for clip in listing["clips"]:
            assert clip["status"] == "complete"
            assert clip["major_model_version"] == "v3.5"
            assert clip["metadata"]["prompt"] == LYRICS
            assert clip["metadata"]["type"] == "gen"
            assert clip["audio_url"].endswith(".mp3") and clip["image_large_url"]


def test_model_version_in_path_is_kept(server: Server) -> None:
    with server.client() as client:
        task_id = create_task(client, mv="v4.5")
        clips = poll_task(client, task_id)["data"]["clips"]
        assert {c["major_model_version"] for c in clips.values()} == {"v4.5"}
        assert {c["model_name"] for c in clips.values()} == {"chirp-auk"}


def test_pure_music_is_instrumental(server: Server) -> None:
    with server.client() as client:
        response = client.post(
            "/api/v2/suno/v3.5/custom/create-pure-music",
            json={"tags": "lofi, chill", "title": "Study"},
        )
        clips = poll_task(client, response.json()["data"]["task_id"])["data"]["clips"]
        assert all(c["metadata"]["has_vocal"] is False for c in clips.values())
        assert all(c["metadata"]["prompt"] == "" for c in clips.values())


def test_extend_returns_seed_001_batch(server: Server) -> None:
    with server.client() as client:
        clips = poll_task(client, create_task(client))["data"]["clips"]
        source = next(iter(clips.values()))
        response = client.post(
            "/api/v2/suno/v3.5/extend",
            json={
                "prompt": "[Verse]\nTesla riding",
                "tags": "epic reggae",
                "title": "Electric Dreams",
                "continue_clip_id": source["id"],
                "continue_at": 1.5,
            },
        )
        assert response.status_code == 200, response.text
        batch = response.json()
        assert_shape(sample("seed_001_extend.json"), batch)
        assert len(batch["clips"]) == 2
        for clip in batch["clips"]:
            assert clip["status"] == "submitted" and clip["audio_url"] == ""
            assert clip["metadata"]["history"][0] == {
                "id": source["id"],
                "continue_at": 1.5,
                "type": "gen",
                "source": "web",
                "infill": False,
            }
            assert clip["metadata"]["audio_prompt_id"] == source["id"]
        done = wait_for(client, [c["id"] for c in batch["clips"]])
        assert all(c["status"] == "complete" for c in done)


def test_make_lyrics_then_get_lyrics(server: Server) -> None:
    with server.client() as client:
        response = client.post("/api/v1/suno/make-lyrics", json={"prompt": "a song about rain"})
        assert response.status_code == 200, response.text
        task_id = response.json()["data"]["task_id"]
        deadline = time.monotonic() + 30
        while True:
            body = client.get(f"/api/v1/suno/get-lyrics/{task_id}").json()
            if body["data"]["status"] in ("complete", "error") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        data = body["data"]
        assert data["status"] == "complete", data
        assert data["input"] == "a song about rain"
        assert data["title"] and "[" in data["text"]
        assert set(data["metadata"]) == {"created_at", "started_at", "ended_at"}


def test_errors_use_the_code_message_envelope(server: Server) -> None:
    with server.client() as client:
        missing = client.get("/api/v2/suno/v3.5/clip/not-a-task")
        assert missing.status_code == 404
        assert missing.json() == {"code": 404, "message": "task not-a-task not found", "data": None}
        invalid = client.post("/api/v2/suno/v3.5/custom/create-lyrics-song", json={"tags": "x"})
        assert invalid.status_code == 422
        assert invalid.json()["code"] == 422 and "prompt" in invalid.json()["message"]
