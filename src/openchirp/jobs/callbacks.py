"""The ``callback`` job: post one stage of a batch to its callback URL, record the attempt.

A delivery that is not answered with a 2xx fails the job, and the queue tries it again later
(``callback_retry`` in jobs/worker.py: 5 tries, waits growing threefold); every try is recorded.
A URL that may not be called (a private address, a bad scheme) fails at once, for good.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection

from openchirp.db import callbacks, repo
from openchirp.jobs.callback_http import post
from openchirp.jobs.context import Expected, JobContext


class DeliveryFailed(Expected):
    """The receiver did not take the callback: the queue will try again."""


def deliver(ctx: JobContext) -> None:
    with ctx.db.write() as conn:
        delivery = callbacks.get_delivery(conn, ctx.job.subject_id)
        if delivery is None or delivery.state != "pending":
            ctx.finish(conn)
            return
        batch = repo.get_batch(conn, delivery.batch_id)
        secret = callbacks.signing_secret(conn, batch)
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    outcome = post(
        delivery.url,
        body,
        secret,
        timeout_s=ctx.settings.callback_timeout_s,
        allow_private=ctx.settings.callback_allow_private,
    )
    ctx.check_lease()
    with ctx.db.write() as conn:
        callbacks.record_attempt(
            conn,
            delivery,
            attempt=ctx.job.attempts,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            delivered=outcome.delivered,
        )
        if outcome.delivered or outcome.refused:
            ctx.finish(conn)
            callbacks.set_state(conn, delivery.id, "delivered" if outcome.delivered else "failed")
    if not (outcome.delivered or outcome.refused):
        raise DeliveryFailed(f"{delivery.stage} callback to {delivery.url}: {outcome.error}")


def delivery_failed(conn: Connection, delivery_id: str, _error_type: str, _message: str) -> None:
    """Out of tries: the delivery stays failed (its attempts say why)."""
    callbacks.set_state(conn, delivery_id, "failed")
