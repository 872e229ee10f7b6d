"""Host check, CORS, Private Network Access, page headers, offline docs, key revocation, session
cookies, signed file URLs and per-request base URLs (issue 15, "Web and network exposure" and
"Files")."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openchirp.db import repo
from tests.support.inprocess import InProcessApp, inprocess_settings

EVIL = "http://evil.example"
FRIEND = "https://friend.example"
LYRICS = "[Verse]\nla la la"


@pytest.fixture
def friendly(tmp_path: Path) -> Iterator[InProcessApp]:
    settings = inprocess_settings(
        tmp_path / "data", cors_origins=[FRIEND], allowed_hosts=["box.lan"]
    )
    with InProcessApp(settings) as running:
        yield running


def make_key(app: InProcessApp, handle: str = "someone") -> str:
    with app.app.state.db.write() as conn:
        user = repo.ensure_user(conn, handle, handle)
        return repo.create_api_key(conn, user.id, "test")


def test_host_is_checked_on_loopback(friendly: InProcessApp) -> None:
    client = friendly.client
    for host in ("localhost:3000", "127.0.0.1:3000", "[::1]:3000", "testserver", "box.lan:8080"):
        assert client.get("/api/get_limit", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example", "evil.example:3000", "localhost:4000", "127.0.0.1.evil.example"):
        answer = client.get("/api/get_limit", headers={"Host": host})
        assert answer.status_code == 421, host
        assert answer.json()["field"] == "Host"


def test_cors_only_for_configured_origins(friendly: InProcessApp) -> None:
    client = friendly.client
    evil = client.get("/api/get_limit", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in evil.headers  # the browser hides the answer
    friend = client.get("/api/get_limit", headers={"Origin": FRIEND})
    assert friend.headers["access-control-allow-origin"] == FRIEND
    assert friend.headers["access-control-allow-credentials"] == "true"
    # Another origin holding a key may call the API (gcui's open CORS), without credentials.
    key = make_key(friendly)
    keyed = client.get("/api/get_limit", headers={"Origin": EVIL, "Authorization": f"Bearer {key}"})
    assert keyed.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in keyed.headers
    # Files are readable from anywhere, like a CDN.
    assert (
        client.get("/static/defaultOrange.jpg", headers={"Origin": EVIL}).headers[
            "access-control-allow-origin"
        ]
        == "*"
    )


def test_writes_from_other_origins_need_a_key(friendly: InProcessApp) -> None:
    client = friendly.client
    body = {"prompt": LYRICS, "tags": "pop"}
    # A no-cors fetch or a form post runs even when its answer is hidden: refuse it first.
    refused = client.post("/api/custom_generate", json=body, headers={"Origin": EVIL})
    assert refused.status_code == 403
    owner = friendly.app.state.auth.local_owner()
    with friendly.app.state.db.read() as conn:
        assert repo.library(conn, owner.id, page=0, page_size=20) == []
    assert client.post("/signin", data={"key": "x"}, headers={"Origin": EVIL}).status_code == 403
    assert (
        client.post("/api/custom_generate", json=body, headers={"Origin": "null"}).status_code
        == 403
    )
    same = client.post("/api/custom_generate", json=body, headers={"Origin": "http://testserver"})
    assert same.status_code == 200
    assert (
        client.post("/api/custom_generate", json=body, headers={"Origin": FRIEND}).status_code
        == 200
    )
    key = make_key(friendly)
    keyed = client.post(
        "/api/custom_generate",
        json=body,
        headers={"Origin": EVIL, "Authorization": f"Bearer {key}"},
    )
    assert keyed.status_code == 200


def preflight(app: InProcessApp, origin: str, **extra: str) -> Any:
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST", **extra}
    return app.client.options("/api/custom_generate", headers=headers)


def test_preflights_and_private_network_access(friendly: InProcessApp) -> None:
    assert (
        preflight(friendly, EVIL, **{"Access-Control-Request-Headers": "content-type"}).status_code
        == 403
    )
    keyed = preflight(
        friendly, EVIL, **{"Access-Control-Request-Headers": "authorization, content-type"}
    )
    assert keyed.status_code == 204 and keyed.headers["access-control-allow-origin"] == "*"
    pna = {"Access-Control-Request-Private-Network": "true"}
    assert (
        preflight(
            friendly, EVIL, **pna, **{"Access-Control-Request-Headers": "authorization"}
        ).status_code
        == 403
    )
    friend = preflight(
        friendly, FRIEND, **pna, **{"Access-Control-Request-Headers": "content-type"}
    )
    assert friend.status_code == 204
    assert friend.headers["access-control-allow-origin"] == FRIEND
    assert friend.headers["access-control-allow-private-network"] == "true"
    assert friend.headers["access-control-allow-credentials"] == "true"


def test_pages_send_security_headers(app: InProcessApp) -> None:
    page = app.client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert app.client.get("/signin").headers["content-security-policy"] == csp
    assert app.client.get("/api/get_limit").headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_use_local_assets(app: InProcessApp, path: str) -> None:
    page = app.client.get(path)
    assert page.status_code == 200
    assert not re.search(r"(src|href)=\"https?://", page.text), "a script or style from a CDN"
    assets = re.findall(r"(?:src|href)=\"(/docs-static/[^\"]+)\"", page.text)
    assert assets
    for asset in assets:
        answer = app.client.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 1000, asset
    csp = page.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.S)
    assert csp.count("'sha256-") == len(inline)
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"


def test_a_revoked_key_stops_within_a_second(tmp_path: Path) -> None:
    settings = inprocess_settings(tmp_path / "data", anonymous=False)
    with InProcessApp(settings) as running:
        key = make_key(running)
        headers = {"Authorization": f"Bearer {key}"}
        assert running.client.get("/api/get_limit", headers=headers).status_code == 200
        with running.app.state.db.write() as conn:
            assert repo.revoke_api_key(conn, key[:10]) == 1
        time.sleep(1.05)
        assert running.client.get("/api/get_limit", headers=headers).status_code == 401


def test_the_session_cookie_is_not_the_key(tmp_path: Path) -> None:
    settings = inprocess_settings(tmp_path / "data", anonymous=False)
    with InProcessApp(settings) as running:
        client = running.client
        key = make_key(running, "webuser")
        answer = client.post("/signin", data={"key": key}, follow_redirects=False)
        assert answer.status_code == 303
        cookie = client.cookies["openchirp_session"]
        assert key not in cookie and key[:10] not in cookie
        assert client.get("/").status_code == 200
        assert client.get("/api/get_limit").status_code == 200
        # A forged or altered cookie is no session.
        client.cookies.clear()
        client.cookies.set("openchirp_session", cookie[:-2] + "xx")
        assert client.get("/api/get_limit").status_code == 401
        client.cookies.clear()
        client.cookies.set("openchirp_session", key)  # the raw key in a cookie: not accepted
        assert client.get("/api/get_limit").status_code == 401
        # Revoking the key ends its sessions.
        client.cookies.clear()
        client.cookies.set("openchirp_session", cookie)
        assert client.get("/api/get_limit").status_code == 200
        with running.app.state.db.write() as conn:
            assert repo.revoke_api_key(conn, key[:10]) == 1
        time.sleep(1.05)
        assert client.get("/api/get_limit").status_code == 401


def test_the_secret_is_shared_by_processes(tmp_path: Path) -> None:
    first = inprocess_settings(tmp_path / "data")
    second = inprocess_settings(tmp_path / "data")
    assert first.secret == second.secret and len(first.secret) >= 32
    assert (tmp_path / "data" / "secret-key").stat().st_mode & 0o077 == 0


def complete_clip(app: InProcessApp, headers: dict[str, str]) -> dict[str, Any]:
    created = app.client.post(
        "/api/custom_generate", json={"prompt": LYRICS, "tags": "pop"}, headers=headers
    )
    assert created.status_code == 200, created.text
    app.drive()
    clip_id = created.json()[0]["id"]
    return app.client.get("/api/clip", params={"id": clip_id}, headers=headers).json()


def test_private_clips_get_signed_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = inprocess_settings(
        tmp_path / "data", signed_urls="on", signed_url_seconds=600, anonymous=False
    )
    with InProcessApp(settings) as running:
        client = running.client
        headers = {"Authorization": f"Bearer {make_key(running)}"}
        clip = complete_clip(running, headers)
        url = clip["audio_url"]
        assert re.search(r"\?exp=\d+&sig=[\w-]+$", url), url
        assert client.get(url).status_code == 200
        bare = url.split("?")[0]
        assert client.get(bare).status_code == 403
        assert client.get(bare, headers=headers).status_code == 200  # the owner's key
        other = {"Authorization": f"Bearer {make_key(running, 'other')}"}
        assert client.get(bare, headers=other).status_code == 403
        assert client.get(url[:-3] + "abc").status_code == 403
        wav = client.get("/api/get_wav", params={"id": clip["id"]}, headers=headers).json()
        assert "?exp=" in wav["wav_url"] and client.get(wav["wav_url"]).status_code == 200
        # Signed for one file only.
        image = clip["image_url"].split("?")[0]
        assert client.get(image + "?" + url.split("?")[1]).status_code == 403
        # A public clip's files need nothing.
        with running.app.state.db.write() as conn:
            repo.update_clip(conn, clip["id"], is_public=True)
        public = client.get("/api/clip", params={"id": clip["id"]}, headers=headers).json()
        assert "?" not in public["audio_url"]
        assert client.get(public["audio_url"]).status_code == 200
        with running.app.state.db.write() as conn:
            repo.update_clip(conn, clip["id"], is_public=False)

        # Polls served from the view cache: once half the lifetime has passed, the URLs are
        # signed anew, so a handed-out URL always has at least half of it left.
        first = client.get("/api/clip", params={"id": clip["id"]}, headers=headers).json()
        assert (
            first["audio_url"]
            == client.get("/api/clip", params={"id": clip["id"]}, headers=headers).json()[
                "audio_url"
            ]
        )
        exp = int(re.search(r"exp=(\d+)", first["audio_url"]).group(1))
        assert 300 <= exp - time.time() <= 600
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + 301)
        later = client.get("/api/clip", params={"id": clip["id"]}, headers=headers).json()
        later_exp = int(re.search(r"exp=(\d+)", later["audio_url"]).group(1))
        assert later_exp > exp and 300 <= later_exp - time.time() <= 600
        # And the old one expires.
        monkeypatch.setattr(time, "time", lambda: exp + 1.0)
        assert client.get(first["audio_url"]).status_code == 403


def test_urls_follow_the_request_host_when_bound_everywhere(tmp_path: Path) -> None:
    settings = inprocess_settings(tmp_path / "data", base_url=None, host="0.0.0.0", port=3000)
    with InProcessApp(settings) as running:
        client = running.client
        headers = {"Authorization": f"Bearer {make_key(running)}"}
        clip = complete_clip(running, headers)
        for host in ("box.lan:3000", "10.1.2.3:3000", "box.lan:3000"):
            seen = client.get(
                "/api/clip", params={"id": clip["id"]}, headers={**headers, "Host": host}
            ).json()
            assert seen["audio_url"].startswith(f"http://{host}/files/"), seen["audio_url"]
            assert seen["avatar_image_url"].startswith(f"http://{host}/")
            assert "?exp=" in seen["audio_url"]  # bound beyond loopback: private URLs signed


def test_serve_prints_the_owner_key_only_on_the_first_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from openchirp.cli import app as cli

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setenv("OPENCHIRP_DATA_DIR", str(tmp_path / "data"))
    args = ["serve", "--workers", "0", "--data-dir", str(tmp_path / "data")]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    key = (tmp_path / "data" / "owner-api-key").read_text().strip()
    assert key in first.output
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert key not in again.output
    assert "owner-api-key" in again.output
