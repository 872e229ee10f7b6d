"""Suno's studio API (Clerk + studio routes), in process: every route, the token flow, errors."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from openchirp.db import repo
from tests.support.inprocess import InProcessApp, inprocess_settings

CONFIGURED = "a configured secret of at least 32 bytes"
SONG = {
    "prompt": "[Verse]\nsing it loud\nsing it clear",
    "tags": "pop",
    "title": "Loud",
    "mv": "chirp-v3-5",
}


def login(app: InProcessApp, cookie: str | None = None) -> dict[str, str]:
    """What a Clerk client does: read the client, trade its session for a JWT."""
    cookies = {"Cookie": f"__client={cookie}"} if cookie else None
    client = app.client.get("/v1/client?_clerk_js_version=4.72.1", headers=cookies)
    assert client.status_code == 200
    response = client.json()["response"]
    sid = response["last_active_session_id"]
    assert response["sessions"][0]["id"] == sid
    assert response["sessions"][0]["last_active_token"]["jwt"].count(".") == 2
    token = app.client.post(f"/v1/client/sessions/{sid}/tokens", headers=cookies)
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['jwt']}"}


def key_for(app: InProcessApp, handle: str) -> str:
    with app.app.state.db.write() as conn:
        user = repo.ensure_user(conn, handle, handle)
        return repo.create_api_key(conn, user.id, "test")


def create(app: InProcessApp, auth: dict[str, str], **body: Any) -> list[dict[str, Any]]:
    response = app.client.post("/api/generate/v2/", json={**SONG, **body}, headers=auth)
    assert response.status_code == 200, response.text
    batch = response.json()
    assert set(batch) == {
        "id",
        "clips",
        "metadata",
        "major_model_version",
        "status",
        "created_at",
        "batch_size",
    }
    assert len(batch["clips"]) == 2 and all(c["status"] == "submitted" for c in batch["clips"])
    return batch["clips"]


def test_clerk_client_and_both_token_routes(app: InProcessApp) -> None:
    for path in ("/v1/client", "/v1/client/"):
        body = app.client.get(path, params={"_clerk_js_version": "5.0.0"}).json()
        assert body["response"]["object"] == "client" and body["client"] is None
    sid = body["response"]["last_active_session_id"]
    for suffix in ("tokens", "tokens/api"):
        reply = app.client.post(f"/v1/client/sessions/{sid}/{suffix}?_clerk_js_version=4.72.0")
        assert reply.status_code == 200 and reply.json()["object"] == "token"
        claims = jwt.decode(reply.json()["jwt"], options={"verify_signature": False})
        assert claims["sid"] == sid and 0 < claims["exp"] - claims["iat"] <= 120
    wrong = app.client.post("/v1/client/sessions/sess_nope/tokens")
    assert wrong.status_code == 404 and wrong.json()["errors"][0]["code"] == "resource_not_found"
    assert app.client.get("/v1/client/nothing").json() == {"detail": "Not Found"}


def test_the_cookie_names_the_user_and_a_revoked_key_is_refused(app: InProcessApp) -> None:
    key = key_for(app, "carol")
    carol = login(app, key)
    clips = create(app, carol)
    assert {c["handle"] for c in clips} == {"carol"}
    anonymous = login(app)  # no cookie on loopback: the local owner, who cannot see carol's
    assert app.client.get(f"/api/clip/{clips[0]['id']}", headers=anonymous).status_code == 404
    made_up = login(app, "any-token-a-client-invents")  # unknown: anonymous here, as gcui's
    assert app.client.get("/api/feed/", headers=made_up).json() == []
    with app.app.state.db.write() as conn:
        assert repo.revoke_api_key(conn, key[:10]) == 1
    app.app.state.auth._cache.clear()  # the key cache would keep it for KEY_CACHE_S
    assert (
        app.client.get("/v1/client", headers={"Cookie": f"__client={key}"}).json()["response"]
        is None
    )
    sid = app.client.get("/v1/client").json()["response"]["last_active_session_id"]
    refused = app.client.post(
        f"/v1/client/sessions/{sid}/tokens", headers={"Cookie": f"__client={key}"}
    )
    assert refused.status_code == 401 and "errors" in refused.json()


def test_an_expired_or_forged_token_is_unauthorized_and_renewal_works(app: InProcessApp) -> None:
    auth = login(app)
    assert app.client.get("/api/billing/info/", headers=auth).status_code == 200
    secret = (app.settings.data_dir / "secret-key").read_text().strip()
    claims = jwt.decode(auth["Authorization"][7:], secret, algorithms=["HS256"])
    expired = jwt.encode({**claims, "exp": int(time.time()) - 1}, secret, algorithm="HS256")
    forged = jwt.encode(
        {**claims, "sub": "someone-else"},
        "not the secret, though as long as one",
        algorithm="HS256",
    )
    for token in (expired, forged, "a.b.c"):
        reply = app.client.get("/api/feed/", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401 and reply.json() == {"detail": "Unauthorized"}
        assert reply.headers["www-authenticate"] == "Bearer"
    # A Clerk client without a token yet gets the 401 that makes it fetch one.
    no_token = app.client.get("/api/billing/info/", headers={"Cookie": "__client=x"})
    assert no_token.status_code == 401 and no_token.json() == {"detail": "Unauthorized"}
    renewed = login(app)
    assert app.client.get("/api/feed/", headers=renewed).status_code == 200


def test_a_short_token_lifetime_expires(tmp_path: Path) -> None:
    settings = inprocess_settings(tmp_path / "data", studio_token_seconds=1)
    with InProcessApp(settings) as app:
        auth = login(app)
        assert app.client.get("/api/feed/", headers=auth).status_code == 200
        time.sleep(2.1)
        assert app.client.get("/api/feed/", headers=auth).status_code == 401
        assert app.client.get("/api/feed/", headers=login(app)).status_code == 200


def test_the_secret_is_kept_in_the_data_dir_or_set(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with InProcessApp(inprocess_settings(data)) as first:
        auth = login(first)
    assert oct((data / "secret-key").stat().st_mode & 0o777) == "0o600"
    with InProcessApp(inprocess_settings(data)) as second:  # a restart, or a second process
        assert second.client.get("/api/feed/", headers=auth).status_code == 200
    with InProcessApp(inprocess_settings(data, secret_key=CONFIGURED)) as third:
        assert third.client.get("/api/feed/", headers=auth).status_code == 401
        token = login(third)["Authorization"][7:]
        assert jwt.decode(token, CONFIGURED, algorithms=["HS256"], issuer="openchirp")


def test_lifecycle_every_studio_route(app: InProcessApp) -> None:
    auth = login(app)
    clips = create(app, auth)
    ids = [c["id"] for c in clips]
    # Feed: comma and %2C alike, a list of canonical clips; v2 wraps it.
    for query in (f"ids={ids[0]},{ids[1]}", f"ids={ids[0]}%2C{ids[1]}"):
        listed = app.client.get(f"/api/feed/?{query}", headers=auth).json()
        assert [c["id"] for c in listed] == ids
    v2 = app.client.get("/api/feed/v2", params={"ids": ids[0]}, headers=auth).json()
    assert set(v2) == {"clips", "num_total_results", "current_page"}
    assert [c["id"] for c in v2["clips"]] == [ids[0]] and v2["num_total_results"] == 1
    app.drive()
    done = app.client.get(f"/api/feed?ids={ids[0]},{ids[1]}", headers=auth).json()
    assert [c["status"] for c in done] == ["complete", "complete"]
    assert all(isinstance(c["metadata"]["duration"], float) for c in done)
    # Audio answers 200 itself, no redirect.
    audio = app.client.get(done[0]["audio_url"], follow_redirects=False)
    assert audio.status_code == 200 and audio.content[:3] in (b"ID3", b"\xff\xfb")
    assert app.client.get(f"/api/clip/{ids[0]}", headers=auth).json()["id"] == ids[0]
    library = app.client.get("/api/feed/?page=0", headers=auth).json()
    assert {c["id"] for c in library} == set(ids)
    assert app.client.get("/api/feed/?page=1", headers=auth).json() == []
    assert app.client.get("/api/feed/v2?page=0", headers=auth).json()["num_total_results"] == 2

    before = app.client.get("/api/billing/info", headers=auth).json()
    assert set(before) == {"total_credits_left", "period", "monthly_limit", "monthly_usage"}
    assert before["monthly_usage"] == 10 and before["period"] is None

    # Extend through the same create route, then join the song.
    extended = create(
        app, auth, continue_clip_id=ids[0], continue_at=1.0, prompt="[Verse]\nmore", title=""
    )
    assert extended[0]["metadata"]["history"][0] == {
        "id": ids[0],
        "continue_at": 1.0,
        "type": "gen",
        "source": "web",
        "infill": False,
    }
    app.drive()
    whole = app.client.post(
        "/api/generate/concat/v2/", json={"clip_id": extended[0]["id"]}, headers=auth
    )
    assert whole.status_code == 200 and whole.json()["metadata"]["type"] == "concat"

    words = app.client.get(f"/api/gen/{ids[0]}/aligned_lyrics/v2/", headers=auth).json()
    assert words["aligned_words"] and set(words["aligned_words"][0]) == {
        "word",
        "start_s",
        "end_s",
        "success",
        "p_align",
    }
    assert len(words["waveform_data"]) > 0

    stems = app.client.post(f"/api/edit/stems/{ids[0]}", headers=auth).json()
    assert [c["metadata"]["stem_from_id"] for c in stems["clips"]] == [ids[0], ids[0]]

    shared = app.client.post(
        f"/api/gen/{ids[1]}/set_visibility/", json={"is_public": True}, headers=auth
    )
    assert shared.json() == {"is_public": True}
    assert app.client.get(f"/api/clip/{ids[1]}", headers=auth).json()["is_public"] is True


def test_description_mode_web_route_and_lyrics(app: InProcessApp) -> None:
    auth = login(app)
    reply = app.client.post(
        "/api/generate/v2-web/",
        json={
            "gpt_description_prompt": "a song about trains",
            "prompt": "",
            "mv": "chirp-v4",
            "make_instrumental": True,
        },
        headers=auth,
    )
    assert reply.status_code == 200
    clip = reply.json()["clips"][0]
    assert clip["metadata"]["gpt_description_prompt"] == "a song about trains"
    assert clip["model_name"] == "chirp-v4" and clip["title"]
    lyrics_id = app.client.post(
        "/api/generate/lyrics/", json={"prompt": "rain"}, headers=auth
    ).json()["id"]
    pending = app.client.get(f"/api/generate/lyrics/{lyrics_id}", headers=auth).json()
    assert pending["status"] != "complete"
    app.drive()
    done = app.client.get(f"/api/generate/lyrics/{lyrics_id}/", headers=auth).json()
    assert done["status"] == "complete" and done["text"] and done["title"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail"),
    [
        ("post", "/api/generate/v2/", {"tags": "pop"}, 422, "prompt (the lyrics) is required"),
        ("post", "/api/generate/v2/", {"prompt": "x", "mv": "chirp-v9"}, 422, "unknown model"),
        ("post", "/api/generate/v2/", {"prompt": "x" * 3001, "mv": "chirp-v3-5"}, 422, "prompt"),
        ("post", "/api/generate/v2/", {"continue_clip_id": "nope"}, 404, "not found"),
        ("get", "/api/clip/nope", None, 404, "clip nope not found"),
        ("get", "/api/generate/lyrics/nope", None, 404, "not found"),
        ("get", "/api/feed/?page=x", None, 422, "page"),
        ("post", "/api/generate/concat/v2/", {}, 422, "clip_id"),
        ("post", "/api/gen/nope/set_visibility/", {"is_public": True}, 404, "not found"),
        ("get", "/api/gen/nope/aligned_lyrics/v2/", None, 404, "not found"),
        ("post", "/api/edit/stems/nope", None, 404, "not found"),
        ("get", "/api/generate/nothing-here", None, 404, "Not Found"),
    ],
)
def test_errors_are_detail(
    app: InProcessApp, method: str, path: str, body: Any, status: int, detail: str
) -> None:
    reply = app.client.request(method, path, json=body, headers=login(app))
    assert reply.status_code == status, reply.text
    assert list(reply.json()) == ["detail"] and detail in reply.json()["detail"]


def test_the_other_dialects_keep_their_paths_and_errors(app: InProcessApp) -> None:
    """gcui's /api/clip and /api/generate, chat's /v1/, beside the studio's routes."""
    assert app.client.get("/api/clip", params={"id": "x"}).json() == {
        "error": "clip x not found",
        "field": "id",
    }
    assert "error" in app.client.post("/api/generate", json={}).json()
    chat = app.client.post("/v1/chat/completions", json={}).json()
    assert chat["error"]["param"] == "messages"
    assert "error" in app.client.get("/v1/nothing").json()
