"""Two lanes: the fast one runs the app in this process (``make test-fast``: ``-m "not e2e and
not slow"``); the ``e2e`` one starts real server processes and a browser, on SQLite and
PostgreSQL. A test that uses a server fixture is marked ``e2e`` here; one that starts a server
process some other way must be marked by hand, and fails if it is not
(:func:`tests.support.server.check_marked_e2e`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import server as server_support
from tests.support.inprocess import InProcessApp, inprocess_settings
from tests.support.server import Server, database_url, pg_available

BACKENDS = ["sqlite", "postgres"]
E2E_FIXTURES = frozenset({"server", "web_server", "browser", "page"})
"""Fixtures that start a server process or a browser: a test using one is end to end."""


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
    if pg_available():
        return
    if os.environ.get("OPENCHIRP_REQUIRE_PG"):
        raise pytest.UsageError("OPENCHIRP_REQUIRE_PG is set but PostgreSQL is not reachable")
    skip = pytest.mark.skip(reason="PostgreSQL is not reachable on 127.0.0.1:5432")
    for item in items:
        if "postgres" in item.keywords or "[postgres" in item.nodeid:
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)  # before the test's fixtures are set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    server_support.PROCESSES_ALLOWED = item.get_closest_marker("e2e") is not None


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running server with the tone engine and anonymous access (bound to loopback)."""
    data = tmp_path_factory.mktemp(f"server-{backend}")
    url, pg = database_url(backend, data)
    srv = Server(data, url).start()
    yield srv
    srv.stop()
    if pg:
        pg.drop()


def make_server(tmp: Path, backend: str, **env: object) -> tuple[Server, object]:
    url, pg = database_url(backend, tmp)
    return Server(tmp, url, **env), pg


@pytest.fixture
def app(tmp_path: Path) -> Iterator[InProcessApp]:
    """The app in this process on a fresh SQLite file, tone engine, jobs run by ``app.drive()``."""
    with InProcessApp(inprocess_settings(tmp_path / "data")) as running:
        yield running
