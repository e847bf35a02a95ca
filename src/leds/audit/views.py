"""API routes for auditors: who looked at what, disclosures, misuse signals.

Only principals whose roles allow ``view_audit`` (the auditor / DPO role) may
use them, and every auditor query is itself written to the audit trail.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import Engine

from leds.access.views import Caller, make_caller
from leds.config import Settings

from . import queries, signals
from .chain import AuditEvent
from .writer import get_writer


def build_audit_router(settings: Settings, engine: Engine) -> APIRouter:
    router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
    caller = make_caller(engine)

    def auditor(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if "view_audit" not in who.principal.actions() or not who.may("view_audit"):
            get_writer(settings).record(AuditEvent(action="denied", actor=who.principal.id,
                                                   detail={"attempted": "view_audit", "why": "not an auditor"}))
            raise HTTPException(status.HTTP_403_FORBIDDEN, "the audit trail is for auditors only")
        return who

    Auditor = Annotated[Caller, Depends(auditor)]
    Since = Annotated[str | None, Query(max_length=32, description="UTC time or date, e.g. 2026-11-01")]
    Limit = Annotated[int, Query(ge=1, le=1000)]

    def consulted(who: Caller, query: str, subjects: tuple[str, ...] = (), **detail: Any) -> None:
        get_writer(settings).record(AuditEvent(action="consultation", actor=who.principal.id, purpose="audit",
                                               subjects=subjects, detail={"kind": "audit_query", "query": query,
                                                                          **detail}))

    @router.get("/who-looked-at", summary="Everyone who looked at a subject (record key or person id)")
    def who_looked_at(subject: Annotated[str, Query(min_length=1, max_length=200)], who: Auditor,
                      since: Since = None, limit: Limit = 100) -> list[dict[str, Any]]:
        found = queries.who_looked_at(engine, subject, since=since, limit=limit)
        consulted(who, "who_looked_at", (subject,), returned=len(found))
        return [e.as_dict() for e in found]

    @router.get("/users/{actor}", summary="Everything a user looked at, tried to look at, or did")
    def looked_at_by(actor: str, who: Auditor, since: Since = None, limit: Limit = 100) -> list[dict[str, Any]]:
        if len(actor) > 128:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "an actor is at most 128 characters")
        found = queries.looked_at_by(engine, actor, since=since, limit=limit, actions=None)  # refusals too
        consulted(who, "looked_at_by", actor=actor, returned=len(found))
        return [e.as_dict() for e in found]

    @router.get("/disclosures/{partner}", summary="All disclosures to a partner")
    def disclosures_to(partner: str, who: Auditor, since: Since = None, limit: Limit = 100) -> list[dict[str, Any]]:
        if len(partner) > 128:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "a partner is at most 128 characters")
        found = queries.disclosures_to(engine, partner, since=since, limit=limit)
        consulted(who, "disclosures_to", partner=partner, returned=len(found))
        return [e.as_dict() for e in found]

    @router.get("/signals", summary="Misuse signals")
    def list_signals(who: Auditor, kind: Annotated[str | None, Query(max_length=32)] = None,
                     actor: Annotated[str | None, Query(max_length=128)] = None,
                     limit: Limit = 100) -> list[dict[str, Any]]:
        try:
            found = signals.list_signals(engine, kind=kind, actor=actor, limit=limit)
        except ValueError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        consulted(who, "signals", returned=len(found))
        return [s.as_dict() for s in found]

    return router
