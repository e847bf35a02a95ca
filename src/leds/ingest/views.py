"""The one way in over HTTP: ``POST /api/v1/updategrams`` (NDJSON, one per line), for a
force system's machine account (``leds systems add``)."""

from __future__ import annotations

import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from leds.access import systems
from leds.access.deps import app_engine, app_settings, errors_documented
from leds.errors import BadRequest, TooLarge, Unauthenticated

from .pipeline import Ingestor, Summary
from .reader import read_lines

MAX_BODY_BYTES = 256 << 20

system_bearer = HTTPBearer(auto_error=False, scheme_name="SystemAccount",
                           description="A force system account's token (leds systems add).")

router = APIRouter(prefix="/api/v1", tags=["ingest"])


class IngestSummary(BaseModel):
    lines: int
    accepted: int
    duplicates: int
    quarantined: int
    by_reason: dict[str, int]
    blank_lines: int
    warnings: list[str]


def system_account(request: Request,
                   creds: Annotated[HTTPAuthorizationCredentials | None, Depends(system_bearer)]
                   ) -> systems.SystemAccount:
    account = systems.authenticate(app_engine(request), creds.credentials) if creds else None
    if account is None:
        raise Unauthenticated("a valid system account token is required")
    return account


@router.post("/updategrams", response_model=IngestSummary, summary="Submit updategrams (NDJSON, one per line)",
             responses=errors_documented(400, 401, 413),
             openapi_extra={"requestBody": {"required": True, "content": {"application/x-ndjson": {
                 "schema": {"type": "string", "description": "One updategram (JSON) per line; see UPDATEGRAM.md"}}}}})
async def post_updategrams(request: Request,
                           account: Annotated[systems.SystemAccount, Depends(system_account)]) -> dict[str, Any]:
    """Validates each line; accepted ones are logged, the rest quarantined with
    reasons.  An account may submit only for its own force: lines for another
    force are refused (quarantined as NOT_AUTHORISED)."""
    settings, engine = app_settings(request), app_engine(request)
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as body:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise TooLarge(f"a request may carry at most {MAX_BODY_BYTES:,} bytes; send several")
            body.write(chunk)
        if size == 0:
            raise BadRequest("the body is empty: send NDJSON updategrams")
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
