"""Input that cannot be stored is refused before anything is written; stored rows that cannot be
encoded never break a read; bodies are bounded and authenticated before they are read; a create
retried with its Idempotency-Key happens once (issue 15, "Data and input")."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from openchirp.db import repo
from tests.support.inprocess import InProcessApp, inprocess_settings

BAD = {"surrogate": "x\\ud800y", "nul": "x\\u0000y"}
"""JSON spellings of text no UTF-8 encoder or PostgreSQL text column takes."""

# (path, body with FIELD where the bad text goes, field as the dialect names it, error key)
CREATES = [
    ("/api/custom_generate", {"prompt": "la", "tags": "pop"}, "gcui"),
    ("/api/generate", {"prompt": "a song"}, "gcui"),
    ("/api/v2/suno/v3.5/custom/create-lyrics-song", {"prompt": "la", "tags": "pop"}, "v2"),
    ("/api/v2/suno/v3.5/custom/create-pure-music", {"tags": "pop"}, "v2"),
]
TEXT_FIELDS = {
    "/api/custom_generate": ["prompt", "tags", "title", "negative_tags", "model"],
    "/api/generate": ["prompt", "model"],
    "/api/v2/suno/v3.5/custom/create-lyrics-song": ["prompt", "tags", "title", "negative_tags"],
    "/api/v2/suno/v3.5/custom/create-pure-music": ["tags", "title", "negative_tags"],
}


def post_raw(app: InProcessApp, path: str, body: dict[str, Any], field: str, bad: str) -> Any:
    """POST ``body`` with ``field`` set to the raw JSON string ``bad`` (json.dumps would escape
    the backslash)."""
    text = json.dumps({**body, field: "@@BAD@@"}).replace('"@@BAD@@"', f'"{bad}"')
    return app.client.post(path, content=text, headers={"content-type": "application/json"})


def message(response: Any) -> str:
    body = response.json()
    if "message" in body:
        return body["message"]
    error = body["error"]
    return error["message"] if isinstance(error, dict) else error


def usage(app: InProcessApp) -> int:
    return app.client.get("/api/get_limit").json()["monthly_usage"]


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize(("path", "body", "_shape"), CREATES)
def test_unstorable_text_is_refused_in_every_create_field(
    app: InProcessApp, path: str, body: dict[str, Any], _shape: str, kind: str
) -> None:
    for field in TEXT_FIELDS[path]:
        response = post_raw(app, path, body, field, BAD[kind])
        assert response.status_code == 422, (field, response.text)
        assert field in message(response)
    assert usage(app) == 0
    assert app.client.get("/api/get").json() == []


@pytest.mark.parametrize("kind", sorted(BAD))
def test_unstorable_text_in_chat_and_lyrics_is_refused(app: InProcessApp, kind: str) -> None:
    chat = '{"messages":[{"role":"user","content":"a song @"}]}'.replace("@", BAD[kind])
    response = app.client.post(
        "/v1/chat/completions", content=chat, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["param"] == "messages"
    # The model is echoed in the answer: refused before the song is made, not a 500 after.
    chat = '{"model":"m@","messages":[{"role":"user","content":"a song"}]}'.replace("@", BAD[kind])
    response = app.client.post(
        "/v1/chat/completions", content=chat, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["param"] == "model"
    for path in ("/api/v1/suno/make-lyrics", "/api/generate_lyrics"):
        response = post_raw(app, path, {}, "prompt", BAD[kind])
        assert response.status_code == 422, response.text
        assert "prompt" in message(response)
    assert usage(app) == 0


@pytest.mark.parametrize("kind", sorted(BAD))
def test_unstorable_ids_are_a_4xx(app: InProcessApp, kind: str) -> None:
    cases = [
        ("/api/extend_audio", {"continue_at": 1}, "audio_id"),
        ("/api/concat", {}, "clip_id"),
        ("/api/generate_stems", {}, "audio_id"),
        ("/api/v2/suno/v3.5/extend", {"prompt": "", "tags": "", "continue_at": 1}, None),
    ]
    for path, body, field in cases:
        name = field or "continue_clip_id"
        response = post_raw(app, path, body, name, BAD[kind])
        assert 400 <= response.status_code < 500, (path, response.text)
    for path in ("/api/get?ids=a%00b", "/api/clip?id=a%00b", "/api/v2/suno/v3.5/clips?ids=%00"):
        response = app.client.get(path)
        assert response.status_code == 422, (path, response.text)
    for path in ("/api/v2/suno/v3.5/clip/a%00b", "/files/a%00b", "/files/%00%00"):
        response = app.client.get(path)  # nothing is named with a NUL
        assert response.status_code == 404, (path, response.text)
    assert app.client.head("/files/x%00").status_code == 404


def test_a_stored_row_that_cannot_be_encoded_never_breaks_a_read(app: InProcessApp) -> None:
    created = app.client.post(
        "/api/v2/suno/v3.5/custom/create-lyrics-song", json={"prompt": "la", "tags": "pop"}
    ).json()["data"]["task_id"]
    app.drive()
    ids = [c["id"] for c in app.client.get("/api/get").json()]
    db = app.app.state.db
    # As another tool (or an older server) could have left them: a lone surrogate in the JSON
    # of a clip's metadata, and bytes that are not UTF-8 in a text column.
    with db.write() as conn:
        row = repo.get_clip(conn, ids[0])
        repo.update_clip(conn, ids[0], meta={**row.meta, "tags": "x\ud800y"})
    raw = sqlite3.connect(str(app.settings.data_dir / "openchirp.db"))
    raw.execute("UPDATE clips SET title = CAST(X'61FF62' AS TEXT) WHERE id = ?", (ids[1],))
    raw.commit()
    raw.close()
    for path in (
        "/api/get",
        f"/api/get?ids={ids[0]},{ids[1]}",
        f"/api/clip?id={ids[0]}",
        f"/api/v2/suno/v3.5/clips?ids={ids[0]},{ids[1]}",
        f"/api/v2/suno/v3.5/clip/{created}",
        "/",
    ):
        response = app.client.get(path)
        assert response.status_code == 200, (path, response.text)
    clips = {c["id"]: c for c in app.client.get("/api/get").json()}
    assert clips[ids[0]]["tags"] == "x\ufffdy"
    assert clips[ids[1]]["title"] == "a\ufffdb"


def test_continue_at_must_be_a_number(app: InProcessApp) -> None:
    for path, body in (
        ("/api/extend_audio", {"audio_id": "a", "continue_at": True}),
        (
            "/api/v2/suno/v3.5/extend",
            {"prompt": "", "tags": "", "continue_clip_id": "a", "continue_at": True},
        ),
    ):
        response = app.client.post(path, json=body)
        assert response.status_code == 422, response.text
        assert "continue_at" in message(response)


@pytest.mark.parametrize(
    "path",
    ["/api/get?ids=a&ids=b", "/api/get?page=1&page=2", "/api/clip?id=a&id=b", "/healthz?x=1&x=2"],
)
def test_a_repeated_query_parameter_is_an_error(app: InProcessApp, path: str) -> None:
    response = app.client.get(path)
    assert response.status_code == 422, response.text
    assert "more than once" in message(response)


def test_a_body_over_the_limit_is_refused_before_it_is_read(app: InProcessApp) -> None:
    limit = app.settings.max_body_bytes
    response = app.client.post(
        "/api/custom_generate",
        content=b" " * (limit + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert str(limit) in message(response)

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted while it streams
        for _ in range(1000):
            yield b" " * 65536

    response = app.client.post(
        "/v1/chat/completions", content=chunked(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == 413  # the chat dialect's shape
    response = app.client.post(
        "/api/v2/suno/v3.5/custom/create-lyrics-song",
        content=b" " * (limit + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413 and response.json()["code"] == 413


def test_authentication_comes_before_the_body(tmp_path: Any) -> None:
    settings = inprocess_settings(tmp_path / "data", anonymous=False)
    with InProcessApp(settings) as app:
        pulled = []

        def body() -> Iterator[bytes]:
            for _ in range(10):
                pulled.append(1)
                yield b" " * 1000

        response = app.client.post(
            "/api/custom_generate", content=body(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 401
        assert response.json()["field"] == "Authorization"
        assert pulled == []  # not a byte of the body was read


def test_idempotency_key_replays_the_first_create(app: InProcessApp) -> None:
    body = {"prompt": "[Verse]\nla", "tags": "pop"}
    key = {"Idempotency-Key": "retry-1"}
    first = app.client.post("/api/custom_generate", json=body, headers=key)
    again = app.client.post("/api/custom_generate", json=body, headers=key)
    assert first.status_code == again.status_code == 200
    assert [c["id"] for c in first.json()] == [c["id"] for c in again.json()]
    assert usage(app) == 10  # one song (two clips), charged once
    other = app.client.post("/api/custom_generate", json={**body, "tags": "rock"}, headers=key)
    assert other.status_code == 409 and "Idempotency-Key" in message(other)
    v2 = "/api/v2/suno/v3.5/custom/create-lyrics-song"
    tasks = [
        app.client.post(v2, json=body, headers={"Idempotency-Key": "v2"}).json()["data"]["task_id"]
        for _ in range(2)
    ]
    assert tasks[0] == tasks[1]
    # Another user's identical key is theirs alone: it does not replay this user's batch.
    assert len(app.client.get("/api/get").json()) == 4
    assert app.client.post(v2, json=body).json()["data"]["task_id"] != tasks[0]


def test_idempotent_extend_and_chat(app: InProcessApp) -> None:
    clip = app.client.post("/api/custom_generate", json={"prompt": "la", "tags": "pop"}).json()[0]
    app.drive()
    extend = {"audio_id": clip["id"], "continue_at": 1.0}
    key = {"Idempotency-Key": "ext"}
    first = app.client.post("/api/extend_audio", json=extend, headers=key).json()
    again = app.client.post("/api/extend_audio", json=extend, headers=key).json()
    assert [c["id"] for c in first] == [c["id"] for c in again]
    chat = {"messages": [{"role": "user", "content": "a happy song"}]}
    with app.working():
        for _ in range(2):
            response = app.client.post(
                "/v1/chat/completions", json=chat, headers={"Idempotency-Key": "chat"}
            )
            assert response.status_code == 200
    assert usage(app) == 30
