"""Which broker queue a job goes to, and which queues a worker consumes (no Celery import).

One queue per engine for renders (``render.composer``, ``render.acestep``), so a GPU worker takes
only neural renders; videos and stems share ``media``; every other kind has its own queue.
"""

from __future__ import annotations

from collections.abc import Iterable

from openchirp.config import DEFAULT_MODEL_ENGINES, Settings

MEDIA_KINDS = ("stems", "video")


def queue_name(kind: str, engine: str | None) -> str:
    if kind == "render":
        return f"render.{engine or 'composer'}"
    return "media" if kind in MEDIA_KINDS else kind


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
