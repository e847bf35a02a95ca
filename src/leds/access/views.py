"""API routes for identity and audited record reads."""

import os
from dataclasses import asdict
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from leds.config import Settings

from . import identity, rules
from .policy import AccessDenied, Principal, PurposeRequired, read_records

SESSION_COOKIE = "leds_session"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

bearer = HTTPBearer(auto_error=False, description="A user's API token (POST /api/v1/auth/tokens).")


class TokenRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    scopes: list[str] = Field(min_length=1, max_length=len(rules.ACTIONS))
    ttl_minutes: int = Field(default=480, ge=1, le=30 * 24 * 60)


class SessionRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class Caller:
    """Who is calling, and how: a token (with scopes) or a web session."""

    def __init__(self, user: identity.User, scopes: tuple[str, ...] | None, session: identity.Session | None):
        self.user = user
        self.principal = Principal.from_user(user)
        self.scopes = scopes  # None for a web session: the roles decide alone
        self.session = session

    def may(self, action: str) -> bool:
        return self.scopes is None or action in self.scopes


def require(who: Caller, action: str, purpose: str | None, sink: Any, *, subject: str | None = None,
            ask: str = "?purpose=") -> str:
    """The gate of every API look-up: the action must be in the token's scopes (a refusal
    is audited) and a reason must be given.  Returns the purpose; the access policy then
    decides the rest."""
    if not who.may(action):
        from leds.audit import AuditEvent

        detail = {"attempted": action, "why": "token scope", **({"subject": subject} if subject else {})}
        sink(AuditEvent(action="denied", actor=who.principal.id, detail=detail))
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this token's scopes do not include {action}")
    if not purpose:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            f"a reason is required: give {ask} one of {', '.join(rules.PURPOSES)}")
    return purpose


def make_caller(engine: Engine):  # type: ignore[no-untyped-def]
    """The FastAPI dependency that resolves the caller: a bearer token, or a web
    session (with its CSRF token on state-changing requests).

    It runs on the event loop, not in the thread pool: the look-up is one indexed read
    (well under a millisecond), and a hop to a worker thread and back would cost more."""

    async def caller(request: Request,
               creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
        if creds is not None:
            found = identity.resolve_token(engine, creds.credentials)
            if found is None:
                raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the token is unknown, expired, revoked, "
                                    "or its account is disabled", headers={"WWW-Authenticate": "Bearer"})
            return Caller(found[0], found[1], None)
        cookie = request.cookies.get(SESSION_COOKIE)
        session = identity.resolve_session(engine, cookie) if cookie else None
        if session is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first: your session is missing or has expired",
                                headers={"WWW-Authenticate": "Bearer"})
        if request.method in _UNSAFE and request.headers.get(CSRF_HEADER) != session.csrf_token:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {CSRF_HEADER} header for this session")
        return Caller(session.user, None, session)

    return caller


