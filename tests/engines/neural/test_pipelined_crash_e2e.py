"""A pipelined GPU worker killed mid-chain loses nothing: ``openchirp worker --engines acestep``
(real process, tiny random model) is killed outright while it runs batches back to back; the
jobs it had claimed ahead come back when their leases expire, a second worker makes them, and
every clip completes exactly once."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.neural import ACESTEP_MODEL, acestep_env, require_neural, tiny_acestep
from tests.support.server import Server, wait_for

require_neural()
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CREATES = 4


def start_worker(server: Server, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "openchirp", "worker", "--engines", "acestep"],
        env=server.env,
        cwd=server.data_dir,
        stdout=open(log, "ab"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )


def counts(db: Path) -> tuple[int, int]:
    """(complete clips, render jobs claimed or done)."""
    with sqlite3.connect(db) as conn:
        done = conn.execute("SELECT count(*) FROM clips WHERE status = 'complete'").fetchone()[0]
        taken = conn.execute(
            "SELECT count(*) FROM jobs WHERE kind = 'render' AND state != 'pending'"
        ).fetchone()[0]
    return int(done), int(taken)


def test_a_worker_killed_between_pipelined_batches_loses_no_clip(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    model_dir = tiny_acestep(tmp_path_factory)
    env = {
        **acestep_env(model_dir, max_batch=2, duration_s=2.0, steps=4),
        "OPENCHIRP_DEFAULT_ENGINE": "",
        "OPENCHIRP_WORKERS": "0",
        "OPENCHIRP_LEASE_SECONDS": "4",
        "OPENCHIRP_HEARTBEAT_SECONDS": "1",
    }
    data = tmp_path / "data"
    server = Server(data, f"sqlite:///{data / 'oc.db'}", **env).start()
    try:
        body = {"prompt": "[Verse]\nla la", "tags": "pop", "model": ACESTEP_MODEL}
        with server.client() as client:
            ids = [
                c["id"]
                for _ in range(CREATES)
                for c in client.post("/api/custom_generate", json=body).json()
            ]
            first = start_worker(server, data / "worker-1.log")
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:  # one batch written, the next claimed ahead
                done, taken = counts(data / "oc.db")
                if done >= 2 and taken > done:
                    break
                time.sleep(0.02)
            first.send_signal(signal.SIGKILL)
            first.wait(30)
            assert 2 <= done < len(ids) and taken > done, (done, taken)
            second = start_worker(server, data / "worker-2.log")
            try:
                clips = wait_for(client, ids, timeout=240)
            finally:
                second.send_signal(signal.SIGTERM)
                second.wait(60)
        assert [c["status"] for c in clips] == ["complete"] * len(ids), clips
        with sqlite3.connect(data / "oc.db") as conn:
            made = dict(conn.execute("SELECT id, completions FROM clips").fetchall())
            states = {s for (s,) in conn.execute("SELECT state FROM jobs WHERE kind = 'render'")}
        assert {made[i] for i in ids} == {1}  # none completed twice
        assert states == {"done"}
    finally:
        server.stop()
