"""The HTTP service: the REST API under ``/api/v1``."""


import gc
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from leds import __version__
from leds.access import systems
from leds.config import Settings, get_settings
from leds.db.engine import get_engine
from leds.ingest.pipeline import Ingestor, Summary
from leds.ingest.reader import read_lines

MAX_BODY_BYTES = 256 << 20

bearer = HTTPBearer(auto_error=False, description="A force system account's token (leds systems add).")


class IngestSummary(BaseModel):
    lines: int
    accepted: int
    duplicates: int
    quarantined: int
    by_reason: dict[str, int]
    blank_lines: int
    warnings: list[str]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Blocking handlers run in a thread pool (40 threads by default).  CPU-bound handlers in
    # one process share one GIL: past a few threads they only take turns at it, and every
    # SQLite call hands it over.  `leds serve` sets LEDS_SERVE_THREADS; requests beyond it
    # wait on the event loop instead.
    threads = os.environ.get("LEDS_SERVE_THREADS")
    if threads:
        anyio.to_thread.current_default_thread_limiter().total_tokens = int(threads)
    # Parse the matching model now (megabytes of JSON at national scale), not in the first
    # person check each worker answers.
    engine = getattr(app.state, "engine", None)
    if engine is not None:
        await anyio.to_thread.run_sync(_load_model, engine)
    if threads:
        # A serving process (`leds serve` sets LEDS_SERVE_THREADS; tests and embedders keep
        # the collector as it is): what start-up made (modules, the model, the routes and
        # their schemas) lives as long as the process, so keep it out of the garbage
        # collector's full collections, which would walk it all while every thread waits
        # (one took 72 ms, about once per thousand person checks, at 1M persons).
        gc.collect()
        gc.freeze()
    yield


def _load_model(engine: Any) -> None:
    from leds.checks.service import current_check_model

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

    def system_account(
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> systems.SystemAccount:
        account = systems.authenticate(engine, creds.credentials) if creds else None
        if account is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid system account token is required",
                                headers={"WWW-Authenticate": "Bearer"})
        return account

    from leds import web
    from leds.access import oidc
    from leds.access.views import build_router
    from leds.audit.views import build_audit_router

    app.include_router(build_router(settings, engine))
    app.include_router(build_audit_router(settings, engine))
    from leds.matching.views import build_matching_router

    app.include_router(build_matching_router(settings, engine))
    from leds.checks.views import build_checks_router

    app.include_router(build_checks_router(settings, engine))
    oidc.install(app, settings, engine)
    web.install(app, settings, engine)

    @app.get("/api/v1/health", tags=["service"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.post("/api/v1/updategrams", tags=["ingest"], response_model=IngestSummary,
              summary="Submit updategrams (NDJSON, one per line)")
    async def post_updategrams(
        request: Request, account: Annotated[systems.SystemAccount, Depends(system_account)],
    ) -> dict[str, Any]:
        """Validates each line; accepted ones are logged, the rest quarantined with
        reasons.  An account may submit only for its own force: lines for another
        force are refused (quarantined as NOT_AUTHORISED)."""
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as body:
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                        f"a request may carry at most {MAX_BODY_BYTES:,} bytes; send several")
                body.write(chunk)
            if size == 0:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body is empty: send NDJSON updategrams")
            body.seek(0)
            ingestor = Ingestor(settings, engine=engine, allowed_force=account.force)
            origin = f"api:{account.name}"

            def run() -> Summary:
                lines = read_lines(body, settings.quarantine_dir, max_line_bytes=settings.max_line_bytes)  # type: ignore[arg-type]
                return ingestor.ingest_lines(lines, origin)

            summary = await run_in_threadpool(run)
        refused = summary.by_reason.get("NOT_AUTHORISED", 0)
        if refused:
            from leds.audit import AuditEvent, get_writer

            await run_in_threadpool(get_writer(settings).record, AuditEvent(
                action="denied", actor=f"system-account:{account.name}",
                detail={"attempted": "submit updategrams", "why": f"lines for a force other than {account.force}",
                        "lines": refused, "kind": "ingest"}))
        return summary.as_dict()

    return app
