"""Signing in and out of the web app, and the sign-in page itself (which the error
pages also show, to a form sent after the session ended)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from leds.access import identity
from leds.access.deps import SESSION_COOKIE, app_engine, app_settings
from leds.access.views import set_session_cookie
from leds.audit import AuditEvent, get_writer

from .render import CONTROL, CONTROL_MESSAGE, Errors, render
from .session import check_csrf, current_user, optional_user

SIGNIN_COOKIE = "leds_signin"  # double-submit token: a sign-in form must come from our own page
SIGN_IN_FAILED = "The username or password is not right, or the account is locked or disabled"

router = APIRouter(include_in_schema=False)


def safe_next(nxt: str | None) -> str:
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
                      csrf_token=token, next=safe_next(nxt or request.query_params.get("next")),
                      failed=bool(errors and "username" in errors.items and errors.items["username"] == SIGN_IN_FAILED))
    response.set_cookie(SIGNIN_COOKIE, token, httponly=True, secure=app_settings(request).cookie_secure,
                        samesite="strict", path="/sign-in", max_age=3600)
    return response


def _audit_auth(actor: str, outcome: str, request: Request, **detail: Any) -> None:
    client = request.client.host if request.client else None
    get_writer(app_settings(request)).record(AuditEvent(
        action="authentication", actor=actor, detail={"outcome": outcome, "client": client, "channel": "web", **detail}))


@router.get("/sign-in")
def sign_in_form(request: Request, expired: Annotated[str | None, Query(max_length=8)] = None,
                 signed_out: Annotated[str | None, Query(max_length=8)] = None) -> Response:
    if optional_user(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
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
    engine = app_engine(request)
    try:
        user = identity.check_password(engine, username, password)
    except identity.LoginFailed as exc:
        # One message for a wrong name or password, a lockout and a disabled account,
        # so that the page never tells whether an account exists.  The trail keeps why.
        _audit_auth(f"user:{username}", "refused", request, why=str(exc))
        errors.add("username", SIGN_IN_FAILED)
        return sign_in_page(request, status_code=401, errors=errors, username=username, nxt=next)
    token, _ = identity.create_session(engine, user)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, token, app_settings(request))
    response.delete_cookie(SIGNIN_COOKIE, path="/sign-in")
    _audit_auth(f"user:{user.username}", "signed in", request)
    return response


@router.post("/sign-out")
def sign_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    me = current_user(request)
    check_csrf(me, csrf_token)
    identity.end_session(app_engine(request), request.cookies.get(SESSION_COOKIE, ""))
    _audit_auth(me.principal.id, "signed out", request)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
