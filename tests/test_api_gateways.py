"""The new-api gateway's task API and sunoapi.com v1, end to end on both databases: each family's
documented examples replayed against a real server (keys required, 20 credits a month: two songs
per user), polled to SUCCESS, extended, lyrics, errors, limits and credits.

No published client library of either family can run unchanged: PyPI has none for sunoapi.com
v1, and the one speaking the new-api Suno routes (nonebot-plugin-sunoai) is a chat-bot plugin
with its host name and a reseller's path prefix written into it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import make_server
from tests.support.server import Server
from tests.support.shapes import assert_shape, sample

pytestmark = pytest.mark.e2e

NEWAPI = sample("newapi_examples.json")
V1 = sample("sunoapi_com_v1_examples.json")


@pytest.fixture(scope="module")
def gateway(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv, pg = make_server(
        tmp_path_factory.mktemp(f"gateway-{backend}"),
        backend,
        OPENCHIRP_ANONYMOUS="false",
        OPENCHIRP_DEFAULT_MONTHLY_CREDITS="20",
    )
    srv.start()
    yield srv
    srv.stop()
    if pg:
        pg.drop()


def until(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def newapi_done(client: httpx.Client, task_id: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        body = client.get(f"/suno/fetch/{task_id}").json()
        return body if body["data"]["status"] in ("SUCCESS", "FAILURE") else None

    body = until(finished)
    assert body is not None, f"task {task_id} did not finish"
    return body


def test_newapi_family(gateway: Server) -> None:
    key = gateway.cli("keys", "create", "newapi", "--user", "newapi-user")
    with httpx.Client(base_url=gateway.url) as anonymous:
        refused = anonymous.post("/suno/submit/music", json=NEWAPI["submit_music"]["request"])
        assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
        assert refused.json()["data"] is None
    with gateway.client(key) as client:
        submitted = client.post("/suno/submit/music", json=NEWAPI["submit_music"]["request"])
        assert submitted.status_code == 200, submitted.text
        assert_shape(NEWAPI["submit_music"]["response"], submitted.json())
        task_id = submitted.json()["data"]
        first = client.get(f"/suno/fetch/{task_id}").json()["data"]
        assert first["status"] in ("SUBMITTED", "QUEUED", "IN_PROGRESS", "SUCCESS")

        body = newapi_done(client, task_id)
        assert_shape(NEWAPI["fetch"]["response"], body)
        task = body["data"]
        assert task["status"] == "SUCCESS" and task["progress"] == "100%"
        assert task["action"] == "MUSIC" and task["task_id"] == task_id
        assert task["finish_time"] >= task["start_time"] >= task["submit_time"] > 0
        assert {c["model_name"] for c in task["data"]} == {"chirp-v4"}
        assert {c["title"] for c in task["data"]} == {"City Lights"}
        source = task["data"][0]
        assert client.get(source["audio_url"]).status_code == 200

        extension = client.post(
            "/suno/submit/music",
            json={
                "prompt": "[Verse]\nThe night goes on",
                "tags": "emotional punk",
                "mv": "chirp-v4",
                "task_id": task_id,
                "continue_clip_id": source["id"],
                "continue_at": 1.5,
            },
        )
        assert extension.status_code == 200, extension.text
        extended = newapi_done(client, extension.json()["data"])["data"]
        assert extended["status"] == "SUCCESS"
        assert extended["data"][0]["metadata"]["history"][0]["id"] == source["id"]

        lyrics = client.post("/suno/submit/lyrics", json=NEWAPI["submit_lyrics"]["request"])
        assert_shape(NEWAPI["submit_lyrics"]["response"], lyrics.json())
        written = newapi_done(client, lyrics.json()["data"])["data"]
        assert written["action"] == "LYRICS" and written["data"]["text"].strip()

        many = client.post("/suno/fetch", json={"ids": [task_id, lyrics.json()["data"], "nope"]})
        assert [t["action"] for t in many.json()["data"]] == ["MUSIC", "LYRICS"]

        # Two songs were this month's 20 credits.
        spent = client.post("/suno/submit/music", json=NEWAPI["submit_music"]["request"])
        assert spent.status_code == 429 and spent.json()["code"] == "insufficient_user_quota"
        missing = client.get("/suno/fetch/nope")
        assert missing.status_code == 404 and missing.json()["code"] == "task_not_exist"
        too_long = client.post("/suno/submit/music", json={"prompt": "la", "tags": "t" * 201})
        assert too_long.status_code == 422 and too_long.json()["code"] == "invalid_request"
        assert (
            too_long.json()["message"] == "tags is 201 characters; the limit for chirp-v3-5 is 200"
        )


def v1_done(client: httpx.Client, task_id: str, route: str = "task") -> list[dict[str, Any]]:
    def finished() -> list[dict[str, Any]] | None:
        clips = client.get(f"/api/v1/suno/{route}/{task_id}").json()["data"]
        return clips if all(c["state"] in ("succeeded", "failed") for c in clips) else None

    clips = until(finished)
    assert clips, f"task {task_id} did not finish"
    return clips


def test_sunoapi_com_v1_family(gateway: Server) -> None:
    key = gateway.cli("keys", "create", "v1", "--user", "v1-user")
    with httpx.Client(base_url=gateway.url) as anonymous:
        refused = anonymous.get("/api/v1/suno/task/x")
        assert refused.status_code == 401 and refused.json()["code"] == 401
    with gateway.client(key) as client:
        created = client.post("/api/v1/suno/create", json=V1["create_custom"]["request"])
        assert created.status_code == 200, created.text
        assert_shape(V1["create_custom"]["response"], created.json())
        task_id = created.json()["task_id"]
        clips = v1_done(client, task_id)
        assert_shape(V1["task"]["response"], client.get(f"/api/v1/suno/task/{task_id}").json())
        assert [c["state"] for c in clips] == ["succeeded", "succeeded"]
        assert {c["mv"] for c in clips} == {"chirp-crow"}
        assert v1_done(client, task_id, "clip") == clips
        assert client.get(clips[0]["audio_url"]).status_code == 200

        extend = {**V1["extend"]["request"], "continue_clip_id": clips[0]["clip_id"]}
        extend["continue_at"] = 1.5
        extension = client.post("/api/v1/suno/create", json=extend)
        assert extension.status_code == 200, extension.text
        extended = v1_done(client, extension.json()["task_id"])
        assert [c["state"] for c in extended] == ["succeeded", "succeeded"]

        concat = {**V1["concat"]["request"], "continue_clip_id": extended[0]["clip_id"]}
        whole_id = client.post("/api/v1/suno/create", json=concat).json()["task_id"]
        [whole] = v1_done(client, whole_id)
        assert whole["clip_id"] == whole_id and whole["duration"] == pytest.approx(
            1.5 + extended[0]["duration"], abs=0.05
        )

        lyrics = client.post("/api/v1/suno/lyrics", json=V1["lyrics"]["request"])
        assert lyrics.status_code == 200, lyrics.text
        assert_shape(V1["lyrics"]["response"], lyrics.json())
        made = client.post("/api/v1/suno/make-lyrics", json={"prompt": "dance"}).json()
        got = client.get(f"/api/v1/suno/get-lyrics/{made['data']['task_id']}").json()["data"]
        assert got["task_id"] == made["data"]["task_id"]

        spent = client.post("/api/v1/suno/create", json=V1["create_description"]["request"])
        assert spent.status_code == 429 and "credits" in spent.json()["error"]
        missing = client.get("/api/v1/suno/task/nope")
        assert missing.status_code == 404 and missing.json()["message"] == "task nope not found"
        too_long = client.post(
            "/api/v1/suno/create",
            json={"custom_mode": True, "prompt": "x" * 5001, "mv": "chirp-v5"},
        )
        assert too_long.status_code == 422
        assert (
            too_long.json()["error"]
            == "prompt is 5001 characters; the limit for chirp-crow is 5000"
        )
