"""``/metrics`` in Prometheus text format (needs the ``scale`` extra's prometheus-client).

Two sources, chosen so that many API processes and many workers on many machines need no
shared metrics store: job figures (queue depth per queue and kind; jobs started, completed and
failed per kind; render seconds, audio seconds and real-time factor per engine; each GPU
worker's device memory per engine, as it last reported it) are read from the database at
scrape time, so any API process reports the same figures for the whole cluster.
Request latency per route is this process's own (a histogram kept in memory), as usual for
Prometheus, which scrapes each API process as its own target.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openchirp.db import stats
from openchirp.db.database import Database
from openchirp.db.dispatch import queue_name


class JobsCollector(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        with self.db.read() as conn:
            pending = stats.pending_by_kind(conn)
            kinds = stats.by_kind(conn)
            renders = stats.renders_by_engine(conn)
            memory = stats.device_memory_by_worker(conn)
        depth = GaugeMetricFamily(
            "openchirp_queue_depth", "Jobs waiting, per queue and kind", labels=["queue", "kind"]
        )
        per_queue: dict[tuple[str, str], int] = {}
        for (kind, engine), n in pending.items():
            key = (queue_name(kind, engine), kind)
            per_queue[key] = per_queue.get(key, 0) + n
        for (queue, kind), n in sorted(per_queue.items()):
            depth.add_metric([queue, kind], n)
        yield depth
        for name, field, text in (
            ("openchirp_jobs_started", "started", "Job attempts begun, per kind"),
            ("openchirp_jobs_completed", "completed", "Jobs done, per kind"),
            ("openchirp_jobs_failed", "failed", "Jobs failed for good (out of attempts)"),
        ):
            family = CounterMetricFamily(name, text, labels=["kind"])
            for kind, counts in sorted(kinds.items()):
                family.add_metric([kind], getattr(counts, field))
            yield family
        total = CounterMetricFamily(
            "openchirp_renders", "Renders finished, per engine", labels=["engine"]
        )
        seconds = CounterMetricFamily(
            "openchirp_render_seconds", "Seconds spent rendering, per engine", labels=["engine"]
        )
        audio = CounterMetricFamily(
            "openchirp_render_audio_seconds", "Seconds of audio rendered", labels=["engine"]
        )
        factor = GaugeMetricFamily(
            "openchirp_render_realtime_factor",
            "Audio seconds per render second (above 1: faster than real time)",
            labels=["engine"],
        )
        for engine, r in sorted(renders.items()):
            total.add_metric([engine], r.renders)
            seconds.add_metric([engine], r.render_seconds)
            audio.add_metric([engine], r.audio_seconds)
            if r.render_seconds > 0:
                factor.add_metric([engine], r.audio_seconds / r.render_seconds)
        yield from (total, seconds, audio, factor)
        device = GaugeMetricFamily(
            "openchirp_engine_device_memory_bytes",
            "Device memory of a worker's model engine, as the worker last reported it "
            "(kind: allocated, reserved, peak, free, total on a GPU; peak_rss on a CPU)",
            labels=["worker", "engine", "kind"],
        )
        for (worker, engine, kind), value in sorted(memory.items()):
            device.add_metric([worker, engine, kind], value)
        yield device


class RequestTimer:
    """Plain ASGI (not BaseHTTPMiddleware): streamed responses pass through untouched. The route
    template is read after the call, from the scope the router filled in."""

    def __init__(self, app: ASGIApp, latency: Histogram) -> None:
        self.app = app
        self.latency = latency
        # Labelled children by (method, route, status): ``labels()`` checks and locks on every
        # call, a measurable share of a cached poll's few hundred microseconds.
        self._children: dict[tuple[str, str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            path = getattr(scope.get("route"), "path", None) or "unmatched"
            key = (scope["method"], path, status["code"])
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = self.latency.labels(key[0], path, str(key[2]))
            child.observe(time.perf_counter() - started)


def install(app: FastAPI, db: Database) -> None:
    """Add /metrics and the request-latency middleware to ``app``."""
    registry = CollectorRegistry()
    registry.register(JobsCollector(db))
    latency = Histogram(
        "openchirp_request_seconds",
        "Request latency of this API process, per route",
        ["method", "route", "status"],
        registry=registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 100),
    )

    app.add_middleware(RequestTimer, latency=latency)

    router = APIRouter()

    @router.get("/metrics", tags=["server"], include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
