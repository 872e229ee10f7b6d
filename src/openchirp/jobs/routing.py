"""Which queues a worker consumes, and a job's priority on the broker (no Celery import).

A job's queue: db/dispatch.queue_name (one per engine for renders, ``media``, one per other kind).
"""

from __future__ import annotations

from collections.abc import Iterable

from openchirp.config import DEFAULT_MODEL_ENGINES, Settings
from openchirp.db.dispatch import queue_name


def worker_queues(kinds: Iterable[str], engines: Iterable[str]) -> list[str]:
    """The queues of these job kinds, renders only of these engines."""
    names: list[str] = []
    for kind in kinds:
        wanted = (
            [queue_name(kind, e) for e in engines] if kind == "render" else [queue_name(kind, None)]
        )
        names += [n for n in wanted if n not in names]
    return names


def broker_priority(priority: int, broker_url: str) -> int:
    """A job's priority (db/queue.PRIORITIES, 10..40) on the broker's 0..9 scale: RabbitMQ runs
    higher numbers first, Celery's Redis transport lower ones."""
    step = max(0, min(9, priority // 5))
    return 9 - step if broker_url.startswith(("redis", "rediss")) else step


def configured_engines(settings: Settings) -> list[str]:
    """Every engine a model maps to: what a worker not limited by ``--engines`` renders."""
    names = {settings.engine_for_model(m) for m in DEFAULT_MODEL_ENGINES}
    return sorted(names | set(settings.model_engines.values()))
