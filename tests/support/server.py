"""Start a real `openchirp serve` process on a free port, and talk HTTP to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("OPENCHIRP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TONE = "tests.support.tone_engine:ToneEngine"

PROCESSES_ALLOWED: bool | None = None
"""Whether the running test is marked ``e2e`` (set by tests/conftest.py before each test; None
outside pytest, for the benches): a test that starts a process unmarked fails, so the fast lane
(``-m "not e2e"``) can never start one."""


def check_marked_e2e() -> None:
    if PROCESSES_ALLOWED is False:
        raise RuntimeError(
            "this test starts a server process: mark it e2e (pytestmark = pytest.mark.e2e)"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


class PgDatabase:
    """A fresh PostgreSQL database for one test run, dropped afterwards."""

    def __init__(self) -> None:
        self.name = f"oc_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        base = PG_ADMIN.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"

    def drop(self) -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def database_url(kind: str, data_dir: Path) -> tuple[str, PgDatabase | None]:
    if kind == "postgres":
        pg = PgDatabase()
        return pg.url, pg
    return f"sqlite:///{data_dir / 'openchirp.db'}", None


class Server:
    def __init__(self, data_dir: Path, database_url: str, **env: Any) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            # This checkout's code first (a git worktree shares the venv of another checkout).
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
            "OPENCHIRP_DATA_DIR": str(data_dir),
            "OPENCHIRP_DATABASE_URL": database_url,
            "OPENCHIRP_PORT": str(self.port),
            "OPENCHIRP_DEFAULT_ENGINE": TONE,
            "OPENCHIRP_WORKERS": "2",
            "OPENCHIRP_MAKE_VIDEO": "false",
            "OPENCHIRP_LEASE_SECONDS": "4",
            "OPENCHIRP_HEARTBEAT_SECONDS": "0.5",
            "OPENCHIRP_WAIT_AUDIO_TIMEOUT": "30",
            "TONE_STATE_DIR": str(data_dir),
            **{k: str(v) for k, v in env.items()},
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / f"server-{self.port}.log"

    def start(self, timeout: float = 60.0) -> Server:
        check_marked_e2e()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "openchirp", "serve"],
                env=self.env,
                cwd=self.data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs (the workers die with it)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def cli(self, *args: str) -> str:
        check_marked_e2e()
        result = subprocess.run(
            [sys.executable, "-m", "openchirp", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            cwd=self.data_dir,
        )
        return result.stdout.strip()

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def wait_for(
    client: httpx.Client,
    ids: list[str],
    statuses: tuple[str, ...] = ("complete",),
    timeout: float = 60.0,
) -> list[dict[str, Any]]:
    """Poll gcui's /api/get until every clip is in one of ``statuses`` (or error)."""
    deadline = time.monotonic() + timeout
    while True:
        clips = client.get("/api/get", params={"ids": ",".join(ids)}).json()
        if all(c["status"] in (*statuses, "error") for c in clips) and len(clips) == len(ids):
            return clips
        if time.monotonic() > deadline:
            raise TimeoutError(f"clips not {statuses}: {[(c['id'], c['status']) for c in clips]}")
        time.sleep(0.1)
