"""The app in this process: no server, no worker processes, jobs run when the test says so.

``InProcessApp`` builds the app on a fresh SQLite file with the tone engine and no embedded
workers, answers HTTP through FastAPI's TestClient (an ``httpx.Client`` that calls the ASGI app
directly), and runs queued jobs with a real :class:`~openchirp.jobs.worker.Worker` one at a time
(:meth:`InProcessApp.drive`), so a test decides exactly when work happens.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from openchirp.app import create_app
from openchirp.config import Settings
from openchirp.jobs.worker import Worker
from tests.support.server import TONE

BASE_URL = "http://testserver"
"""TestClient's own host: the clip URLs the app writes are reachable through the same client."""


def inprocess_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for the app in this process: tone engine, no embedded workers, quick leases."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "base_url": BASE_URL,
        "workers": 0,
        "default_engine": TONE,
        "make_video": False,
        "lease_seconds": 4.0,
        "heartbeat_seconds": 0.5,
        "poll_seconds": 0.02,
        "wait_audio_timeout": 30.0,
        **overrides,
    }
    return Settings(**values)


class InProcessApp:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings, start_workers=False)
        self.worker = Worker(settings, name="inprocess")
        self._client: TestClient | None = None

    @property
    def client(self) -> TestClient:
        assert self._client is not None, "use InProcessApp as a context manager"
        return self._client

    def __enter__(self) -> InProcessApp:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        # Entering the TestClient runs the lifespan: migrations and the local owner.
        self._client = TestClient(self.app, base_url=BASE_URL).__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._client is not None
        self._client.__exit__(*exc)
        self._client = None
        self.worker.db.dispose()

    def drive(self, limit: int = 100) -> int:
        """Run queued jobs one by one until none is runnable; how many ran. ``limit`` stops a
        job that keeps queueing others from looping forever."""
        ran = 0
        while self.worker.run_once():
            ran += 1
            if ran >= limit:
                raise RuntimeError(f"still jobs queued after {limit}")
        return ran

    @contextmanager
    def working(self) -> Iterator[None]:
        """Jobs run in a background thread meanwhile: for requests that wait for audio
        (``wait_audio``, chat completions) and so cannot be followed by :meth:`drive`."""
        stop = threading.Event()
        thread = threading.Thread(target=self.worker.run_forever, args=(stop.is_set,))
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(30)
