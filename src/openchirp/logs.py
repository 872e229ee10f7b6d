"""Logging setup: plain text, or JSON lines (``OPENCHIRP_LOG_FORMAT=json``) that carry the id of
the request being served, and of the job being run, so a job's lines join its request's."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str | None] = ContextVar("openchirp_request_id", default=None)
"""The request this code serves (set by the API's middleware, and by a worker for the job a
request queued)."""
job_id: ContextVar[str | None] = ContextVar("openchirp_job_id", default=None)

TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id.get()) is not None:
            line["request_id"] = rid
        if (jid := job_id.get()) is not None:
            line["job_id"] = jid
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Set the root logger's handler (and uvicorn's, which keep their own) to ``log_format``."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if log_format == "json":
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
            logger = logging.getLogger(name)
            logger.handlers[:] = []
            logger.propagate = True
