"""A worker: claim a job, keep its lease alive, run its handler, record the outcome.

Failures are recorded against the job: it is tried again until ``max_attempts``, after which its
clip ends in ``error`` with a type and a message. A worker that dies leaves its lease to expire;
any worker re-queues expired leases when it starts and every few seconds after.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from openchirp.config import Settings
from openchirp.db import queue
from openchirp.db.database import Database
from openchirp.db.queue import Filter, Job
from openchirp.jobs import device
from openchirp.jobs.callbacks import deliver, delivery_failed
from openchirp.jobs.concat import concat_clip
from openchirp.jobs.context import (
    Expected,
    JobContext,
    LeaseLost,
    Preempted,
    end_clip_in_error,
)
from openchirp.jobs.failures import Failure, classify
from openchirp.jobs.lyrics import lyrics_failed, lyrics_job
from openchirp.jobs.render import render_clip
from openchirp.jobs.stems import stem_clip
from openchirp.jobs.video import video_clip, video_failed
from openchirp.storage import Storage, clip_key, make_storage

log = logging.getLogger("openchirp.worker")


@dataclass(frozen=True)
class Retry:
    """How often a job is tried and how long it waits between tries."""

    attempts: int
    delay_s: float = 1.0
    """The wait after the first failure."""
    backoff: float = 1.0
    """Each later wait is this many times the one before."""

    def delay_after(self, attempt: int) -> float:
        return self.delay_s * self.backoff ** max(0, attempt - 1)


def default_retry(settings: Settings) -> Retry:
    return Retry(settings.max_attempts)


def callback_retry(settings: Settings) -> Retry:
    return Retry(settings.callback_attempts, settings.callback_retry_delay_s, backoff=3.0)


@dataclass(frozen=True)
class JobKind:
    run: Callable[[JobContext], None]
    failed: Callable[[Connection, str, str, str], None]
    """Called with (conn, subject id, error type, message) when the job is out of attempts."""
    retry: Callable[[Settings], Retry] = default_retry


KINDS: dict[str, JobKind] = {
    "render": JobKind(render_clip, end_clip_in_error),
    "concat": JobKind(concat_clip, end_clip_in_error),
    "stems": JobKind(stem_clip, end_clip_in_error),
    "video": JobKind(video_clip, video_failed),
    "lyrics": JobKind(lyrics_job, lyrics_failed),
    "callback": JobKind(deliver, delivery_failed, callback_retry),
}
CLIP_KINDS = frozenset({"render", "concat", "stems"})
"""Kinds whose files are all the clip's own until it completes: a failed attempt's are removed."""
EXPIRE_EVERY_S = 2.0


MAX_LOOP_BACKOFF_S = 5.0


def loop_backoff(errors: int, poll_seconds: float) -> float:
    """Seconds to wait after ``errors`` loop failures in a row: doubling, up to 5 s."""
    return min(MAX_LOOP_BACKOFF_S, max(poll_seconds, 0.1) * 2 ** min(errors, 10))


class Worker:
    def __init__(
        self,
        settings: Settings,
        db: Database | None = None,
        storage: Storage | None = None,
        name: str | None = None,
        *,
        kinds: tuple[str, ...] | None = None,
        engines: tuple[str, ...] | None = None,
    ) -> None:
        """``kinds`` and ``engines`` limit what this worker claims (None: every kind, every
        engine); a render job is claimed only when its engine is among ``engines``."""
        unknown = set(kinds or ()) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown job kinds {sorted(unknown)}; known: {sorted(KINDS)}")
        self.allowed = Filter(kinds or tuple(KINDS), engines)
        self.settings = settings
        self.db = db or Database(settings.resolved_database_url)
        self.storage = storage or make_storage(settings)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self) % 10000}"
        self._last_expire = 0.0

    def expire(self) -> None:
        with self.db.write() as conn:
            attempts = {name: k.retry(self.settings).attempts for name, k in KINDS.items()}
            for _job_id, kind, subject in queue.expire_leases(
                conn, max_attempts=self.settings.max_attempts, per_kind=attempts
            ):
                KINDS[kind].failed(
                    conn,
                    subject,
                    "worker_lost",
                    f"the worker died {attempts.get(kind)} times on this job",
                )
        self._last_expire = time.monotonic()

    def run_once(self) -> bool:
        """Claim and run at most one job; False when there was nothing to do."""
        if time.monotonic() - self._last_expire > EXPIRE_EVERY_S:
            self.expire()
        with self.db.read() as conn:
            if not queue.has_runnable(conn, self.allowed):
                return False
        with self.db.write() as conn:
            job = queue.claim(conn, self.name, self.settings.lease_seconds, self.allowed)
        if job is None:
            return False
        self.run(job)
        return True

    def run(self, job: Job) -> None:
        ctx = JobContext(self.settings, self.db, self.storage, job, self.allowed)
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(ctx, done), daemon=True)
        beat.start()
        try:
            KINDS[job.kind].run(ctx)
        except LeaseLost:
            log.warning("lost the lease of job %s (%s); leaving it", job.id, job.kind)
        except Preempted:
            with self.db.write() as conn:
                queue.release(conn, job)
            log.info("handed job %s (%s) back: more urgent work waits", job.id, job.kind)
        except Expected as exc:
            log.warning("job %s (%s) failed on attempt %d: %s", job.id, job.kind, job.attempts, exc)
            detail = f"{type(exc).__name__}: {exc}"
            self._record_failure(job, Failure("expected", detail, detail, retry=True))
        except Exception as exc:  # noqa: BLE001 - every failure is recorded against the job
            failure = classify(exc)
            if job.kind in CLIP_KINDS:
                # Partial files go first: on a full disk they are what frees room to record it.
                self.storage.workspace.discard(clip_key(job.subject_id, ""))
            if failure.retry:
                log.error(
                    "job %s (%s) failed on attempt %d: %s\n%s",
                    job.id,
                    job.kind,
                    job.attempts,
                    failure.detail,
                    traceback.format_exc(),
                )
            else:  # one line: the cause is known, the traceback would say nothing more
                log.error(
                    "job %s (%s) failed on attempt %d, not retried: %s",
                    job.id,
                    job.kind,
                    job.attempts,
                    failure.detail,
                )
            self._record_failure(job, failure)
        finally:
            done.set()
            beat.join()

    def _record_failure(self, job: Job, failure: Failure) -> None:
        retry = KINDS[job.kind].retry(self.settings)
        # A failure not worth retrying (a full disk) is the last attempt.
        attempts = retry.attempts if failure.retry else job.attempts
        with self.db.write() as conn:
            state = queue.fail(
                conn,
                job,
                failure.detail,
                max_attempts=attempts,
                retry_delay=retry.delay_after(job.attempts),
            )
            if state == "failed":
                KINDS[job.kind].failed(conn, job.subject_id, failure.error_type, failure.message)

    def _heartbeat(self, ctx: JobContext, done: threading.Event) -> None:
        while not done.wait(self.settings.heartbeat_seconds):
            for each in (ctx, *ctx.companions):  # the jobs run alongside it have leases too
                if each.lost.is_set():
                    continue
                try:
                    with self.db.write() as conn:
                        if not queue.heartbeat(conn, each.job, self.settings.lease_seconds):
                            each.lost.set()
                except Exception:  # noqa: BLE001 - a missed beat is retried; the lease has slack
                    log.exception("heartbeat failed for job %s", each.job.id)

    def engines_to_load(self, configured: set[str]) -> set[str]:
        """The engines this worker runs: those it is limited to, else every configured one;
        none when it renders nothing."""
        if "render" not in (self.allowed.kinds or ()):
            return set()
        return configured if self.allowed.engines is None else set(self.allowed.engines)

    def engines_to_warm(self) -> list[str]:
        """The engines this worker's jobs may need."""
        from openchirp.config import DEFAULT_MODEL_ENGINES

        names = {self.settings.engine_for_model(m) for m in DEFAULT_MODEL_ENGINES}
        names |= set(self.settings.model_engines.values())
        return sorted(self.engines_to_load(names))

    def warm_up(self, name: str) -> None:
        """Load an engine ahead of its first job (a SoundFont or a model can take seconds); the
        registry keeps it for the jobs. Nothing is compiled here: ``openchirp warm-up`` filled
        numba's cache with the composer's kernels at install."""
        from openchirp.engines.registry import load_engine

        started = time.monotonic()
        try:
            engine = load_engine(name, self.settings)
        except Exception:  # noqa: BLE001 - its jobs will fail with the reason; keep serving
            log.exception("engine %s could not be loaded", name)
        else:
            log.info("engine %s ready in %.1f s", name, time.monotonic() - started)
            device.report(self.db, self.name, name, engine)  # its model's memory, in /metrics

    def run_forever(self, stop: Callable[[], bool]) -> None:
        """Claim jobs until ``stop()``. Engines are warmed one at a time while there is nothing
        to do, never before a job that is waiting: that job loads only the engine it needs (as
        the warming would have), and a worker serving several engines does not hold the first
        song back while it loads the others."""
        log.info("worker %s started", self.name)
        self.expire()
        cold = self.engines_to_warm()
        errors = 0
        while not stop():
            try:
                busy = self.run_once()
            except Exception as exc:  # noqa: BLE001 - the database may be briefly unavailable
                errors += 1
                delay = loop_backoff(errors, self.settings.poll_seconds)
                if errors == 1:
                    log.exception("worker loop error; retrying in %.1f s", delay)
                else:  # one line per failure: a full disk once logged 18 tracebacks a second
                    log.error(
                        "worker loop error %d in a row, retrying in %.1f s: %s: %s",
                        errors,
                        delay,
                        type(exc).__name__,
                        str(exc).splitlines()[0] if str(exc) else "",
                    )
                time.sleep(delay)
                continue
            if errors:
                log.info("worker loop recovered after %d errors", errors)
                errors = 0
            if busy:
                continue
            if cold:
                self.warm_up(cold.pop(0))
            else:
                device.refresh(self.db, self.name)
                time.sleep(self.settings.poll_seconds)
        device.forget(self.db, self.name)
        log.info("worker %s stopped", self.name)
