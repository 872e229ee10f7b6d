"""Suno's studio API (dialect D) end to end: a real server, real HTTP, and two published client
libraries of the studio API run unchanged (only their hard-coded hosts redirected, as each test
says)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_server
from tests.support.server import REPO, Server

pytestmark = pytest.mark.e2e

TOKEN_SECONDS = 3
CREDITS = 1000
LYRICS = "[Verse]\nStars they shine above me\nMoonlight softly glows"
SUNO_API_DIR = Path(sys.prefix) / "clients" / "suno-api"
"""Where ``make install-test`` puts suno-api (its package name, ``suno``, is SunoAI's too)."""


@pytest.fixture(scope="module")
def studio(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Short-lived tokens (so clients must renew) and a monthly allowance to count."""
    srv, pg = make_server(
        tmp_path_factory.mktemp(f"studio-{backend}"),
        backend,
        OPENCHIRP_STUDIO_TOKEN_SECONDS=str(TOKEN_SECONDS),
        OPENCHIRP_DEFAULT_MONTHLY_CREDITS=str(CREDITS),
    )
    srv.start()
    yield srv
    srv.stop()
    if pg:
        pg.drop()


class Studio:
    """What a studio client does: Clerk login with the key cookie, renewal on a 401."""

    def __init__(self, server: Server, key: str) -> None:
        self.http = httpx.Client(base_url=server.url, timeout=60)
        self.cookie = {"Cookie": f"__client={key}"}
        self.jwt = ""
        self.renewals = 0

    def renew(self) -> None:
        client = self.http.get(
            "/v1/client", params={"_clerk_js_version": "4.72.1"}, headers=self.cookie
        )
        sid = client.json()["response"]["last_active_session_id"]
        token = self.http.post(f"/v1/client/sessions/{sid}/tokens", headers=self.cookie)
        self.jwt = token.json()["jwt"]
        self.renewals += 1

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _ in range(2):
            # No token yet: the cookie alone, which the studio answers with a 401.
            auth = {"Authorization": f"Bearer {self.jwt}"} if self.jwt else self.cookie
            reply = self.http.request(method, path, headers=auth, **kwargs)
            if reply.status_code != 401:
                return reply
            assert reply.json() == {"detail": "Unauthorized"}
            self.renew()
        return reply

    def wait(self, ids: list[str], timeout: float = 90) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            clips = self.call("GET", "/api/feed/v2", params={"ids": ",".join(ids)}).json()["clips"]
            if all(c["status"] in ("complete", "error") for c in clips):
                return clips
            assert time.monotonic() < deadline, [c["status"] for c in clips]
            time.sleep(0.2)


def test_lifecycle_with_token_renewal(studio: Server) -> None:
    key = studio.cli("keys", "create", "studio", "--user", "erin")
    client = Studio(studio, key)
    batch = client.call(
        "POST",
        "/api/generate/v2/",
        json={"prompt": LYRICS, "tags": "folk", "title": "Stars", "mv": "chirp-v3-5"},
    ).json()
    assert batch["batch_size"] == 1 and len(batch["clips"]) == 2
    ids = [c["id"] for c in batch["clips"]]
    listed = client.call("GET", f"/api/feed/?ids={ids[0]}%2C{ids[1]}").json()
    assert [c["id"] for c in listed] == ids and {c["handle"] for c in listed} == {"erin"}
    done = client.wait(ids)
    assert [c["status"] for c in done] == ["complete", "complete"]
    audio = httpx.get(done[0]["audio_url"], follow_redirects=False)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"

    time.sleep(TOKEN_SECONDS + 1)  # the token expires: the next call is a 401, then renewed
    renewals = client.renewals
    billing = client.call("GET", "/api/billing/info/").json()
    assert client.renewals == renewals + 1
    assert billing == {
        "total_credits_left": CREDITS - 10,
        "period": None,
        "monthly_limit": CREDITS,
        "monthly_usage": 10,
    }

    extended = client.call(
        "POST",
        "/api/generate/v2-web/",
        json={"prompt": "[Verse]\nmore", "continue_clip_id": ids[0], "continue_at": 1.5},
    ).json()["clips"]
    ext = client.wait([c["id"] for c in extended])[0]
    assert ext["metadata"]["history"][0]["id"] == ids[0]
    whole = client.call("POST", "/api/generate/concat/v2/", json={"clip_id": ext["id"]}).json()
    assert whole["metadata"]["type"] == "concat"
    assert client.wait([whole["id"]])[0]["status"] == "complete"

    lyrics_id = client.call("POST", "/api/generate/lyrics/", json={"prompt": "the sea"}).json()[
        "id"
    ]
    deadline = time.monotonic() + 60
    while (lyrics := client.call("GET", f"/api/generate/lyrics/{lyrics_id}").json())[
        "status"
    ] != "complete":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert lyrics["text"] and lyrics["title"]

    words = client.call("GET", f"/api/gen/{ids[0]}/aligned_lyrics/v2/").json()
    assert words["aligned_words"][0]["word"]
    stems = client.call("POST", f"/api/edit/stems/{ids[0]}").json()["clips"]
    assert {c["metadata"]["stem_from_id"] for c in stems} == {ids[0]}
    assert client.call(
        "POST", f"/api/gen/{ids[0]}/set_visibility/", json={"is_public": True}
    ).json() == {"is_public": True}
    assert client.call("GET", f"/api/clip/{ids[0]}").json()["is_public"] is True
    library = client.call("GET", "/api/feed/", params={"page": 0}).json()
    assert set(ids) <= {c["id"] for c in library}


def test_errors_and_refusals(studio: Server) -> None:
    key = studio.cli("keys", "create", "revoked", "--user", "frank")
    client = Studio(studio, key)
    assert client.call("GET", "/api/clip/missing").json() == {"detail": "clip missing not found"}
    invalid = client.call("POST", "/api/generate/v2/", json={"prompt": "x", "mv": "chirp-v9"})
    assert invalid.status_code == 422 and "unknown model" in invalid.json()["detail"]
    studio.cli("keys", "revoke", key[:10])
    time.sleep(TOKEN_SECONDS + 1)  # the key cache forgets within seconds; the token expires
    with httpx.Client(base_url=studio.url) as http:
        deadline = time.monotonic() + 15
        while http.get("/v1/client", headers=client.cookie).json()["response"] is not None:
            assert time.monotonic() < deadline, "a revoked key still logs in"
            time.sleep(0.5)
        sid = http.get("/v1/client").json()["response"]["last_active_session_id"]
        refused = http.post(f"/v1/client/sessions/{sid}/tokens", headers=client.cookie)
        assert refused.status_code == 401 and refused.json()["errors"][0]["code"]
        expired = http.get("/api/feed/", headers={"Authorization": f"Bearer {client.jwt}"})
        assert expired.status_code == 401 and expired.json() == {"detail": "Unauthorized"}


def test_sunoai_library_unchanged(
    studio: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SunoAI 1.0.7 (Malith-Rukshan/Suno-API). It hard-codes its two hosts as the class
    attributes ``Suno.BASE_URL`` and ``Suno.CLERK_BASE_URL``: those two are patched to the server,
    nothing else. Extend and lyrics, which it has no method for, go through its own session."""
    import suno

    monkeypatch.setattr(suno.Suno, "BASE_URL", studio.url)
    monkeypatch.setattr(suno.Suno, "CLERK_BASE_URL", studio.url)
    pause = time.sleep
    monkeypatch.setattr(time, "sleep", lambda s: pause(min(s, 0.3)))  # its 1-6 s pauses
    key = studio.cli("keys", "create", "sunoai", "--user", "grace")
    client = suno.Suno(cookie=f"__client={key}", model_version=suno.ModelVersions.CHIRP_V3_5)
    assert client.get_credits().credits_left == CREDITS
    clips = client.generate(LYRICS, is_custom=True, tags="pop", title="Grace", wait_audio=True)
    assert len(clips) == 2 and {c.status for c in clips} <= {"streaming", "complete"}
    assert {c.handle for c in clips} == {"grace"}
    deadline = time.monotonic() + 90
    while True:
        done = client.get_songs([c.id for c in clips])
        if {c.status for c in done} == {"complete"}:
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    path = Path(client.download(done[0], path=str(tmp_path)))
    assert path.stat().st_size > 10_000 and path.read_bytes()[:3] in (b"ID3", b"\xff\xfb")
    assert client.get_song(done[1].id).metadata.duration > 0
    assert client.set_visibility(done[1].id, True) is True

    session = client.client  # the library's own requests session, with its bearer token
    client._keep_alive()
    extended = session.post(
        f"{suno.Suno.BASE_URL}/api/generate/v2/",
        json={
            "prompt": "[Verse]\non and on",
            "continue_clip_id": done[0].id,
            "continue_at": 1.0,
            "mv": "chirp-v3-5",
        },
    ).json()["clips"]
    assert extended[0]["metadata"]["history"][0]["id"] == done[0].id
    lyrics_id = session.post(
        f"{suno.Suno.BASE_URL}/api/generate/lyrics/", json={"prompt": "snow"}
    ).json()["id"]
    deadline = time.monotonic() + 60
    while (
        session.get(f"{suno.Suno.BASE_URL}/api/generate/lyrics/{lyrics_id}").json()["status"]
        != "complete"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    credits = client.get_credits()
    assert credits.credits_left == CREDITS - 20 and credits.monthly_usage == 20


def test_suno_api_library_unchanged(studio: Server) -> None:
    """suno-api 0.1.0 (curl_cffi), in its own process (tests/clients/suno_api_driver.py says how
    its hosts are redirected). Its studio calls start without a token: it renews on the 401."""
    assert (SUNO_API_DIR / "suno" / "suno.py").exists(), "run `make install-test`"
    key = studio.cli("keys", "create", "suno-api", "--user", "heidi")
    env = {"PYTHONPATH": f"{SUNO_API_DIR}:{REPO}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "tests/clients/suno_api_driver.py"),
            studio.url,
            f"__client={key}",
            str(TOKEN_SECONDS),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["credits_before"] == CREDITS and report["credits_after"] == CREDITS - 20
    assert report["statuses"] == ["complete", "complete"] and report["handles"] == [
        "heidi",
        "heidi",
    ]
    assert report["audio"][:2] == [200, "audio/mpeg"] and report["audio"][2] > 10_000
    assert len(report["library"]) == 2  # listed before the extend
    assert len(report["extended_history"]) == 1
    assert report["lyrics"] == ["complete", True, True]
    assert report["renewed_on_expiry"] and report["renewals"] >= 2
