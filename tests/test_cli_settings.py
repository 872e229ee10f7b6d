"""The admin commands beside a running server open its database, whatever their environment:
`openchirp serve` writes the settings it resolved into data/server.json."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.server import REPO, Server

pytestmark = pytest.mark.e2e


def test_keys_list_finds_the_servers_database(server: Server, tmp_path) -> None:
    made = server.cli("keys", "create", "shared", "--user", "settings-user")
    assert made.startswith("oc_")
    # A shell with none of the server's settings, in another folder: only DATA_DIR (as `make run`
    # takes it). On PostgreSQL the database URL comes from the server's server.json.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCHIRP_")}
    env["PYTHONPATH"] = str(REPO / "src")
    env["DATA_DIR"] = str(server.data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "openchirp", "keys", "list"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "settings-user" in result.stdout
    shown = server.database_url.removeprefix("sqlite:///")
    assert result.stderr.strip().splitlines() == [f"database: {shown}"]
    assert not (tmp_path / "data").exists()
