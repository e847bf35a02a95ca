"""API routes for identity and the published access rules."""

from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from leds.config import Settings
from leds.errors import BadRequest, Unauthenticated

from . import identity, rules
from .deps import (
    SESSION_COOKIE,
    CallerDep,
    app_engine,
    app_settings,
    audit_sink,
    errors_documented,
)

Scope = Literal[tuple(rules.ACTIONS)]  # type: ignore[valid-type]

router = APIRouter(prefix="/api/v1")


class TokenRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    scopes: list[Scope] = Field(min_length=1, max_length=len(rules.ACTIONS))  # type: ignore[valid-type]
    ttl_minutes: int = Field(default=480, ge=1, le=30 * 24 * 60)


class SessionRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class TokenAnswer(BaseModel):
    token: str
    token_type: Literal["bearer"]
    expires_at: Any
    scopes: list[str]


class SessionAnswer(BaseModel):
    csrf_token: str
    user: str


class SignedOut(BaseModel):
    status: Literal["signed out"]


class Me(BaseModel):
    user: str
    display_name: str | None
    roles: list[str]
    force: str | None
    vetting: str | None
    actions: list[str]
    datasets: list[str]
    handlings: list[str]
    token_scopes: list[str] | None
    last_purpose: str | None


def _audit_auth(request: Request, actor: str, outcome: str, detail: dict[str, Any] | None = None) -> None:
    from leds.audit import AuditEvent

    client = request.client.host if request.client else None
    # The password is never part of what is recorded.
    audit_sink(app_settings(request))(AuditEvent(action="authentication", actor=actor,
                                                 detail={"outcome": outcome, "client": client, **(detail or {})}))


@router.post("/auth/tokens", tags=["identity"], summary="Exchange a username and password for an API token",
             response_model=TokenAnswer, responses=errors_documented(400, 401, 422))
def create_token(body: TokenRequest, request: Request) -> dict[str, Any]:
    engine = app_engine(request)
    try:
        user = identity.check_password(engine, body.username, body.password)
        token, expires = identity.issue_token(engine, user, body.scopes, timedelta(minutes=body.ttl_minutes))
    except identity.LoginFailed as exc:
        _audit_auth(request, f"user:{body.username}", "refused", {"why": str(exc)})
        raise Unauthenticated(str(exc)) from None
    except identity.IdentityError as exc:
        raise BadRequest(str(exc)) from None
    _audit_auth(request, f"user:{user.username}", "token issued", {"scopes": body.scopes})
    return {"token": token, "token_type": "bearer", "expires_at": expires, "scopes": body.scopes}


@router.post("/auth/session", tags=["identity"], summary="Sign in for the web app (sets a session cookie)",
             response_model=SessionAnswer, responses=errors_documented(401, 422))
def create_session(body: SessionRequest, request: Request, response: Response) -> dict[str, Any]:
    engine = app_engine(request)
    try:
        user = identity.check_password(engine, body.username, body.password)
    except identity.LoginFailed as exc:
        _audit_auth(request, f"user:{body.username}", "refused", {"why": str(exc)})
        raise Unauthenticated(str(exc)) from None
    token, session = identity.create_session(engine, user)
    set_session_cookie(response, token, app_settings(request))
    _audit_auth(request, f"user:{user.username}", "signed in")
    return {"csrf_token": session.csrf_token, "user": user.username}


@router.delete("/auth/session", tags=["identity"], summary="Sign out", response_model=SignedOut,
               responses=errors_documented(401, 403))
def delete_session(request: Request, response: Response, who: CallerDep) -> dict[str, str]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        identity.end_session(app_engine(request), cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    _audit_auth(request, who.principal.id, "signed out")
    return {"status": "signed out"}


@router.get("/me", tags=["identity"], summary="Who am I, and what may I do", response_model=Me,
            responses=errors_documented(401))
def me(who: CallerDep) -> dict[str, Any]:
    p = who.principal
    return {"user": who.user.username, "display_name": who.user.display_name, "roles": sorted(p.roles),
            "force": p.force, "vetting": p.vetting, "actions": sorted(p.actions()),
            "datasets": sorted(p.effective_datasets()), "handlings": list(p.handlings()),
            "token_scopes": list(who.scopes) if who.scopes is not None else None,
            "last_purpose": who.session.purpose if who.session else None}


@router.get("/purposes", tags=["access"], summary="The published list of reasons for a look-up",
            response_model=dict[str, dict[str, Any]])
def purposes() -> dict[str, Any]:
    return {k: dict(v) for k, v in rules.PURPOSES.items()}


@router.get("/access/rules", tags=["access"], summary="The published access policy", response_model=dict[str, Any])
def access_rules() -> dict[str, Any]:
    return {"roles": {k: {**v, "actions": list(v["actions"]), "datasets": list(v["datasets"])}  # type: ignore[call-overload]
                      for k, v in rules.ROLES.items()},
            "vetting": rules.VETTING, "force_only_datasets": list(rules.FORCE_ONLY_DATASETS),
            "redactions": {r: {t: list(f) for t, f in m.items()} for r, m in rules.REDACTIONS.items()},
            "purposes": {k: dict(v) for k, v in rules.PURPOSES.items()}}


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=settings.cookie_secure, samesite="strict",
                        path="/", max_age=int(identity.SESSION_TTL.total_seconds()))
