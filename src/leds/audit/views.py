"""API routes for auditors: who looked at what, disclosures, misuse signals.

Only principals whose roles allow ``view_audit`` (the auditor / DPO role) may
use them, and every auditor query is itself written to the audit trail.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Engine

from leds.access.deps import Caller, CallerDep, app_engine, app_settings, errors_documented
from leds.errors import BadRequest, Forbidden

from . import queries, signals
from .chain import AuditEvent
from .writer import get_writer

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=errors_documented(400, 401, 403, 422))


class Auditor:
    """An auditor's request: the caller, the store, and a way to audit the query itself."""

    def __init__(self, who: Caller, request: Request):
        self.who = who
        self.engine: Engine = app_engine(request)
        self.record = get_writer(app_settings(request)).record

    def consulted(self, query: str, subjects: tuple[str, ...] = (), **detail: Any) -> None:
        self.record(AuditEvent(action="consultation", actor=self.who.principal.id, purpose="audit",
                               subjects=subjects, detail={"kind": "audit_query", "query": query, **detail}))


def auditor(who: CallerDep, request: Request) -> Auditor:
    a = Auditor(who, request)
    if "view_audit" not in who.principal.actions() or not who.may("view_audit"):
        a.record(AuditEvent(action="denied", actor=who.principal.id,
                            detail={"attempted": "view_audit", "why": "not an auditor"}))
        raise Forbidden("the audit trail is for auditors only")
    return a


AuditorDep = Annotated[Auditor, Depends(auditor)]
Since = Annotated[str | None, Query(max_length=32, description="UTC time or date, e.g. 2026-11-01")]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/who-looked-at", summary="Everyone who looked at a subject (record key or person id)",
            response_model=list[dict[str, Any]])
def who_looked_at(subject: Annotated[str, Query(min_length=1, max_length=200)], a: AuditorDep,
                  since: Since = None, limit: Limit = 100) -> list[dict[str, Any]]:
    found = queries.who_looked_at(a.engine, subject, since=since, limit=limit)
    a.consulted("who_looked_at", (subject,), returned=len(found))
    return [e.as_dict() for e in found]


@router.get("/users/{actor}", summary="Everything a user looked at, tried to look at, or did",
            response_model=list[dict[str, Any]])
def looked_at_by(actor: str, a: AuditorDep, since: Since = None, limit: Limit = 100) -> list[dict[str, Any]]:
    if len(actor) > 128:
        raise BadRequest("an actor is at most 128 characters")
    found = queries.looked_at_by(a.engine, actor, since=since, limit=limit, actions=None)  # refusals too
    a.consulted("looked_at_by", actor=actor, returned=len(found))
    return [e.as_dict() for e in found]


@router.get("/disclosures/{partner}", summary="All disclosures to a partner", response_model=list[dict[str, Any]])
def disclosures_to(partner: str, a: AuditorDep, since: Since = None, limit: Limit = 100) -> list[dict[str, Any]]:
    if len(partner) > 128:
        raise BadRequest("a partner is at most 128 characters")
    found = queries.disclosures_to(a.engine, partner, since=since, limit=limit)
    a.consulted("disclosures_to", partner=partner, returned=len(found))
    return [e.as_dict() for e in found]


@router.get("/signals", summary="Misuse signals", response_model=list[dict[str, Any]])
def list_signals(a: AuditorDep, kind: Annotated[str | None, Query(max_length=32)] = None,
                 actor: Annotated[str | None, Query(max_length=128)] = None,
                 limit: Limit = 100) -> list[dict[str, Any]]:
    try:
        found = signals.list_signals(a.engine, kind=kind, actor=actor, limit=limit)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    a.consulted("signals", returned=len(found))
    return [s.as_dict() for s in found]
