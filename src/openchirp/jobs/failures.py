"""What a failed job tells whom: clients get a short message and an error type, the job's
``last_error`` and the log get the details.

An exception's text names paths, hosts and internals: it is for operators, never for a clip's
``error_message``. A full disk is not worth retrying on the same disk: it fails the job at once
(its clip ends in ``error`` within seconds, not after three tries with backoff).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from openchirp.db.database import is_disk_full
from openchirp.engines.base import EngineError

PUBLIC_MESSAGE_LENGTH = 300


@dataclass(frozen=True)
class Failure:
    error_type: str
    message: str
    """For clients: short, no paths, no exception text (an engine's own EngineError aside)."""
    detail: str
    """For the job's ``last_error`` and the log."""
    retry: bool
    """Whether another attempt could succeed."""


def classify(exc: BaseException) -> Failure:
    detail = f"{type(exc).__name__}: {exc}"
    if is_disk_full(exc):
        return Failure(
            "disk_full",
            "the server ran out of disk space while making this song; try again later",
            detail,
            retry=False,
        )
    if isinstance(exc, EngineError):
        # An engine raises EngineError with a reason meant for the user.
        message = (str(exc).strip().splitlines() or ["the engine could not make this song"])[0]
        return Failure(exc.error_type, message[:PUBLIC_MESSAGE_LENGTH], detail, retry=exc.retry)
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return Failure(
            "storage_unwritable",
            "the server could not write this song's files",
            detail,
            retry=True,
        )
    return Failure(
        "render_failed",
        "the song could not be made because of an internal error",
        detail,
        retry=True,
    )
