"""Reads and writes of callback deliveries, their attempts and the secrets that sign them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from openchirp.db.records import BatchRecord, CallbackAttempt, CallbackRecord, maybe, record
from openchirp.db.repo import hash_key, new_id, new_secret, utcnow
from openchirp.db.tables import api_keys, batches, callback_attempts, callbacks, users


def lock_batch(conn: Connection, batch_id: str) -> None:
    """Serialise stage decisions of one batch: both clips finish in their own transactions, and
    each must see the other's state (SQLite's BEGIN IMMEDIATE already serialises writers)."""
    if conn.dialect.name != "sqlite":
        conn.execute(select(batches.c.id).where(batches.c.id == batch_id).with_for_update())


def has_stage(conn: Connection, batch_id: str, stage: str) -> bool:
    query = select(callbacks.c.id).where(
        callbacks.c.batch_id == batch_id, callbacks.c.stage == stage
    )
    return conn.execute(query).first() is not None


def insert_delivery(
    conn: Connection, *, batch_id: str, stage: str, url: str, payload: dict[str, Any]
) -> str:
    delivery_id = new_id()
    conn.execute(
        callbacks.insert().values(
            id=delivery_id,
            batch_id=batch_id,
            stage=stage,
            url=url,
            payload=payload,
            state="pending",
            created_at=utcnow(),
        )
    )
    return delivery_id


def get_delivery(conn: Connection, delivery_id: str) -> CallbackRecord | None:
    row = conn.execute(select(callbacks).where(callbacks.c.id == delivery_id)).first()
    return maybe(CallbackRecord, row)


def set_state(conn: Connection, delivery_id: str, state: str) -> None:
    values: dict[str, Any] = {"state": state}
    if state == "delivered":
        values["delivered_at"] = utcnow()
    conn.execute(update(callbacks).where(callbacks.c.id == delivery_id).values(**values))


def record_attempt(
    conn: Connection,
    delivery: CallbackRecord,
    *,
    attempt: int,
    status_code: int | None,
    error: str | None,
    duration_ms: float,
    delivered: bool,
    at: datetime | None = None,
) -> None:
    conn.execute(
        callback_attempts.insert().values(
            id=new_id(),
            callback_id=delivery.id,
            batch_id=delivery.batch_id,
            stage=delivery.stage,
            url=delivery.url,
            attempt=attempt,
            status_code=status_code,
            error=None if error is None else error[:2000],
            duration_ms=round(duration_ms, 1),
            delivered=delivered,
            created_at=at or utcnow(),
        )
    )


def attempts_of_batch(conn: Connection, batch_id: str) -> list[CallbackAttempt]:
    query = (
        select(callback_attempts)
        .where(callback_attempts.c.batch_id == batch_id)
        .order_by(callback_attempts.c.created_at, callback_attempts.c.attempt)
    )
    return [record(CallbackAttempt, row) for row in conn.execute(query).all()]


def deliveries_of_batch(conn: Connection, batch_id: str) -> list[CallbackRecord]:
    query = (
        select(callbacks).where(callbacks.c.batch_id == batch_id).order_by(callbacks.c.created_at)
    )
    return [record(CallbackRecord, row) for row in conn.execute(query).all()]


def signing_secret(conn: Connection, batch: BatchRecord) -> str:
    """The secret that signs a batch's callbacks: its key's, else its user's (made now if the
    user has none yet; a key made before secrets existed got one in the migration)."""
    if batch.api_key_id is not None:
        query = select(api_keys.c.signing_secret).where(api_keys.c.id == batch.api_key_id)
        secret = conn.execute(query).scalar_one_or_none()
        if secret:
            return secret
    return user_secret(conn, batch.user_id)


def user_secret(conn: Connection, user_id: str) -> str:
    # Only fills an empty one, so two workers racing here agree on the first one written.
    conn.execute(
        update(users)
        .where(users.c.id == user_id, users.c.signing_secret.is_(None))
        .values(signing_secret=new_secret())
    )
    return conn.execute(select(users.c.signing_secret).where(users.c.id == user_id)).scalar_one()


def key_secret(conn: Connection, key_id_or_prefix: str) -> str | None:
    """The signing secret of an active key, by its id or its prefix (the oldest such key)."""
    query = (
        select(api_keys.c.signing_secret)
        .where(
            (api_keys.c.id == key_id_or_prefix) | (api_keys.c.prefix == key_id_or_prefix),
            api_keys.c.revoked_at.is_(None),
        )
        .order_by(api_keys.c.created_at)
    )
    return conn.execute(query).scalars().first()


def secret_of_key(conn: Connection, key: str) -> str | None:
    """The signing secret of a key given in clear."""
    query = select(api_keys.c.signing_secret).where(api_keys.c.key_hash == hash_key(key))
    return conn.execute(query).scalar_one_or_none()