def build_router(settings: Settings, engine: Engine) -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    def audit_sink() -> Any:
        from leds.audit import get_writer

        return get_writer(settings).record

    def audit_auth(actor: str, outcome: str, request: Request, detail: dict[str, Any] | None = None) -> None:
        from leds.audit import AuditEvent

        client = request.client.host if request.client else None
        # The password is never part of what is recorded.
        audit_sink()(AuditEvent(action="authentication", actor=actor,
                                detail={"outcome": outcome, "client": client, **(detail or {})}))

    caller = make_caller(engine)
    CallerDep = Annotated[Caller, Depends(caller)]

    @router.post("/auth/tokens", tags=["identity"], summary="Exchange a username and password for an API token")
    def create_token(body: TokenRequest, request: Request) -> dict[str, Any]:
        try:
            user = identity.check_password(engine, body.username, body.password)
            token, expires = identity.issue_token(engine, user, body.scopes, timedelta(minutes=body.ttl_minutes))
        except identity.LoginFailed as exc:
            audit_auth(f"user:{body.username}", "refused", request, {"why": str(exc)})
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
        except identity.IdentityError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        audit_auth(f"user:{user.username}", "token issued", request, {"scopes": body.scopes})
        return {"token": token, "token_type": "bearer", "expires_at": expires, "scopes": body.scopes}

    @router.post("/auth/session", tags=["identity"], summary="Sign in for the web app (sets a session cookie)")
    def create_session(body: SessionRequest, request: Request, response: Response) -> dict[str, Any]:
        try:
            user = identity.check_password(engine, body.username, body.password)
        except identity.LoginFailed as exc:
            audit_auth(f"user:{body.username}", "refused", request, {"why": str(exc)})
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
        token, session = identity.create_session(engine, user)
        set_session_cookie(response, token)
        audit_auth(f"user:{user.username}", "signed in", request)
        return {"csrf_token": session.csrf_token, "user": user.username}

    @router.delete("/auth/session", tags=["identity"], summary="Sign out")
    def delete_session(request: Request, response: Response, who: CallerDep) -> dict[str, str]:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            identity.end_session(engine, cookie)
        response.delete_cookie(SESSION_COOKIE, path="/")
        audit_auth(who.principal.id, "signed out", request)
        return {"status": "signed out"}

    @router.get("/me", tags=["identity"], summary="Who am I, and what may I do")
    def me(who: CallerDep) -> dict[str, Any]:
        p = who.principal
        return {"user": who.user.username, "display_name": who.user.display_name, "roles": sorted(p.roles),
                "force": p.force, "vetting": p.vetting, "actions": sorted(p.actions()),
                "datasets": sorted(p.effective_datasets()), "handlings": list(p.handlings()),
                "token_scopes": list(who.scopes) if who.scopes is not None else None,
                "last_purpose": who.session.purpose if who.session else None}

    @router.get("/purposes", tags=["access"], summary="The published list of reasons for a look-up")
    def purposes() -> dict[str, Any]:
        return {k: dict(v) for k, v in rules.PURPOSES.items()}

    @router.get("/access/rules", tags=["access"], summary="The published access policy")
    def access_rules() -> dict[str, Any]:
        return {"roles": {k: {**v, "actions": list(v["actions"]), "datasets": list(v["datasets"])}  # type: ignore[call-overload]
                          for k, v in rules.ROLES.items()},
                "vetting": rules.VETTING, "force_only_datasets": list(rules.FORCE_ONLY_DATASETS),
                "redactions": {r: {t: list(f) for t, f in m.items()} for r, m in rules.REDACTIONS.items()},
                "purposes": {k: dict(v) for k, v in rules.PURPOSES.items()}}

    @router.get("/records/{rkey:path}", tags=["records"], summary="One source record, as you may see it")
    def get_record(rkey: str, who: CallerDep,
                   purpose: Annotated[str | None, Query(description="Reason code (see /api/v1/purposes).")] = None,
                   reason: Annotated[str | None, Query(max_length=500)] = None) -> dict[str, Any]:
        if len(rkey) > 200:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "a record key is at most 200 characters")
        sink = audit_sink()
        purpose = require(who, "view_record", purpose, sink, subject=rkey)
        try:
            with engine.connect() as conn:
                views = read_records(conn, who.principal, purpose, action="view_record", reason=reason,
                                     audit=sink, rkeys=[rkey], limit=1)
        except PurposeRequired as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        except AccessDenied as exc:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
        if who.session is not None:
            identity.remember_purpose(engine, who.session, purpose, reason)
        if not views:
            # The same answer whether the record does not exist or may not be seen.
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such record, or not one you may see")
        return asdict(views[0])

    return router


def set_session_cookie(response: Response, token: str) -> None:
    secure = os.environ.get("LEDS_COOKIE_SECURE", "1") != "0"
    response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=secure, samesite="strict", path="/",
                        max_age=int(identity.SESSION_TTL.total_seconds()))
