"""The FastAPI application: routers, middleware, and a lifespan that starts embedded workers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from openchirp import __version__
from openchirp.api import docs, errors, files, health, limits, pages, security
from openchirp.api.deps import Auth
from openchirp.api.dialects import registry
from openchirp.api.dialects.base import Dialect
from openchirp.api.request_id import RequestId
from openchirp.config import Settings
from openchirp.core.service import Artefacts, Service
from openchirp.db import repo
from openchirp.db.database import Database
from openchirp.db.migrate import upgrade
from openchirp.jobs.pool import WorkerPool
from openchirp.storage import make_storage


def create_app(
    settings: Settings | None = None,
    *,
    start_workers: bool = True,
    dialects: Sequence[Dialect] | None = None,
) -> FastAPI:
    """``dialects``: the client APIs to serve; by default the built-in ones and those named in
    ``OPENCHIRP_DIALECTS``."""
    settings = settings or Settings()
    db = Database(settings.resolved_database_url)
    storage = make_storage(settings)
    service = Service(settings, db, storage)
    if settings.queue_url:  # the service enqueues as always; the jobs also go to the broker
        from openchirp.jobs.celery_queue import attach

        attach(settings, db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade(db)
        with db.write() as conn:
            repo.ensure_user(conn, repo.LOCAL_HANDLE, "Local owner")
        engines = tuple(settings.worker_engines) or None
        pool = (
            WorkerPool(settings, engines=engines)
            if start_workers and settings.workers > 0
            else None
        )
        if pool:
            pool.start()
        app.state.pool = pool  # readiness counts its live workers (api/health.py)
        try:
            yield
        finally:
            if pool:
                pool.stop()
            db.dispose()

    app = FastAPI(
        title="OpenChirp",
        version=__version__,
        description="A self-hosted music generation server that speaks the Suno API.",
        lifespan=lifespan,
        docs_url=None,  # api/docs.py serves them from local assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.storage = storage
    app.state.service = service
    app.state.artefacts = Artefacts(service)
    app.state.auth = Auth(settings, service)
    # Web exposure (api/security.py): Host check, CORS, Private Network Access, page headers.
    security.install(app, settings)
    served = registry.Dialects(
        registry.configured(settings.dialects) if dialects is None else dialects
    )
    errors.install(app, served)
    health.install(app, served)  # creates say when no worker consumes the queue
    limits.install(app, served)  # outermost of ours: runs before any body is read
    served.include(app)  # first: the dialects' polls are matched before any other route
    for module in (files, pages, docs, health):
        app.include_router(module.router)

    _install_metrics(app, db)
    app.add_middleware(RequestId)  # outermost: the timer's and the routes' logs carry the id

    @app.get("/healthz", tags=["server"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def _install_metrics(app: FastAPI, db: Database) -> None:
    """/metrics when prometheus-client (the ``scale`` extra) is installed."""
    try:
        from openchirp.api import metrics
    except ImportError:
        return
    metrics.install(app, db)
