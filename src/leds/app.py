"""The HTTP service: the REST API under ``/api/v1``."""


import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from pydantic import BaseModel

from leds import __version__
from leds.config import Settings, get_settings
from leds.db.engine import get_engine
from leds.domains import present

# Domains whose API routes are part of the service: each module has a module-level
# ``router`` (an APIRouter that declares the look-up dependency, leds.access.deps).  A domain
# that does not exist yet is skipped; a broken import inside one is not.
API_DOMAINS = (
    "leds.access.views",
    "leds.audit.views",
    "leds.matching.views",
    "leds.checks.views",
    "leds.search.views",
    "leds.persons.views",
    "leds.records.views",
    "leds.ingest.views",
    "leds.alerts.views",
    "leds.missing.views",
    "leds.retention.views",
    "leds.quality.views",
    "leds.reports.views",
    "leds.sharing.views",
    "leds.opendata.views",
    "leds.anpr.views",
    "leds.documents.views",
    "leds.office.views",
)


class Health(BaseModel):
    status: str
    version: str


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Blocking handlers run in a thread pool (40 threads by default).  CPU-bound handlers in
    # one process share one GIL: past a few threads they only take turns at it, and every
    # SQLite call hands it over.  `leds serve` sets serve_threads (its profile); requests
    # beyond it wait on the event loop instead.
    settings = getattr(app.state, "settings", None)
    threads = settings.serve_threads if settings is not None else None
    if threads:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
    # Parse the matching model now (megabytes of JSON at national scale), not in the first
    # person check each worker answers.
    engine = getattr(app.state, "engine", None)
    if engine is not None:
        await anyio.to_thread.run_sync(_load_model, engine)
    if threads:
        # A serving process (`leds serve` sets serve_threads; tests and embedders keep
        # the collector as it is): what start-up made (modules, the model, the routes and
        # their schemas) lives as long as the process, so keep it out of the garbage
        # collector's full collections, which would walk it all while every thread waits
        # (one took 72 ms, about once per thousand person checks, at 1M persons).
        gc.collect()
        gc.freeze()
    # A serving process delivers alerts itself (the embedded worker, a thread) unless workers
    # share them through a broker (`leds alerts worker --broker`).
    alerts = None
    if threads and settings is not None and not settings.broker_url:
        from leds.alerts.worker import start_in_process

        alerts = start_in_process(settings)
    yield
    if alerts is not None:
        alerts[1].set()


def _load_model(engine: Any) -> None:
    from leds.matching.scoring import current_check_model

    with engine.connect() as conn:
        current_check_model(conn)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = get_engine(settings)
    app = FastAPI(
        lifespan=_lifespan,
        title="leds",
        version=__version__,
        summary="Law Enforcement Data Service",
        description="One national, lawful, audited view of police records. Updategrams in; checks, "
        "search and alerts out.",
        docs_url="/api/v1/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings

    from leds import web
    from leds.access import oidc
    from leds.access.deps import complete_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_openapi(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    for module in present(API_DOMAINS):
        app.include_router(module.router)
    oidc.install(app, settings, engine)
    web.install(app, settings, engine)

    @app.get("/api/v1/health", tags=["service"], response_model=Health)
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    return app
