"""Callbacks from a real server process (embedded workers), on SQLite and PostgreSQL: a key made
with the CLI signs them, its secret read back with ``openchirp keys secret``; a receiver that
fails twice gets each stage on the third try."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import make_server
from tests.support.callback_receiver import Receiver
from tests.support.server import Server

pytestmark = pytest.mark.e2e

SONG = {"prompt": "[Verse]\nSigned and sent", "tags": "pop", "title": "Posted"}


@pytest.fixture(scope="module")
def hooked(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv, pg = make_server(
        tmp_path_factory.mktemp(f"callbacks-{backend}"),
        backend,
        OPENCHIRP_CALLBACK_ALLOW_PRIVATE="1",
        OPENCHIRP_CALLBACK_RETRY_DELAY_S="0.1",
        OPENCHIRP_WORKERS="2",
    )
    srv.start()
    yield srv
    srv.stop()
    if pg:
        pg.drop()


def test_stages_are_signed_with_the_key_and_retried(hooked: Server) -> None:
    key = hooked.cli("keys", "create", "hooks", "--user", "hooker")
    secret = hooked.cli("keys", "secret", key[:10])
    assert secret.startswith("whsec_") and secret not in hooked.cli("keys", "list")
    with Receiver(secret=secret, fail_first=2) as receiver, hooked.client(key) as client:
        response = client.post(
            "/api/v2/suno/v3.5/custom/create-lyrics-song",
            json={**SONG, "callback_url": receiver.url},
        )
        assert response.status_code == 200, response.text
        task = response.json()["data"]["task_id"]
        got = receiver.wait_for(5, timeout=120)
    assert all(r.verified for r in got)
    # The first two posts were refused and tried again: each stage was taken exactly once
    # (two workers post at once, so the order of arrival is not fixed here: the in-process
    # tests check it).
    assert len(got) == 5
    assert sorted(r.stage for r in got[2:]) == ["complete", "first", "text"]
    assert {r.json["data"]["task_id"] for r in got} == {task}
    (complete,) = [r.json["data"]["data"] for r in got[2:] if r.stage == "complete"]
    assert len(complete) == 2 and all(c["audio_url"] for c in complete)


def test_the_local_owner_signs_with_its_own_secret(hooked: Server) -> None:
    secret = hooked.cli("keys", "secret")
    assert secret == hooked.cli("keys", "secret")  # made once, then kept
    with Receiver(secret=secret) as receiver, hooked.client() as client:
        body = {**SONG, "tags": "fail-always", "callback_url": receiver.url}
        clips = client.post("/api/custom_generate", json=body).json()
        assert len(clips) == 2
        got = receiver.wait_for(2, timeout=120)
    assert sorted(r.stage for r in got) == ["error", "text"] and all(r.verified for r in got)
