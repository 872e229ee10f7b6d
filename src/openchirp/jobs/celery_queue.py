"""The distributed job queue on Celery (``OPENCHIRP_QUEUE_URL``: Redis or RabbitMQ).

The database stays the source of truth (db/dispatch.py): the service enqueues a jobs row in its
own transaction as always; after the commit, :class:`Publisher` sends one message per job to the
job's queue (jobs/routing.py). The task ``openchirp.run_job(job_id)`` claims exactly that row with
a lease and runs it through the same :class:`~openchirp.jobs.worker.Worker` as the embedded
queue, so completion stays fenced: a message delivered twice finds its job running or done and is
acknowledged. Each worker process also sweeps: it re-queues expired leases (a killed worker) and
publishes pending jobs that have no message out (retries, hand-backs, a publish that never
happened), so nothing is lost between the database and the broker.

Messages are acknowledged late, requeued when a worker process is lost, and prefetched one at a
time; the broker's visibility timeout is longer than any render. Imported only when a queue URL
is configured.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from celery import Celery, signals

from openchirp import logs
from openchirp.config import Settings
from openchirp.db import dispatch
from openchirp.db.database import Database, Enqueued
from openchirp.db.queue import PRIORITIES
from openchirp.db.repo import utcnow
from openchirp.jobs.routing import broker_priority, configured_engines, worker_queues
from openchirp.jobs.worker import KINDS, Worker

log = logging.getLogger("openchirp.celery")
TASK = "openchirp.run_job"
WARM_UP_TIMEOUT_S = 600.0
SWEEP_GRACE_S = 2.0
"""A new job is the enqueuing process's to publish for this long before a sweeper does it."""


def make_celery(settings: Settings) -> Celery:
    assert settings.queue_url, "the Celery queue needs OPENCHIRP_QUEUE_URL"
    app = Celery("openchirp", broker=settings.queue_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_queue_max_priority=10,
        task_default_priority=5,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.queue_visibility_timeout,
            # Redis: a worker empties its queues in the order given (run_worker lists them by
            # job priority: lyrics, then renders, then media); RabbitMQ uses message priority.
            "queue_order_strategy": "priority",
            "priority_steps": list(range(10)),
            "sep": ":",
        },
        worker_hijack_root_logger=False,
        # A pool process loads its engines before it reports up (a model can take minutes).
        worker_proc_alive_timeout=WARM_UP_TIMEOUT_S,
        worker_send_task_events=False,
        worker_enable_remote_control=False,
    )
    app.task(name=TASK, ignore_result=True)(run_job)
    return app


class Publisher:
    """Database.write's after-commit hook: one message per enqueued job, then the outbox mark.

    A failed publish (broker down) is logged, not raised: the job is committed, and a worker's
    sweeper publishes it once the broker is back."""

    def __init__(self, settings: Settings, db: Database, app: Celery | None = None) -> None:
        self.settings = settings
        self.db = db
        self.app = app or make_celery(settings)

    def __call__(self, enqueued: list[Enqueued]) -> None:
        as_of = utcnow()
        sent = []
        for job_id, kind, engine, priority in enqueued:
            try:
                self.send(dispatch.Dispatch(job_id, kind, engine, priority))
            except Exception:  # noqa: BLE001 - the sweeper publishes it later
                log.exception("could not publish job %s; a sweeper will", job_id)
            else:
                sent.append(job_id)
        if sent:
            with self.db.write() as conn:
                dispatch.mark_dispatched(conn, sent, as_of)

    def send(self, job: dispatch.Dispatch) -> None:
        self.app.send_task(
            TASK,
            args=[job.job_id],
            kwargs={"request_id": logs.request_id.get()},
            queue=dispatch.queue_name(job.kind, job.engine),
            priority=broker_priority(job.priority, self.settings.queue_url or ""),
        )


def attach(settings: Settings, db: Database) -> Publisher:
    """Publish every job this database handle enqueues (the API's, a worker's)."""
    publisher = Publisher(settings, db)
    db.after_commit.append(publisher)
    return publisher


