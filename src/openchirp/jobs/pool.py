"""The embedded worker pool: worker processes started and stopped with the server.

Processes, not threads: rendering is CPU-bound. They are spawned (not forked) so they do not
inherit the server's event loop, and they die with their parent (PR_SET_PDEATHSIG, plus a parent
check), so a killed server leaves no orphan holding leases.

A supervisor thread replaces a worker that dies (its job's lease expires and another worker
takes the job over): at once the first time, with a doubling delay while it keeps dying soon
after starting. ``live()`` counts the workers that are up and claiming jobs, for readiness.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from typing import Any

from openchirp.config import Settings

log = logging.getLogger("openchirp.pool")
PR_SET_PDEATHSIG = 1
SUPERVISE_S = 0.25
"""How often the supervisor looks for dead workers."""
STEADY_S = 30.0
"""A worker that ran this long before dying is restarted at once (its backoff starts over)."""
MAX_RESTART_DELAY_S = 60.0


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
    ready: Any = None,
) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from openchirp.jobs.worker import Worker

    settings = Settings(**settings_data)
    name = f"{os.uname().nodename}:{os.getpid()}:{index}"
    worker = Worker(settings, name=name, kinds=kinds, engines=engines)
    if ready is not None:
        ready.set()
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
        self._data = self.settings.model_dump(mode="json")
        self._slots = [_Slot() for _ in range(self.size)]
        for index in range(self.size):
            self._spawn(index)
        self._supervisor = threading.Thread(
            target=self._supervise, name="openchirp-pool-supervisor", daemon=True
        )
        self._supervisor.start()
        log.info("started %d worker processes", self.size)

    def _spawn(self, index: int) -> None:
        slot = self._slots[index]
        slot.ready = self._ctx.Event()
        proc = self._ctx.Process(
            target=_worker_main,
            name=f"openchirp-worker-{index}",
            args=(
                self._data,
                self._stop,
                os.getpid(),
                index,
                self.kinds,
                self.engines,
                slot.ready,
            ),
            daemon=True,
        )
        proc.start()
        slot.proc = proc
        slot.started = time.monotonic()
        if len(self._procs) <= index:
            self._procs.append(proc)
        else:
            self._procs[index] = proc

    def _supervise(self) -> None:
        while not self._stop.wait(SUPERVISE_S):
            now = time.monotonic()
            for index, slot in enumerate(self._slots):
                if slot.proc is None or slot.proc.is_alive():
                    continue
                if slot.restart_at is None:
                    ran = now - slot.started
                    slot.deaths = 1 if ran >= STEADY_S else slot.deaths + 1
                    delay = restart_delay(slot.deaths)
                    slot.restart_at = now + delay
                    log.warning(
                        "worker %d (pid %s) died with exit code %s after %.1f s; "
                        "restarting it in %.1f s",
                        index,
                        slot.proc.pid,
                        slot.proc.exitcode,
                        ran,
                        delay,
                    )
                if now >= slot.restart_at and not self._stop.is_set():
                    slot.restart_at = None
                    self._spawn(index)

    def live(self) -> int:
        """Workers up and claiming jobs (started, not dead, not yet being replaced)."""
        return sum(
            1
            for slot in getattr(self, "_slots", ())
            if slot.proc is not None
            and slot.proc.is_alive()
            and slot.ready is not None
            and slot.ready.is_set()
        )

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        supervisor = getattr(self, "_supervisor", None)
        if supervisor is not None:
            supervisor.join(timeout)
        for proc in self._procs:
            proc.join(timeout)
            if proc.is_alive():
                proc.terminate()
                proc.join(2)
        self._procs.clear()


class _Slot:
    """One worker place in the pool: its current process and how often it died lately."""

    def __init__(self) -> None:
        self.proc: Any = None
        self.ready: Any = None
        self.started = 0.0
        self.deaths = 0
        self.restart_at: float | None = None


def restart_delay(deaths: int) -> float:
    """Seconds before restarting a worker that died ``deaths`` times in a row soon after
    starting: none the first time, then 1, 2, 4 ... up to a minute."""
    if deaths <= 1:
        return 0.0
    return min(MAX_RESTART_DELAY_S, 2.0 ** (deaths - 2))
