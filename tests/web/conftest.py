"""Browser fixtures: Debian's chromium driven by Playwright against a real server process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import REPO, Server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
# Long enough to watch a clip stream (16 blocks of 0.25 s at 0.06 s each), short enough to be quick.
TONE_ENV = {"TONE_SECONDS": "4", "TONE_BLOCK_DELAY": "0.06", "OPENCHIRP_MAKE_VIDEO": "true"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("OPENCHIRP_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"OPENCHIRP_REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: `make chromium` installs it")
    for item in items:
        if {"browser", "page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("web")
    server = Server(data, f"sqlite:///{data / 'openchirp.db'}", **TONE_ENV).start()
    yield server
    server.stop()


@pytest.fixture
def page(browser: Any, web_server: Server) -> Iterator[Any]:
    """A fresh browser context; any uncaught script error fails the test."""
    context = browser.new_context(base_url=web_server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(20_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def shot(page: Any, name: str, **kwargs: Any) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), **kwargs)
    return path
