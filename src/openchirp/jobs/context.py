"""What a job handler is given: settings, database, storage, and its lease."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from openchirp.config import Settings
from openchirp.core.clip import ClipStatus
from openchirp.db import queue, repo
from openchirp.db.database import Database
from openchirp.db.queue import Job
from openchirp.db.records import Clip
from openchirp.storage import Storage


class LeaseLost(Exception):
    """Another worker owns the job now: stop without touching it."""


@dataclass
class JobContext:
    settings: Settings
    db: Database
    storage: Storage
    job: Job
    lost: threading.Event = field(default_factory=threading.Event)

    def check_lease(self) -> None:
        if self.lost.is_set():
            raise LeaseLost(self.job.id)

    def finish(self, conn: Connection) -> None:
        """Mark the job done inside the caller's transaction, or roll it all back if not ours."""
        if not queue.finish(conn, self.job):
            raise LeaseLost(self.job.id)

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


def end_clip_in_error(conn: Connection, clip_id: str, error_type: str, message: str) -> None:
    row = repo.get_clip(conn, clip_id)
    if row is None or row.status == ClipStatus.COMPLETE:
        return
    meta = {**row.meta, "error_type": error_type, "error_message": message[:1000]}
    repo.update_clip(conn, clip_id, status=ClipStatus.ERROR, meta=meta)
