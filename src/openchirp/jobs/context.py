"""What a job handler is given: settings, database, storage, and its lease."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from openchirp.config import Settings
from openchirp.core import callbacks
from openchirp.core.clip import ClipStatus
from openchirp.db import queue, repo
from openchirp.db.database import Database
from openchirp.db.queue import ANY, Filter, Job
from openchirp.db.records import Clip
from openchirp.storage import Storage, clip_key

PREEMPT_CHECK_S = 0.25
"""How often a yielding job looks for more urgent work: one indexed read at most this often."""


class LeaseLost(Exception):
    """Another worker owns the job now: stop without touching it."""


class Expected(Exception):
    """A failure that is part of the job's work (a callback receiver said no): recorded and
    retried like any other, logged without a traceback."""


class Preempted(Exception):
    """A more urgent job waits: hand this one back to the queue (no attempt used, no error)."""


@dataclass
class JobContext:
    settings: Settings
    db: Database
    storage: Storage
    job: Job
    allowed: Filter = ANY
    """What this worker may claim: a job yields only to work its worker can take."""
    lost: threading.Event = field(default_factory=threading.Event)
    companions: list[JobContext] = field(default_factory=list)
    """Jobs this one runs alongside itself (a render's sibling clips): the worker keeps their
    leases alive too, each its own."""
    _next_check: float = field(default=0.0, init=False)

    def check_lease(self) -> None:
        if self.lost.is_set():
            raise LeaseLost(self.job.id)

    def yield_if_needed(self) -> None:
        """Call between chunks of low-priority work (videos, stems): raises :class:`Preempted`
        when a job of a higher priority is runnable and unclaimed, so the worker takes it."""
        self.check_lease()
        now = time.monotonic()
        if not self.settings.preempt or now < self._next_check:
            return
        self._next_check = now + PREEMPT_CHECK_S
        with self.db.read() as conn:
            if queue.has_runnable(conn, self.allowed, above=self.job.priority):
                raise Preempted(self.job.id)

    def finish(self, conn: Connection) -> None:
        """Mark the job done inside the caller's transaction, or roll it all back if not ours."""
        if not queue.finish(conn, self.job):
            raise LeaseLost(self.job.id)

    def companion(self, job: Job) -> JobContext:
        """A context for a job claimed alongside this one (same worker, its own lease)."""
        ctx = JobContext(self.settings, self.db, self.storage, job, self.allowed)
        self.companions.append(ctx)
        return ctx

    def clip(self) -> Clip:
        with self.db.read() as conn:
            row = repo.get_clip(conn, self.job.subject_id)
        if row is None:
            raise LookupError(f"clip {self.job.subject_id} is gone")
        return row

    def set_clip(self, **values: Any) -> None:
        """Update the clip while we still hold the lease (a lost lease changes nothing)."""
        with self.db.write() as conn:
            if not queue.still_owned(conn, self.job):
                raise LeaseLost(self.job.id)
            repo.update_clip(conn, self.job.subject_id, **values)


def start_clip(ctx: JobContext, clip: Clip) -> None:
    """Mark a clip's job started without moving its status backwards for a poller: a new clip
    goes to ``queued``; a retried one that was already ``streaming`` stays so, and the files its
    failed attempt left are removed, so its stream restarts cleanly (a reader of the old file
    sees it gone and stops) instead of the clip going back to ``queued``."""
    if clip.status == ClipStatus.SUBMITTED:
        ctx.set_clip(status=ClipStatus.QUEUED)
        return
    ctx.check_lease()
    with ctx.db.read() as conn:
        if not queue.still_owned(conn, ctx.job):
            raise LeaseLost(ctx.job.id)
    ctx.storage.workspace.discard(clip_key(clip.id, ""))


def end_clip_in_error(conn: Connection, clip_id: str, error_type: str, message: str) -> None:
    row = repo.get_clip(conn, clip_id)
    if row is None or row.status == ClipStatus.COMPLETE:
        return
    meta = {**row.meta, "error_type": error_type, "error_message": message[:1000]}
    repo.update_clip(conn, clip_id, status=ClipStatus.ERROR, meta=meta)
    callbacks.clip_failed(conn, row, message)
