"""API of the sharing register and its exports.

* ``GET  /api/v1/sharing/schema``: the agreement's JSON Schema (any signed-in caller);
* ``GET  /api/v1/sharing/agreements``, ``GET /api/v1/sharing/agreements/{id}``: the register
  (any signed-in caller: the register is the service's central log of sharing);
* ``POST /api/v1/sharing/agreements``: add an agreement as a draft (a caller whose role allows
  ``export`` or ``approve_sharing``); a document failing its schema is a 400 naming every error;
* ``POST /api/v1/sharing/agreements/{id}/approve`` and ``/suspend``: ``approve_sharing``;
* ``POST /api/v1/sharing/agreements/{id}/exports``: an export under the agreement (``export``),
  written under the service's home (``exports/<id>/<time>``), answering its signed manifest;
* ``GET  /api/v1/sharing/reviews``: agreements whose review falls due within 30 days.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request

from leds.access.deps import CallerDep, app_engine, app_settings, audit_sink, errors_documented
from leds.access.policy import AccessDenied

from . import service
from .agreement import ID_PATTERN, SCHEMA
from .models import (
    AgreementDetail,
    AgreementList,
    AgreementSummary,
    ExportIn,
    ExportOut,
    ReviewsDue,
    SuspendIn,
)

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing"])
# The request body of POST /agreements is documented as the agreement's own schema.
_BODY_SCHEMA = {k: v for k, v in SCHEMA.items() if k not in ("$schema", "$id")}
AgreementId = Annotated[str, Path(pattern=ID_PATTERN, max_length=40)]


@router.get("/schema", response_model=dict[str, Any], responses=errors_documented(401))
def get_schema(who: CallerDep) -> dict[str, Any]:
    return SCHEMA


@router.get("/agreements", response_model=AgreementList, responses=errors_documented(401))
def list_agreements(request: Request, who: CallerDep) -> dict[str, Any]:
    with app_engine(request).connect() as conn:
        return {"agreements": [a.summary() for a in service.list_agreements(conn)]}


@router.post("/agreements", response_model=AgreementSummary, status_code=201,
             responses=errors_documented(400, 401, 403, 409, 413, 422),
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": _BODY_SCHEMA}}}})
def add_agreement(request: Request, who: CallerDep,
                  body: Annotated[dict[str, Any], Body(description="The agreement (see GET /api/v1/sharing/schema). "
                                                       "One failing the schema is refused (400, every error with its "
                                                       "path); problems beyond it (dates out of order, no recipient) "
                                                       "are listed and block approval.")]
                  ) -> dict[str, Any]:
    if not (who.principal.actions() & {"export", "approve_sharing"}):
        raise AccessDenied(f"{who.principal.id} has no role that may propose a data sharing agreement")
    with app_engine(request).connect() as conn:
        return service.add_agreement(conn, who.principal.id, body, audit_sink(app_settings(request))).summary()


@router.get("/agreements/{agreement_id}", response_model=AgreementDetail, responses=errors_documented(401, 404, 422))
def get_agreement(request: Request, who: CallerDep, agreement_id: AgreementId) -> dict[str, Any]:
    with app_engine(request).connect() as conn:
        a = service.get_agreement(conn, agreement_id)
        return {**a.summary(), "document": a.document, "exports": service.exports_of(conn, agreement_id)}


@router.post("/agreements/{agreement_id}/approve", response_model=AgreementSummary,
             responses=errors_documented(401, 403, 404, 409, 422))
def approve(request: Request, who: CallerDep, agreement_id: AgreementId) -> dict[str, Any]:
    with app_engine(request).connect() as conn:
        return service.approve(conn, who.principal, agreement_id, audit_sink(app_settings(request))).summary()


@router.post("/agreements/{agreement_id}/suspend", response_model=AgreementSummary,
             responses=errors_documented(400, 401, 403, 404, 409, 422))
def suspend(request: Request, who: CallerDep, agreement_id: AgreementId, body: SuspendIn) -> dict[str, Any]:
    with app_engine(request).connect() as conn:
        return service.suspend(conn, who.principal, agreement_id, body.reason,
                               audit_sink(app_settings(request))).summary()


def export_dir(settings: Any, agreement_id: str) -> Any:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.home / "exports" / agreement_id / f"{stamp}-{secrets.token_hex(3)}"


@router.post("/agreements/{agreement_id}/exports", response_model=ExportOut, status_code=201,
             responses=errors_documented(400, 401, 403, 404, 409, 422))
def run_export(request: Request, who: CallerDep, agreement_id: AgreementId, body: ExportIn) -> dict[str, Any]:
    from leds.audit.keys import get_signer

    from .export import PURPOSE
    from .export import run_export as run

    settings = app_settings(request)
    sink = audit_sink(settings)
    if "export" not in who.principal.actions() or not who.may("export"):
        from leds.audit import AuditEvent

        sink(AuditEvent(action="denied", actor=who.principal.id, purpose=PURPOSE,
                        detail={"attempted": "sharing_export", "agreement": agreement_id,
                                "why": "no role or scope allows export"}))
        raise AccessDenied(f"{who.principal.id} has no role that allows 'export'")
    with app_engine(request).connect() as conn:
        r = run(conn, get_signer(settings), who.principal.id, agreement_id, export_dir(settings, agreement_id), sink,
                datasets=body.datasets, fields=body.fields)
        return service.get_export(conn, r.export_id)


@router.get("/reviews", response_model=ReviewsDue, responses=errors_documented(401))
def reviews(request: Request, who: CallerDep) -> dict[str, Any]:
    with app_engine(request).connect() as conn:
        return {"due": [a.summary() for a in service.reviews_due(conn)]}
