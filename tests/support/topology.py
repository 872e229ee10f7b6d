"""Several API processes and Celery workers on loopback, sharing one database and one broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis

from tests.support.server import Server, check_marked_e2e

REDIS = "redis://127.0.0.1:6379"
RABBIT = "amqp://guest:guest@127.0.0.1:5672//"


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def rabbit_available() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return True
    except OSError:
        return False


def broker_url(kind: str) -> tuple[str, Any]:
    """A Redis database of its own, emptied first; RabbitMQ's default vhost as it is (a message
    left by an earlier run names a job this database does not have: it is acknowledged and
    dropped, as any message for a job not pending)."""
    if kind == "redis":
        index = 1 + uuid.uuid4().int % 15
        client = redis.Redis.from_url(f"{REDIS}/{index}")
        client.flushdb()
        return f"{REDIS}/{index}", client
    return RABBIT, None


class Topology:
    def __init__(self, data_dir: Path, database_url: str, queue_url: str, **env: Any) -> None:
        self.data_dir = data_dir
        self.env = {
            "OPENCHIRP_QUEUE_URL": queue_url,
            "OPENCHIRP_WORKERS": "0",
            "OPENCHIRP_QUEUE_SWEEP_SECONDS": "0.5",
            **env,
        }
        self.apis = [Server(data_dir, database_url, **self.env) for _ in range(2)]
        self.workers: list[subprocess.Popen[bytes]] = []
        self.database_url = database_url
        self.s3: Any = None
        """The S3 server the files go to, when the test gave one (tests.support.s3)."""

    def start_apis(self) -> None:
        for api in self.apis:
            api.start()

    def start_workers(self, n: int, *args: str) -> None:
        check_marked_e2e()
        env = self.apis[0].env
        for _ in range(n):
            log = open(self.data_dir / f"worker-{len(self.workers)}.log", "ab")  # noqa: SIM115
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "openchirp", "worker", "--count", "1", *args],
                    env=env,
                    cwd=self.data_dir,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            log.close()

    def stop_workers(self, timeout: float = 30) -> None:
        """SIGTERM: Celery's warm shutdown (running jobs finish)."""
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.workers.clear()

    def kill_process_of(self, owner: str) -> int:
        """SIGKILL the worker process holding a lease (owner "host:pid:celery") and its parent,
        the Celery main process: the whole worker dies mid-render."""
        pid = int(owner.split(":")[1])
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        os.kill(pid, signal.SIGKILL)
        os.kill(parent, signal.SIGKILL)
        for proc in self.workers:
            if proc.pid == parent:
                proc.wait(10)
        self.workers = [p for p in self.workers if p.poll() is None]
        return pid

    def stop(self) -> None:
        self.stop_workers(timeout=10)
        for api in self.apis:
            api.stop()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-2500:]}" for p in sorted(self.data_dir.glob("*.log"))
        )


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)
