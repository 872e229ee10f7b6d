"""The built-in dialects: who answers an error, how each spells fields and models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openchirp.api.dialects import registry
from openchirp.api.dialects.base import Dialect
from openchirp.app import create_app
from openchirp.config import Settings
from openchirp.core.models import MODELS, resolve_model
from tests.dialects import toy_dialect

LOCAL = "http://127.0.0.1:3000"
"""The app's default address: its Host check refuses TestClient's own "testserver"."""

# Every model name clients could send before the spellings moved into the dialects.
SPELLINGS_BEFORE = {
    "v3": "chirp-v3-0",
    "v3.0": "chirp-v3-0",
    "v3_0": "chirp-v3-0",
    "chirp-v3": "chirp-v3-0",
    "v3.5": "chirp-v3-5",
    "v3_5": "chirp-v3-5",
    "v4": "chirp-v4",
    "v4.0": "chirp-v4",
    "v4.5": "chirp-auk",
    "v4_5": "chirp-auk",
    "v4.5-turbo": "chirp-auk-turbo",
    "v4.5+": "chirp-bluejay",
    "v4_5plus": "chirp-bluejay",
    "v4.5plus": "chirp-bluejay",
    "v5": "chirp-crow",
    "v5.0": "chirp-crow",
    "v5.5": "chirp-fenix",
    "v5_5": "chirp-fenix",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("dialects")), workers=0)
    with TestClient(create_app(settings, start_workers=False), base_url=LOCAL) as client:
        yield client


@pytest.mark.parametrize("dialect", registry.BUILTIN, ids=lambda d: d.name)
def test_every_builtin_dialect_keeps_every_model_spelling(dialect: Dialect) -> None:
    for spelling, key in SPELLINGS_BEFORE.items():
        for sent in (spelling, spelling.upper(), f" {spelling} "):
            assert dialect.resolve_model(sent) is MODELS[key], sent
    for key in MODELS:
        assert dialect.resolve_model(key.upper()) is MODELS[key]
    assert dialect.resolve_model(None) is dialect.resolve_model("") is MODELS["chirp-v3-5"]
    assert dialect.resolve_model("v9.9") is None
    assert dialect.model_key("V4_5PLUS") == "chirp-bluejay"
    assert dialect.model_key("v9.9") == "v9.9"  # the service refuses it, naming it
    assert dialect.model_key(None) is None


def test_the_canonical_table_alone_knows_keys_only() -> None:
    assert resolve_model("CHIRP-AUK") is MODELS["chirp-auk"]
    assert resolve_model("v4.5") is None
    assert resolve_model("big", toy_dialect.DIALECT.model_spellings) is MODELS["chirp-fenix"]


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/api/v2/nothing", 404, {"code": 404, "message": "Not Found", "data": None}),
        ("GET", "/api/v1/suno/x", 404, {"code": 404, "message": "Not Found", "data": None}),
        (
            "DELETE",
            "/api/v2/suno/v3.5/clips",
            405,
            {"code": 405, "message": "Method Not Allowed", "data": None},
        ),
        ("GET", "/api/nothing", 404, {"error": "Not Found", "field": None}),
        ("PUT", "/api/get", 405, {"error": "Method Not Allowed", "field": None}),
        (
            "GET",
            "/v1/models",
            404,
            {
                "error": {
                    "message": "Not Found",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": 404,
                }
            },
        ),
        # Outside every dialect: gcui's shape, as always.
        ("GET", "/nothing", 404, {"error": "Not Found", "field": None}),
        ("POST", "/healthz", 405, {"error": "Method Not Allowed", "field": None}),
    ],
)
def test_a_path_no_route_answers_gets_its_prefix_owners_shape(
    client: TestClient, method: str, path: str, status: int, body: dict[str, object]
) -> None:
    response = client.request(method, path)
    assert (response.status_code, response.json()) == (status, body)


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("POST", "/api/extend_audio", {"audio_id": "x"}, "audio_id"),
        ("POST", "/api/concat", {"clip_id": "x"}, "clip_id"),
        ("GET", "/api/clip?id=x", None, "id"),
        ("GET", "/api/get_aligned_lyrics?song_id=x", None, "song_id"),
        ("POST", "/api/generate_stems", {"audio_id": "x"}, "audio_id"),
        ("GET", "/api/get_wav?id=x", None, "id"),
        ("GET", "/api/waveform?id=x", None, "id"),
    ],
)
def test_gcui_names_a_missing_clip_as_each_route_spells_it(
    client: TestClient, method: str, path: str, payload: object, field: str
) -> None:
    response = client.request(method, path, json=payload)
    assert (response.status_code, response.json()) == (
        404,
        {"error": "clip x not found", "field": field},
    )


def test_routes_outside_every_dialect_keep_gcuis_spelling(client: TestClient) -> None:
    response = client.get("/stream/x.mp3")
    assert response.json() == {"error": "clip x has no audio yet", "field": "audio_id"}


def test_sunoapi_com_names_its_fields(client: TestClient) -> None:
    base = "/api/v2/suno/v3.5"
    empty = client.post(f"{base}/custom/create-lyrics-song", json={"prompt": "", "tags": "x"})
    assert empty.json() == {"code": 422, "message": "prompt (the lyrics) is required", "data": None}
    bad_mv = client.get("/api/v2/suno/v9/clips", params={"ids": "x"})
    assert bad_mv.json()["message"] == "unknown model version 'v9' in the path (try v3.5, v4, v4.5)"


def test_the_chat_dialect_names_the_description_messages(client: TestClient) -> None:
    response = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": "x" * 201}]}
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "message": "messages is 201 characters; the limit for chirp-v3-5 is 200",
        "type": "invalid_request_error",
        "param": "messages",
        "code": 422,
    }


def test_two_dialects_cannot_claim_one_prefix() -> None:
    twin = Dialect(
        name="twin",
        prefixes=("/toy/",),
        error_model=toy_dialect.ToyError,
        error_body=toy_dialect.error_body,
        routers=(),
    )
    with pytest.raises(ValueError, match="both claim /toy/"):
        registry.Dialects([toy_dialect.DIALECT, twin])


@pytest.mark.parametrize(
    "spec", ["tests.dialects.toy_dialect", "tests.dialects.toy_dialect:router"]
)
def test_a_spec_must_name_a_dialect(spec: str) -> None:
    with pytest.raises(ValueError, match="must name a Dialect"):
        registry.load(spec)
