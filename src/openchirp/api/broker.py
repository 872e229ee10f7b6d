"""Whether the job queue's broker answers (for /readyz)."""

from __future__ import annotations

from openchirp.config import Settings

TIMEOUT_S = 2.0


def broker_ready(settings: Settings) -> bool:
    """True when the broker of ``OPENCHIRP_QUEUE_URL`` accepts a connection within two seconds,
    or when no queue URL is set (the embedded queue lives in the database, checked apart)."""
    if not settings.queue_url:
        return True
    from kombu import Connection

    try:
        with Connection(settings.queue_url, connect_timeout=TIMEOUT_S) as conn:
            conn.ensure_connection(max_retries=1, timeout=TIMEOUT_S)
        return True
    except Exception:  # noqa: BLE001 - any failure to connect means "not ready"
        return False
