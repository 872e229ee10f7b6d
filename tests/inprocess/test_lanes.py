"""The fast lane cannot start a server process: the e2e marker is enforced, not a convention."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import E2E_FIXTURES
from tests.support.server import Server


def test_an_unmarked_test_cannot_start_a_server(tmp_path: Path) -> None:
    server = Server(tmp_path, f"sqlite:///{tmp_path / 'oc.db'}")
    with pytest.raises(RuntimeError, match="mark it e2e"):
        server.start()
    assert server.proc is None
    with pytest.raises(RuntimeError, match="mark it e2e"):
        server.cli("keys", "list")


def test_tests_using_a_server_fixture_are_marked_e2e(request: pytest.FixtureRequest) -> None:
    items = request.session.items
    for item in items:
        if E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            assert item.get_closest_marker("e2e"), item.nodeid
    assert request.node.get_closest_marker("e2e") is None
