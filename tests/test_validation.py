"""Every input a client can get wrong gets a 4xx that names the field (and the limit)."""

from __future__ import annotations

import pytest

from tests.support.server import Server, wait_for

pytestmark = pytest.mark.e2e

OK = {"prompt": "[Verse]\nhello", "tags": "pop", "title": "t"}


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({**OK, "tags": "x" * 201}, 422, ["tags", "200", "chirp-v3-5"]),
        ({**OK, "negative_tags": "x" * 201}, 422, ["negative_tags", "200"]),
        ({**OK, "prompt": "x" * 3001}, 422, ["prompt", "3000"]),
        ({**OK, "title": "x" * 81}, 422, ["title", "80"]),
        ({**OK, "model": "chirp-v9"}, 422, ["model", "chirp-v9"]),
        ({**OK, "prompt": "   "}, 422, ["prompt", "required"]),
        ({**OK, "make_instrumental": "maybe"}, 422, ["make_instrumental"]),
        ({**OK, "tags": 5}, 422, ["tags"]),
    ],
)
def test_custom_generate_rejects(server: Server, body: dict, status: int, words: list[str]) -> None:
    with server.client() as client:
        before = client.get("/api/get_limit").json()["monthly_usage"]
        response = client.post("/api/custom_generate", json=body)
        assert response.status_code == status, response.text
        message = response.json()["error"]
        for word in words:
            assert word in message
        # Nothing was queued or charged.
        assert client.get("/api/get_limit").json()["monthly_usage"] == before


def test_larger_models_allow_longer_input(server: Server) -> None:
    with server.client() as client:
        body = {**OK, "tags": "rock " * 100, "prompt": "la " * 1500, "model": "chirp-auk"}
        assert client.post("/api/custom_generate", json=body).status_code == 200
        too_long = {**body, "tags": "x" * 1001}
        response = client.post("/api/custom_generate", json=too_long)
        assert response.status_code == 422 and "1000" in response.json()["error"]


def test_description_limit_follows_model(server: Server) -> None:
    with server.client() as client:
        response = client.post("/api/generate", json={"prompt": "d" * 201})
        assert response.status_code == 422
        assert "prompt" in response.json()["error"]
        assert "200" in response.json()["error"]
        response = client.post("/api/generate", json={"prompt": "", "model": "chirp-auk"})
        assert response.status_code == 422 and "prompt" in response.json()["error"]


def test_extend_validates_source_and_continue_at(server: Server) -> None:
    with server.client() as client:
        clip = client.post("/api/custom_generate", json=OK).json()[0]
        wait_for(client, [clip["id"]])
        duration = float(client.get("/api/get", params={"ids": clip["id"]}).json()[0]["duration"])
        for at in (0, -1, duration, duration + 5):
            response = client.post(
                "/api/extend_audio", json={"audio_id": clip["id"], "continue_at": at}
            )
            assert response.status_code == 422, (at, response.text)
            assert "continue_at" in response.json()["error"]
        response = client.post("/api/extend_audio", json={"audio_id": clip["id"]})
        assert response.status_code == 422 and "continue_at" in response.json()["error"]
        response = client.post("/api/extend_audio", json={"audio_id": "nope", "continue_at": 1})
        assert response.status_code == 404
        response = client.post("/api/extend_audio", json={"continue_at": 1})
        assert response.status_code == 422 and "audio_id" in response.json()["error"]
        a_response = client.post(
            "/api/v2/suno/v3.5/extend",
            json={"prompt": "", "tags": "", "continue_clip_id": clip["id"], "continue_at": "soon"},
        )
        assert a_response.status_code == 422 and "continue_at" in a_response.json()["message"]


def test_extend_of_unfinished_clip_is_a_conflict(tmp_path, backend) -> None:
    from tests.conftest import make_server

    srv, pg = make_server(tmp_path, backend, TONE_BLOCK_DELAY="0.5", TONE_SECONDS="5")
    srv.start()
    try:
        with srv.client() as client:
            clip = client.post("/api/custom_generate", json=OK).json()[0]
            response = client.post(
                "/api/extend_audio", json={"audio_id": clip["id"], "continue_at": 1}
            )
            assert response.status_code == 409
            assert "complete" in response.json()["error"]
    finally:
        srv.stop()
        if pg:
            pg.drop()


def test_concat_needs_an_extension(server: Server) -> None:
    with server.client() as client:
        clip = client.post("/api/custom_generate", json=OK).json()[0]
        wait_for(client, [clip["id"]])
        response = client.post("/api/concat", json={"clip_id": clip["id"]})
        assert response.status_code == 409 and "extension" in response.json()["error"]
        assert client.post("/api/concat", json={"clip_id": "nope"}).status_code == 404
        assert client.post("/api/concat", json={}).status_code == 422


def test_too_many_ids_and_bad_pages(server: Server) -> None:
    with server.client() as client:
        ids = ",".join(f"id{i}" for i in range(101))
        response = client.get("/api/get", params={"ids": ids})
        assert response.status_code == 422 and "100" in response.json()["error"]
        response = client.get("/api/v2/suno/v3.5/clips", params={"ids": ids})
        assert response.status_code == 422 and "100" in response.json()["message"]
        for page in (-1, "x", "2.5", 100_001):
            response = client.get("/api/get", params={"page": page})
            assert response.status_code == 422, page
            assert "page" in response.json()["error"] and "100000" in response.json()["error"]
        assert client.get("/api/get", params={"page": 100_000}).json() == []
        response = client.get("/api/v2/suno/v3.5/clips")
        assert response.status_code == 422 and "ids" in response.json()["message"]
        # Read by hand for speed, still documented: schemathesis generates from these.
        spec = client.get("/openapi.json").json()["paths"]
        documented = {
            path: {p["name"]: p.get("required", False) for p in spec[path]["get"]["parameters"]}
            for path in ("/api/get", "/api/v2/suno/{mv}/clips")
        }
        assert documented["/api/get"] == {"ids": False, "page": False}
        assert documented["/api/v2/suno/{mv}/clips"] == {"mv": True, "ids": True}


def test_unknown_model_version_in_path(server: Server) -> None:
    with server.client() as client:
        response = client.post(
            "/api/v2/suno/v9.9/custom/create-lyrics-song", json={"prompt": "la", "tags": "pop"}
        )
        assert response.status_code == 422 and "v9.9" in response.json()["message"]


def test_lyrics_prompt_limit(server: Server) -> None:
    with server.client() as client:
        response = client.post("/api/v1/suno/make-lyrics", json={"prompt": "x" * 201})
        assert response.status_code == 422 and "200" in response.json()["message"]
        response = client.post("/api/generate_lyrics", json={"prompt": "x" * 201})
        assert response.status_code == 422 and "200" in response.json()["error"]
