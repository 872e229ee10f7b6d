"""Idempotency keys of creates: which batch a (user, key) made, and from what request."""

from __future__ import annotations

from sqlalchemy import Connection, select

from openchirp.db.repo import utcnow
from openchirp.db.tables import idempotency_keys

MAX_KEY_LENGTH = 255


def find(conn: Connection, user_id: str, key: str) -> tuple[str, str] | None:
    """(fingerprint, batch id) of the create that used the key, or None."""
    row = conn.execute(
        select(idempotency_keys.c.fingerprint, idempotency_keys.c.batch_id).where(
            idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key
        )
    ).first()
    return None if row is None else (row.fingerprint, row.batch_id)


def remember(conn: Connection, user_id: str, key: str, fingerprint: str, batch_id: str) -> None:
    conn.execute(
        idempotency_keys.insert().values(
            user_id=user_id,
            key=key,
            fingerprint=fingerprint,
            batch_id=batch_id,
            created_at=utcnow(),
        )
    )
