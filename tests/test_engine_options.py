"""Engines and lyricists come from configuration: a "module:Class" spec and its options (JSON),
passed to the constructor as keyword arguments. A toy engine is one module in tests/support and
a few environment variables, and a real server renders with it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from openchirp.config import Settings
from openchirp.engines.composer.lyricist import LLMLyricist, OfflineLyricist
from openchirp.engines.registry import load_engine, make_lyricist
from tests.support.server import Server
from tests.support.toy_engine import ToyEngine

TOY = {"toy": "tests.support.toy_engine:ToyEngine"}


def test_options_reach_the_constructor_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCHIRP_ENGINES", json.dumps(TOY))
    monkeypatch.setenv("OPENCHIRP_ENGINE_OPTIONS", json.dumps({"toy": {"frequency": 330.0}}))
    settings = Settings()
    engine = load_engine("toy", settings)
    assert isinstance(engine, ToyEngine) and engine.frequency == 330.0 and engine.seconds == 1.0
    assert load_engine("toy", Settings()) is engine  # built once per process and options
    other = Settings(engines=TOY, engine_options={"toy": {"frequency": 220.0}})
    assert load_engine("toy", other).frequency == 220.0
    with pytest.raises(TypeError):  # an option the engine does not take is an error, not ignored
        load_engine("toy", Settings(engines=TOY, engine_options={"toy": {"device": "cuda"}}))


def test_the_soundfont_setting_is_a_composer_option() -> None:
    assert Settings().engine_options_for("composer") == {}
    assert Settings(soundfont="a.sf2").engine_options_for("composer") == {"soundfont": "a.sf2"}
    both = Settings(soundfont="a.sf2", engine_options={"composer": {"soundfont": "b.sf2"}})
    assert both.engine_options_for("composer") == {"soundfont": "b.sf2"}
    assert Settings(soundfont="a.sf2").engine_options_for("toy") == {}


def test_the_lyricist_is_a_spec_with_options() -> None:
    assert isinstance(make_lyricist(Settings()), OfflineLyricist)
    llm = make_lyricist(Settings(lyricist_url="http://127.0.0.1:9/v1/", lyricist_api_key="k"))
    assert isinstance(llm, LLMLyricist)
    assert (llm.base_url, llm.model, llm.api_key) == ("http://127.0.0.1:9/v1", "gpt-4o-mini", "k")
    spec = "openchirp.engines.composer.lyricist:LLMLyricist"
    named = make_lyricist(
        Settings(lyricist=spec, lyricist_options={"base_url": "http://h", "model": "m"})
    )
    assert isinstance(named, LLMLyricist) and (named.base_url, named.model) == ("http://h", "m")
    assert isinstance(
        make_lyricist(Settings(lyricist="offline", lyricist_url="http://h")), OfflineLyricist
    )


@pytest.mark.e2e
def test_a_server_renders_with_a_configured_toy_engine(tmp_path: Path) -> None:
    server = Server(
        tmp_path,
        f"sqlite:///{tmp_path / 'oc.db'}",
        OPENCHIRP_ENGINES=json.dumps(TOY),
        OPENCHIRP_DEFAULT_ENGINE="toy",
        OPENCHIRP_ENGINE_OPTIONS=json.dumps({"toy": {"frequency": 330.0, "seconds": 1.5}}),
    ).start()
    try:
        with server.client() as client:
            body = {"prompt": "[Verse]\nhum along", "tags": "drone", "title": "Toy"}
            ids = [c["id"] for c in client.post("/api/custom_generate", json=body).json()]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                clips = client.get("/api/get", params={"ids": ",".join(ids)}).json()
                if all(c["status"] in ("complete", "error") for c in clips):
                    break
                time.sleep(0.1)
    finally:
        server.stop()
    assert [c["status"] for c in clips] == ["complete", "complete"]
    assert [c["duration"] for c in clips] == [1.5, 1.5]  # the toy's `seconds` option
