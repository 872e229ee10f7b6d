"""A dialect added from the test suite (one module, named in the settings) beside the built-ins:
its create, its fast poll and its errors, in its own spellings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openchirp.app import create_app
from openchirp.config import Settings

LOCAL = "http://127.0.0.1:3000"
"""The app's default address: its Host check refuses TestClient's own "testserver"."""

TOY = "tests.dialects.toy_dialect:DIALECT"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("toy")
    settings = Settings(data_dir=Path(data), workers=0, dialects=[TOY])
    with TestClient(create_app(settings, start_workers=False), base_url=LOCAL) as client:
        yield client


def test_the_setting_reads_specs_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCHIRP_DIALECTS", f'["{TOY}"]')
    assert Settings().dialects == [TOY]


def test_create_and_poll_in_the_toy_shape(client: TestClient) -> None:
    created = client.post("/toy/songs", json={"words": "la la la", "style": "pop", "size": "big"})
    assert created.status_code == 200, created.text
    songs = created.json()["songs"]
    assert len(songs) == 2

    polled = client.get("/toy/songs", params={"ids": ",".join(songs)})
    assert polled.status_code == 200
    assert polled.json() == [
        {"song": song, "state": "submitted", "model": "chirp-fenix"} for song in songs
    ]
    # The built-in dialects still serve the same clips, in their own shapes.
    gcui = client.get("/api/get", params={"ids": songs[0]}).json()
    assert [c["model_name"] for c in gcui] == ["chirp-fenix"]


def test_errors_in_the_toy_shape_name_the_toy_field(client: TestClient) -> None:
    empty = client.post("/toy/songs", json={"words": "", "style": "pop"})
    assert empty.status_code == 422
    assert empty.json() == {
        "fault": "words (the lyrics) is required",
        "status": 422,
        "blame": "words",
    }

    too_long = client.post("/toy/songs", json={"words": "la", "style": "x" * 201})
    assert too_long.json() == {
        "fault": "style is 201 characters; the limit for chirp-v3-5 is 200",
        "status": 422,
        "blame": "style",
    }

    unknown = client.post("/toy/songs", json={"words": "la", "size": "v3.5"})
    assert unknown.status_code == 422  # the toy has its own model names only
    assert unknown.json()["blame"] == "size"
    assert unknown.json()["fault"].startswith("unknown model 'v3.5'")

    missing = client.post("/toy/songs", json={})
    assert missing.json() == {"fault": "words: Field required", "status": 422, "blame": "words"}

    poll = client.get("/toy/songs")
    assert poll.status_code == 422
    assert poll.json()["blame"] == "ids"

    nowhere = client.get("/toy/nothing")
    assert nowhere.status_code == 404
    assert nowhere.json() == {"fault": "Not Found", "status": 404, "blame": None}


def test_openapi_lists_the_toy_routes_and_polls_come_first(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["paths"]["/toy/songs"]["post"]["responses"]["422"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/ToyError"}
    # Every dialect's polls are matched before any other route (the document keeps that order).
    assert list(spec["paths"])[:5] == [
        "/api/get",
        "/api/v2/suno/{mv}/clips",
        "/api/feed/",
        "/api/feed/v2",
        "/toy/songs",
    ]


def test_create_app_serves_exactly_the_dialects_it_is_given(tmp_path: Path) -> None:
    from tests.dialects.toy_dialect import DIALECT

    settings = Settings(data_dir=tmp_path, workers=0)
    with TestClient(
        create_app(settings, start_workers=False, dialects=[DIALECT]), base_url=LOCAL
    ) as client:
        assert client.get("/toy/songs", params={"ids": "x"}).json() == []
        # No gcui routes; a stray path answers in the fallback (gcui) shape, as before.
        gone = client.post("/api/generate", json={"prompt": "a song"})
        assert gone.status_code == 404
        assert gone.json() == {"error": "Not Found", "field": None}
