"""The embedded worker pool: worker processes started and stopped with the server.

Processes, not threads: rendering is CPU-bound. They are spawned (not forked) so they do not
inherit the server's event loop, and they die with their parent (PR_SET_PDEATHSIG, plus a parent
check), so a killed server leaves no orphan holding leases.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import signal
from typing import Any

from openchirp.config import Settings

log = logging.getLogger("openchirp.pool")
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not Linux: the parent check in the loop still stops us
        pass


def _worker_main(
    settings_data: dict[str, Any],
    stop: Any,
    parent_pid: int,
    index: int,
    kinds: tuple[str, ...] | None = None,
    engines: tuple[str, ...] | None = None,
) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from openchirp.jobs.worker import Worker

    settings = Settings(**settings_data)
    name = f"{os.uname().nodename}:{os.getpid()}:{index}"
    worker = Worker(settings, name=name, kinds=kinds, engines=engines)
    worker.run_forever(lambda: stop.is_set() or os.getppid() != parent_pid)


class WorkerPool:
    def __init__(
        self,
        settings: Settings,
        size: int | None = None,
        *,
        kinds: tuple[str, ...] | None = None,
        engines: tuple[str, ...] | None = None,
    ) -> None:
        """``kinds``, ``engines``: what the workers may claim (see :class:`Worker`)."""
        self.settings = settings
        self.kinds = kinds
        self.engines = engines
        self.size = settings.workers if size is None else size
        self._ctx = mp.get_context("spawn")
        self._stop = self._ctx.Event()
        self._procs: list[Any] = []

    def start(self) -> None:
        data = self.settings.model_dump(mode="json")
        for i in range(self.size):
            proc = self._ctx.Process(
                target=_worker_main,
                name=f"openchirp-worker-{i}",
                args=(data, self._stop, os.getpid(), i, self.kinds, self.engines),
                daemon=True,
            )
            proc.start()
            self._procs.append(proc)
        log.info("started %d worker processes", self.size)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for proc in self._procs:
            proc.join(timeout)
            if proc.is_alive():
                proc.terminate()
                proc.join(2)
        self._procs.clear()
