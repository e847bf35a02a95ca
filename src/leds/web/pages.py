"""Page routes: home, the accessibility statement and the audit page.  Signing in
and out is in :mod:`.signin`, the look-up pages (checks, search, person, record) in
:mod:`.lookups`, match review in :mod:`.review`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leds.access.deps import app_engine, app_settings
from leds.audit import AuditEvent, get_writer

from .errors import error_page
from .render import Errors, render
from .session import current_user, optional_user

router = APIRouter(include_in_schema=False)

# What the home page offers, by the action that allows it.
OFFERS: tuple[tuple[str, str, str, str], ...] = (
    ("check", "/check/person", "Check a person", "Find a person by name and date of birth, with their warning "
                                                 "markers and status first."),
    ("check", "/check/vehicle", "Check a vehicle", "Look up a registration mark. Likely misreadings are tried too."),
    ("search", "/search", "Search", "Search people by part of a name, age range, sex and force."),
    ("review_matches", "/review", "Review matches", "Decide whether uncertain pairs of records are the same person."),
    ("view_audit", "/audit", "Audit trail", "See who looked at a subject, what a user looked at, and misuse signals."),
)


# -- home and about -------------------------------------------------------------------------
@router.get("/")
def home(request: Request) -> Response:
    me = current_user(request)
    offers = [o for o in OFFERS if me.may(o[0])]
    return render(request, "home.html", me=me, title="Home", offers=offers,
                  actions=sorted(me.principal.actions()), datasets=sorted(me.principal.effective_datasets()))


@router.get("/accessibility")
def accessibility(request: Request) -> Response:
    return render(request, "accessibility.html", me=optional_user(request),
                  title="Accessibility statement")


# -- audit ------------------------------------------------------------------------------
@router.get("/audit")
def audit_page(request: Request,
               subject: Annotated[str, Query()] = "", actor: Annotated[str, Query()] = "") -> Response:
    from leds.audit import queries, signals

    engine = app_engine(request)
    audit = get_writer(app_settings(request)).record
    me = current_user(request)
    if not me.may("view_audit"):
        audit(AuditEvent(action="denied", actor=me.principal.id,
                         detail={"attempted": "view_audit", "why": "not an auditor", "channel": "web"}))
        return error_page(request, 403, "The audit trail is for auditors and data protection officers "
                          "only. Your attempt to open it has been recorded.")
    errors = Errors()
    subject, actor = subject.strip(), actor.strip()
    shown = errors.refuse_control({"subject": subject, "actor": actor})
    if errors:
        return render(request, "audit.html", me=me, status_code=400, errors=errors, title="Audit trail",
                      subject=shown["subject"][:200], actor=shown["actor"][:128], by_subject=None, by_actor=None,
                      signals=[])
    if len(subject) > 200:
        errors.add("subject", "A subject is 200 characters or fewer")
    if len(actor) > 128:
        errors.add("actor", "A username is 128 characters or fewer")
    if errors:
        return render(request, "audit.html", me=me, status_code=400, errors=errors, title="Audit trail",
                      subject=subject[:200], actor=actor[:128], by_subject=None, by_actor=None, signals=[])
    by_subject = by_actor = None
    if subject:
        by_subject = queries.who_looked_at(engine, subject, limit=200)
        audit(AuditEvent(action="consultation", actor=me.principal.id, purpose="audit", subjects=(subject,),
                         detail={"kind": "audit_query", "query": "who_looked_at", "returned": len(by_subject),
                                 "channel": "web"}))
    if actor:
        who = actor if ":" in actor else f"user:{actor}"
        by_actor = queries.looked_at_by(engine, who, limit=200, actions=None)
        audit(AuditEvent(action="consultation", actor=me.principal.id, purpose="audit",
                         detail={"kind": "audit_query", "query": "looked_at_by", "actor": who,
                                 "returned": len(by_actor), "channel": "web"}))
    found = signals.list_signals(engine, limit=50)
    audit(AuditEvent(action="consultation", actor=me.principal.id, purpose="audit",
                     detail={"kind": "audit_query", "query": "signals", "returned": len(found), "channel": "web"}))
    return render(request, "audit.html", me=me, title="Audit trail", subject=subject, actor=actor,
                  by_subject=by_subject, by_actor=by_actor, signals=found)

