"""API keys, per-user isolation, anonymous access rules and monthly credits, end to end."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import make_server
from tests.support.server import Server, wait_for

pytestmark = pytest.mark.e2e

SONG = {"prompt": "[Verse]\nhello there", "tags": "pop", "title": "Hello"}


@pytest.fixture(scope="module")
def locked(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that requires keys, with 20 credits a month per user (two songs)."""
    srv, pg = make_server(
        tmp_path_factory.mktemp(f"locked-{backend}"),
        backend,
        OPENCHIRP_ANONYMOUS="false",
        OPENCHIRP_DEFAULT_MONTHLY_CREDITS="20",
    )
    srv.start()
    yield srv
    srv.stop()
    if pg:
        pg.drop()


def test_keys_are_required_and_checked(locked: Server) -> None:
    key = locked.cli("keys", "create", "ci", "--user", "alice")
    assert key.startswith("oc_") and len(key) > 30
    with httpx.Client(base_url=locked.url) as anonymous:
        response = anonymous.get("/api/get")
        assert response.status_code == 401 and "API key" in response.json()["error"]
        assert response.headers["www-authenticate"] == "Bearer"
        response = anonymous.get("/api/get", headers={"Authorization": "Bearer oc_wrong"})
        assert response.status_code == 401 and response.json()["error"] == "invalid API key"
        response = anonymous.get("/api/get", headers={"Authorization": "Basic abc"})
        assert response.status_code == 401
        response = anonymous.get(
            "/api/v2/suno/v3.5/clips?ids=x", headers={"Authorization": "Bearer nope"}
        )
        assert response.status_code == 401 and response.json()["code"] == 401
    with locked.client(key) as client:
        assert client.get("/api/get").status_code == 200
    # The key is stored hashed: the clear text is nowhere in the database file or listing.
    listing = locked.cli("keys", "list")
    assert "alice" in listing and key not in listing


def test_users_cannot_see_each_others_clips(locked: Server) -> None:
    alice = locked.cli("keys", "create", "a", "--user", "alice2")
    bob = locked.cli("keys", "create", "b", "--user", "bob2")
    with locked.client(alice) as a, locked.client(bob) as b:
        clips = a.post("/api/custom_generate", json=SONG).json()
        ids = [c["id"] for c in clips]
        wait_for(a, ids)
        assert b.get("/api/clip", params={"id": ids[0]}).status_code == 404
        assert b.get("/api/get", params={"ids": ",".join(ids)}).json() == []
        assert b.get("/api/v2/suno/v3.5/clips", params={"ids": ids[0]}).json()["clips"] == []
        assert ids[0] not in [c["id"] for c in b.get("/api/get").json()]
        response = b.post("/api/extend_audio", json={"audio_id": ids[0], "continue_at": 1})
        assert response.status_code == 404
        assert b.post("/api/concat", json={"clip_id": ids[0]}).status_code == 404
        # The owner sees them, with their handle.
        mine = a.get("/api/clip", params={"id": ids[0]}).json()
        assert mine["handle"] == "alice2"


def test_credits_run_out_and_nothing_is_queued(locked: Server) -> None:
    key = locked.cli("keys", "create", "c", "--user", "carol")
    with locked.client(key) as client:
        limits = client.get("/api/get_limit").json()
        assert limits == {
            "credits_left": 20,
            "period": "month",
            "monthly_limit": 20,
            "monthly_usage": 0,
        }
        assert client.post("/api/custom_generate", json=SONG).status_code == 200
        assert (
            client.post(
                "/api/v2/suno/v3.5/custom/create-lyrics-song",
                json={"prompt": "la la", "tags": "pop"},
            ).status_code
            == 200
        )
        library = [c["id"] for c in client.get("/api/get").json()]
        refused = client.post("/api/custom_generate", json=SONG)
        assert refused.status_code == 429
        assert "credits" in refused.json()["error"] and "0 left of 20" in refused.json()["error"]
        refused_a = client.post(
            "/api/v2/suno/v3.5/custom/create-lyrics-song", json={"prompt": "la la", "tags": "pop"}
        )
        assert refused_a.status_code == 429 and refused_a.json()["code"] == 429
        assert [c["id"] for c in client.get("/api/get").json()] == library
        assert client.get("/api/get_limit").json()["credits_left"] == 0
    # Raising the user's limit lets them create again.
    locked.cli("users", "set-limit", "carol", "30")
    with locked.client(key) as client:
        assert client.post("/api/custom_generate", json=SONG).status_code == 200


def test_unlimited_by_default(server: Server) -> None:
    with server.client() as client:
        limits = client.get("/api/get_limit").json()
        assert limits["monthly_limit"] == limits["credits_left"] == 2**31 - 1


def test_anonymous_is_the_local_owner_on_loopback(server: Server) -> None:
    with server.client() as client:
        clip = client.post("/api/custom_generate", json=SONG).json()[0]
        assert client.get("/api/clip", params={"id": clip["id"]}).json()["handle"] == "local"
        # gcui-art's clients send any bearer token they like (that API has no keys): where
        # anonymous access is allowed, an unknown one on a gcui route is the anonymous caller...
        response = client.get("/api/get", headers={"Authorization": "Bearer oc_bad"})
        assert response.status_code == 200 and clip["id"] in {c["id"] for c in response.json()}
        # ...while the other dialects refuse it, and a revoked key is refused everywhere.
        strict = client.get(
            "/api/v2/suno/v3.5/clips?ids=x", headers={"Authorization": "Bearer oc_bad"}
        )
        assert strict.status_code == 401
        key = server.cli("keys", "create", "gone", "--user", "ivan")
        server.cli("keys", "revoke", key[:10])
        revoked = client.get("/api/get", headers={"Authorization": f"Bearer {key}"})
        assert revoked.status_code == 401 and revoked.json()["error"] == "invalid API key"