class _Process:
    """What one worker process holds: its Worker (database, storage, filter) and publisher."""

    worker: Worker | None = None
    publisher: Publisher | None = None
    settings: Settings | None = None
    kinds: tuple[str, ...] | None = None
    engines: tuple[str, ...] | None = None


_state = _Process()


def run_job(job_id: str, request_id: str | None = None) -> str:
    """Claim this job and run it; "skipped" when it is not pending (a duplicate delivery)."""
    worker = _process_worker()
    settings = worker.settings
    with worker.db.write() as conn:
        job = dispatch.claim_job(conn, job_id, worker.name, settings.lease_seconds)
    if job is None:
        return "skipped"
    rid, jid = logs.request_id.set(request_id), logs.job_id.set(job_id)
    try:
        log.info("running %s job %s (attempt %d)", job.kind, job_id, job.attempts)
        worker.run(job)
    finally:
        logs.request_id.reset(rid)
        logs.job_id.reset(jid)
    return "ran"


def _process_worker() -> Worker:
    if _state.worker is None:
        assert _state.settings is not None, "run_worker() sets the settings before the pool starts"
        settings = _state.settings
        worker = Worker(
            settings,
            name=f"{socket.gethostname()}:{os.getpid()}:celery",
            kinds=_state.kinds,
            engines=_state.engines,
        )
        _state.publisher = attach(settings, worker.db)  # videos a render queues
        _state.worker = worker
    return _state.worker


def sweep(worker: Worker, publisher: Publisher) -> int:
    """Re-queue expired leases, then publish the pending jobs that need a message."""
    worker.expire()
    settings = worker.settings
    with worker.db.write() as conn:
        due = dispatch.take_undispatched(
            conn,
            grace_seconds=SWEEP_GRACE_S,
            redispatch_seconds=settings.queue_redispatch_seconds,
        )
    for job in due:
        publisher.send(job)
    return len(due)


def _sweep_forever(stop: threading.Event) -> None:
    worker = _process_worker()
    assert _state.publisher is not None
    while not stop.wait(worker.settings.queue_sweep_seconds):
        try:
            if n := sweep(worker, _state.publisher):
                log.info("published %d job(s) that had no message out", n)
        except Exception:  # noqa: BLE001 - the database or broker may be briefly unavailable
            log.exception("sweep failed")


_stop_sweeping = threading.Event()


@signals.worker_process_init.connect
def _start_process(**_kwargs: object) -> None:
    """In each pool process: its own database handle (never one inherited across fork), warm
    engines, and the sweeper."""
    if _state.settings is None:
        return
    worker = _process_worker()
    for name in worker.engines_to_warm():
        worker.warm_up(name)
    threading.Thread(target=_sweep_forever, args=(_stop_sweeping,), daemon=True).start()


@signals.worker_process_shutdown.connect
def _stop_process(**_kwargs: object) -> None:
    _stop_sweeping.set()


def run_worker(
    settings: Settings,
    *,
    concurrency: int,
    kinds: tuple[str, ...] | None,
    engines: tuple[str, ...] | None,
) -> None:
    """``openchirp worker`` with a queue URL: a Celery worker (prefork, ``concurrency``
    processes) consuming the queues of ``kinds`` and ``engines``. SIGTERM is Celery's warm
    shutdown: running jobs finish; SIGKILL leaves them to the lease and the late ack."""
    _state.settings, _state.kinds, _state.engines = settings, kinds, engines
    by_priority = sorted(kinds or tuple(KINDS), key=lambda k: -PRIORITIES.get(k, 0))
    queues = worker_queues(by_priority, engines or configured_engines(settings))
    log.info("consuming %s", ", ".join(queues))
    app = make_celery(settings)
    app.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            f"--hostname=openchirp-{os.getpid()}@{socket.gethostname()}",
            "--queues",
            ",".join(queues),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
