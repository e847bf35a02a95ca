"""Page routes: sign-in and sign-out, home, the accessibility statement and the audit
page.  The look-up pages (checks, search, person, record) are in :mod:`.lookups`, match
review in :mod:`.review`."""

from __future__ import annotations

import os
import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from leds.access import identity
from leds.access.views import SESSION_COOKIE, set_session_cookie
from leds.audit import AuditEvent, get_writer
from leds.config import Settings

from . import lookups, review
from .errors import error_page
from .render import CONTROL, CONTROL_MESSAGE, Errors, render
from .session import WebUser, check_csrf, current_user, optional_user

SIGNIN_COOKIE = "leds_signin"  # double-submit token: a sign-in form must come from our own page
SIGN_IN_FAILED = "The username or password is not right, or the account is locked or disabled"

# What the home page offers, by the action that allows it.
OFFERS: tuple[tuple[str, str, str, str], ...] = (
    ("check", "/check/person", "Check a person", "Find a person by name and date of birth, with their warning "
                                                 "markers and status first."),
    ("check", "/check/vehicle", "Check a vehicle", "Look up a registration mark. Likely misreadings are tried too."),
    ("search", "/search", "Search", "Search people by part of a name, age range, sex and force."),
    ("review_matches", "/review", "Review matches", "Decide whether uncertain pairs of records are the same person."),
    ("view_audit", "/audit", "Audit trail", "See who looked at a subject, what a user looked at, and misuse signals."),
)


def _cookie_secure() -> bool:
    return os.environ.get("LEDS_COOKIE_SECURE", "1") != "0"


def _safe_next(nxt: str | None) -> str:
    """Only a path on this service: never another site (an open redirect)."""
    if not nxt or not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
        return "/"
    parts = urlsplit(nxt)
    if parts.scheme or parts.netloc or parts.path.startswith(("/sign-in", "/sign-out")):
        return "/"
    return nxt[:500]


def sign_in_page(request: Request, *, expired: bool = False, signed_out: bool = False, status_code: int = 200,
                 errors: Errors | None = None, username: str = "", nxt: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "sign_in.html", me=None, status_code=status_code, errors=errors,
                      title="Sign in", expired=expired, signed_out=signed_out, username=username,
                      csrf_token=token, next=_safe_next(nxt or request.query_params.get("next")),
                      failed=bool(errors and "username" in errors.items and errors.items["username"] == SIGN_IN_FAILED))
    response.set_cookie(SIGNIN_COOKIE, token, httponly=True, secure=_cookie_secure(), samesite="strict",
                        path="/sign-in", max_age=3600)
    return response


def build_router(settings: Settings, engine: Engine) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def me_of(request: Request) -> WebUser:
        return current_user(request, engine)

    def audit(event: AuditEvent) -> None:
        get_writer(settings).record(event)

    def audit_auth(actor: str, outcome: str, request: Request, **detail: Any) -> None:
        client = request.client.host if request.client else None
        audit(AuditEvent(action="authentication", actor=actor,
                         detail={"outcome": outcome, "client": client, "channel": "web", **detail}))

    # -- signing in and out -----------------------------------------------------------------
    @router.get("/sign-in")
    def sign_in_form(request: Request, expired: Annotated[str | None, Query(max_length=8)] = None,
                     signed_out: Annotated[str | None, Query(max_length=8)] = None) -> Response:
        if optional_user(request, engine) is not None:
            return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
        return sign_in_page(request, expired=bool(expired), signed_out=bool(signed_out))

    @router.post("/sign-in")
    def sign_in(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
        errors = Errors()
        cookie = request.cookies.get(SIGNIN_COOKIE, "")
        if not cookie or not secrets.compare_digest(cookie.encode(), csrf_token.encode()):
            errors.add("username", "The sign-in form had expired. Enter your username and password again")
            return sign_in_page(request, status_code=400, errors=errors, username=username[:64], nxt=next)
        username = username.strip()
        if CONTROL.search(username) or CONTROL.search(password):
            errors.add("username", CONTROL_MESSAGE)
            return sign_in_page(request, status_code=400, errors=errors, username=CONTROL.sub("", username)[:64],
                                nxt=next)
        if not username:
            errors.add("username", "Enter your username")
        elif len(username) > 64:
            errors.add("username", "A username is 64 characters or fewer")
        if not password:
            errors.add("password", "Enter your password")
        elif len(password) > 1024:
            errors.add("password", "A password is 1,024 characters or fewer")
        if errors:
            return sign_in_page(request, status_code=400, errors=errors, username=username[:64], nxt=next)
        try:
            user = identity.check_password(engine, username, password)
        except identity.LoginFailed as exc:
            # One message for a wrong name or password, a lockout and a disabled account,
            # so that the page never tells whether an account exists.  The trail keeps why.
            audit_auth(f"user:{username}", "refused", request, why=str(exc))
            errors.add("username", SIGN_IN_FAILED)
            return sign_in_page(request, status_code=401, errors=errors, username=username, nxt=next)
        token, _ = identity.create_session(engine, user)
        response = RedirectResponse(_safe_next(next), status_code=303)
        set_session_cookie(response, token)
        response.delete_cookie(SIGNIN_COOKIE, path="/sign-in")
        audit_auth(f"user:{user.username}", "signed in", request)
        return response

    @router.post("/sign-out")
    def sign_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
        me = me_of(request)
        check_csrf(me, csrf_token)
        identity.end_session(engine, request.cookies.get(SESSION_COOKIE, ""))
        audit_auth(me.principal.id, "signed out", request)
        response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- home and about ---------------------------------------------------------------------
    @router.get("/")
    def home(request: Request) -> Response:
        me = me_of(request)
        offers = [o for o in OFFERS if me.may(o[0])]
        return render(request, "home.html", me=me, title="Home", offers=offers,
                      actions=sorted(me.principal.actions()), datasets=sorted(me.principal.effective_datasets()))

    @router.get("/accessibility")
    def accessibility(request: Request) -> Response:
        return render(request, "accessibility.html", me=optional_user(request, engine),
                      title="Accessibility statement")

    # -- audit ------------------------------------------------------------------------------
    @router.get("/audit")
    def audit_page(request: Request,
                   subject: Annotated[str, Query()] = "", actor: Annotated[str, Query()] = "") -> Response:
        from leds.audit import queries, signals

        me = me_of(request)
        if not me.may("view_audit"):
            audit(AuditEvent(action="denied", actor=me.principal.id,
                             detail={"attempted": "view_audit", "why": "not an auditor", "channel": "web"}))
            return error_page(request, engine, 403, "The audit trail is for auditors and data protection officers "
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

    review.add_routes(router, settings, engine, me_of)
    lookups.add_routes(router, settings, engine, me_of)
    return router
