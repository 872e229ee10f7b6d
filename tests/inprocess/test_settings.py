"""Settings: parsed from ``OPENCHIRP_*``, and what they derive (anonymous access, URLs, engines)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openchirp.config import DEFAULT_MODEL_ENGINES, Settings, is_loopback


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets: a developer's own OPENCHIRP_* must not leak in."""
    for name in list(os.environ):
        if name.startswith("OPENCHIRP_"):
            monkeypatch.delenv(name)


def test_environment_is_parsed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENCHIRP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENCHIRP_PORT", "8080")
    monkeypatch.setenv("OPENCHIRP_WORKERS", "3")
    monkeypatch.setenv("OPENCHIRP_MAKE_VIDEO", "false")
    monkeypatch.setenv("OPENCHIRP_MODEL_ENGINES", '{"chirp-v4": "neural"}')
    monkeypatch.setenv("OPENCHIRP_ENGINES", '{"neural": "pkg.mod:Neural"}')
    settings = Settings()
    assert settings.port == 8080 and settings.workers == 3 and settings.make_video is False
    assert settings.model_engines == {"chirp-v4": "neural"}
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'openchirp.db').resolve()}"
    assert settings.files_dir == tmp_path / "files"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_anonymous_only_on_loopback_unless_set(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert Settings(host=host).allow_anonymous is loopback
    assert Settings(host=host, anonymous=True).allow_anonymous is True
    assert Settings(host=host, anonymous=False).allow_anonymous is False


@pytest.mark.parametrize(
    ("values", "url"),
    [
        ({}, "http://127.0.0.1:3000"),
        ({"port": 8080}, "http://127.0.0.1:8080"),
        ({"host": "0.0.0.0", "port": 80}, "http://127.0.0.1:80"),
        ({"host": "::1"}, "http://[::1]:3000"),
        ({"host": "10.0.0.5"}, "http://10.0.0.5:3000"),
        ({"base_url": "https://music.example.org/"}, "https://music.example.org"),
        ({"base_url": "https://x.example/chirp", "port": 1}, "https://x.example/chirp"),
    ],
)
def test_public_base_url(values: dict, url: str) -> None:
    assert Settings(**values).public_base_url == url


def test_engine_mapping() -> None:
    default = Settings()
    assert all(default.engine_for_model(m) == "composer" for m in DEFAULT_MODEL_ENGINES)
    assert default.engine_for_model("no-such-model") == "composer"
    assert default.engine_spec("composer").endswith(":ComposerEngine")

    mapped = Settings(model_engines={"chirp-v4": "neural"}, engines={"neural": "pkg.mod:Neural"})
    assert mapped.engine_for_model("chirp-v4") == "neural"
    assert mapped.engine_for_model("chirp-v3-5") == "composer"
    assert mapped.engine_spec("neural") == "pkg.mod:Neural"
    assert mapped.engine_spec("other.mod:Engine") == "other.mod:Engine"
    with pytest.raises(KeyError):
        mapped.engine_spec("unknown")

    tone = "tests.support.tone_engine:ToneEngine"
    forced = Settings(default_engine=tone, model_engines=mapped.model_engines)
    assert {forced.engine_for_model(m) for m in ("chirp-v4", "chirp-v3-5")} == {tone}
