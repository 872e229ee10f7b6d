from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import Server, database_url, pg_available

BACKENDS = ["sqlite", "postgres"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if pg_available():
        return
    if os.environ.get("OPENCHIRP_REQUIRE_PG"):
        raise pytest.UsageError("OPENCHIRP_REQUIRE_PG is set but PostgreSQL is not reachable")
    skip = pytest.mark.skip(reason="PostgreSQL is not reachable on 127.0.0.1:5432")
    for item in items:
        if "postgres" in item.keywords or "[postgres" in item.nodeid:
            item.add_marker(skip)


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
