"""The one way in for every API look-up: FastAPI dependencies for the caller and the gate.

A route declares what it does (its action) and gets a :class:`Gate`: the caller (a user's
token or web session), the store, the settings and the audit sink. ``gate.run`` checks the
token's scope, requires a purpose, runs the domain's service with a connection and a
:class:`~leds.access.lookup.Lookup`, and remembers the purpose for a web session. The
service reads records only through :mod:`leds.access.policy`, which applies the role's
action, row rules and redactions and audits what it returns. Errors are
:class:`leds.errors.LedsError`; the app answers them once (:func:`api_error_response`).

    from leds.access.deps import CallerDep, gate, looking_up

    router = APIRouter(prefix="/api/v1", tags=["checks"])

    @router.post("/checks/vehicle", response_model=VehicleCheckAnswer,
                 responses=errors_documented(400, 401, 403, 413, 422))
    def check_vehicle(body: VehicleCheckRequest, g: Annotated[Gate, Depends(gate("check"))]):
        return g.run(lambda conn, lk: vehicle_check(conn, lk, body), body.purpose, body.reason)

    @router.get("/persons/{person_id}")
    def get_person(person_id: str, g: Annotated[Gate, Depends(looking_up("view_person"))]):
        return g.run(lambda conn, lk: person_view(conn, lk, person_id))  # purpose from ?purpose=
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import Connection, Engine

from leds.config import Settings
from leds.errors import BadRequest, Forbidden, LedsError, TooLarge, Unauthenticated

from . import identity, rules
from .lookup import Lookup
from .policy import AuditSink, Principal

T = TypeVar("T")

SESSION_COOKIE = "leds_session"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PURPOSE_TEXT_MAX = 500

bearer = HTTPBearer(auto_error=False, description="A user's API token (POST /api/v1/auth/tokens).")


class Caller:
    """Who is calling, and how: a token (with scopes) or a web session."""

    def __init__(self, user: identity.User, scopes: tuple[str, ...] | None, session: identity.Session | None):
        self.user = user
        self.principal = Principal.from_user(user)
        self.scopes = scopes  # None for a web session: the roles decide alone
        self.session = session

    def may(self, action: str) -> bool:
        return self.scopes is None or action in self.scopes


def app_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def app_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def audit_sink(settings: Settings) -> AuditSink:
    from leds.audit import get_writer

    return get_writer(settings).record


async def current_caller(request: Request,
                         creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The caller: a bearer token, or a web session (with its CSRF token on state-changing
    requests).  It runs on the event loop, not in the thread pool: the look-up is one
    indexed read (well under a millisecond), and a hop to a worker thread would cost more."""
    engine = app_engine(request)
    if creds is not None:
        found = identity.resolve_token(engine, creds.credentials)
        if found is None:
            raise Unauthenticated("the token is unknown, expired, revoked, or its account is disabled")
        return Caller(found[0], found[1], None)
    cookie = request.cookies.get(SESSION_COOKIE)
    session = identity.resolve_session(engine, cookie) if cookie else None
    if session is None:
        raise Unauthenticated("sign in first: your session is missing or has expired")
    if request.method in _UNSAFE and request.headers.get(CSRF_HEADER) != session.csrf_token:
        raise Forbidden(f"missing or wrong {CSRF_HEADER} header for this session")
    return Caller(session.user, None, session)


CallerDep = Annotated[Caller, Depends(current_caller)]


def require(who: Caller, action: str, purpose: str | None, sink: AuditSink, *, subject: str | None = None,
            ask: str = "?purpose=") -> str:
    """The gate of every API look-up: the action must be in the token's scopes (a refusal
    is audited) and a reason must be given.  Returns the purpose; the access policy then
    decides the rest (the role's action, row rules, redactions)."""
    if not who.may(action):
        from leds.audit import AuditEvent

        detail = {"attempted": action, "why": "token scope", **({"subject": subject} if subject else {})}
        sink(AuditEvent(action="denied", actor=who.principal.id, detail=detail))
        raise Forbidden(f"this token's scopes do not include {action}")
    if not purpose:
        raise BadRequest(f"a reason is required: give {ask} one of {', '.join(rules.PURPOSES)}")
    return purpose


@dataclass
class Gate:
    """Everything a look-up route needs, resolved once by :func:`gate` or :func:`looking_up`."""

    caller: Caller
    action: str
    engine: Engine
    settings: Settings
    audit: AuditSink
    purpose: str | None = None
    reason: str | None = None
    ask: str = "purpose,"

    @property
    def principal(self) -> Principal:
        return self.caller.principal

    def open(self, purpose: str | None = None, reason: str | None = None, *, subject: str | None = None) -> Lookup:
        """Check the scope and require a purpose; the look-up context for the service."""
        purpose = purpose if purpose is not None else self.purpose
        reason = reason if reason is not None else self.reason
        purpose = require(self.caller, self.action, purpose, self.audit, subject=subject, ask=self.ask)
        return Lookup(self.caller.principal, purpose, reason, self.audit)

    def remember(self, lookup: Lookup) -> None:
        """A web session keeps its last purpose, so the next page offers it again."""
        s = self.caller.session
        if s is not None and (lookup.purpose, lookup.reason) != (s.purpose, s.purpose_text):
            identity.remember_purpose(self.engine, s, lookup.purpose, lookup.reason)

    def run(self, fn: Callable[[Connection, Lookup], T], purpose: str | None = None, reason: str | None = None,
            *, subject: str | None = None) -> T:
        """Open the look-up, run ``fn`` on a fresh connection, remember the purpose."""
        lookup = self.open(purpose, reason, subject=subject)
        with self.engine.connect() as conn:
            out = fn(conn, lookup)
        self.remember(lookup)
        return out


def gate(action: str) -> Callable[..., Gate]:
    """Dependency for a route whose purpose arrives in its JSON body: ``g.run(fn, body.purpose, body.reason)``."""

    def dependency(request: Request, who: CallerDep) -> Gate:
        settings = app_settings(request)
        return Gate(who, action, app_engine(request), settings, audit_sink(settings))

    return dependency


# The published purposes that need an explanation (the case reference): said in the schema.
NEEDS_TEXT = tuple(k for k, v in rules.PURPOSES.items() if v["needs_text"])

PurposeQuery = Annotated[str | None, Query(max_length=40, description="Reason code (see GET /api/v1/purposes).",
                                           json_schema_extra={"enum": list(rules.PURPOSES)})]
ReasonQuery = Annotated[str | None, Query(
    max_length=PURPOSE_TEXT_MAX,
    description="Explanation, e.g. the case reference. Required, and not blank, when the purpose needs one: "
    + ", ".join(NEEDS_TEXT) + ".")]


def looking_up(action: str) -> Callable[..., Gate]:
    """Dependency for a route whose purpose arrives as ``?purpose=&reason=``: ``g.run(fn)``."""

    def dependency(request: Request, who: CallerDep, purpose: PurposeQuery = None,
                   reason: ReasonQuery = None) -> Gate:
        settings = app_settings(request)
        return Gate(who, action, app_engine(request), settings, audit_sink(settings), purpose, reason,
                    ask="?purpose=")

    return dependency


# -- the one error map ---------------------------------------------------------------------
class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer: ``detail`` is a message, a field and its message, or (422)
    FastAPI's list of validation issues."""

    detail: str | FieldError | list[dict[str, Any]]


_DESCRIPTIONS = {
    400: "The request cannot be answered as asked (e.g. no reason given); `detail` says why.",
    401: "No valid token or session.",
    403: "The caller may not do this; `detail` names the rule.",
    404: "No such thing, or not one the caller may see (the same answer for both).",
    409: "The request contradicts the current state.",
    413: "The body is over its limit.",
    422: "A field failed validation; `detail` lists each issue with its location.",
    503: "Not ready yet (e.g. no matching model).",
}


def errors_documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each error status it can answer, with the error body."""
    return {c: {"model": ErrorBody, "description": _DESCRIPTIONS.get(c, "Error.")} for c in codes}


def api_error_response(exc: LedsError) -> JSONResponse:
    """The API's answer to a :class:`LedsError`: its status and the one body.  The app's one
    handler for LedsError (``leds.web.errors``) answers so under ``/api/``, and with a GOV.UK
    error page on a page."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)


# -- a look-up's body and answer -------------------------------------------------------------
MAX_QUERY_BYTES = 16 << 10  # a look-up's JSON body; anything larger is not a query


async def small_body(request: Request) -> None:
    """Dependency: a body over MAX_QUERY_BYTES is refused (413) before it is read."""
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > MAX_QUERY_BYTES:
        raise TooLarge(f"a query may be at most {MAX_QUERY_BYTES:,} bytes")


def json_answer(out: Any) -> Response:
    """A service's answer (plain dicts of JSON types) written by orjson directly, without
    FastAPI's validation against the route's ``response_model`` and its generic encoder
    (measured in leds.checks.views: validating costs a person check 5-10% of its budget)."""
    return Response(orjson.dumps(out), media_type="application/json")


def allowed_methods(request: Request) -> str:
    """The ``Allow`` header of a 405: every method of every route on the path (Starlette names
    only those of the first route that matched the path, so a path served by two routes, a GET
    and a POST, would say only one)."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "\x00"})  # a method no route has
        if match is Match.PARTIAL:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def complete_openapi(doc: dict[str, Any]) -> dict[str, Any]:
    """What FastAPI cannot infer, added to the OpenAPI document in one place, so that a client
    generated from it works:

    * the purpose of a look-up is required and is one of the published purposes, whether it
      travels as ``?purpose=`` or in the JSON body (a request without one is answered 400);
      a purpose that needs an explanation needs a ``reason`` that is not blank (said in JSON
      Schema for a body; a query's parameters cannot say it, so its description does);
    * a route with a JSON body can answer 400 for a body that is not JSON;
    * a route behind a bearer token can answer 401."""
    enum = {"type": "string", "enum": list(rules.PURPOSES), "description": "Reason code (GET /api/v1/purposes)."}
    explained = {"if": {"properties": {"purpose": {"enum": list(NEEDS_TEXT)}}, "required": ["purpose"]},
                 "then": {"properties": {"reason": {"type": "string", "pattern": r"\S"}}, "required": ["reason"]}}
    schemas = doc.get("components", {}).get("schemas", {})
    for model in schemas.values():
        props = model.get("properties", {})
        if "purpose" in props and "reason" in props:
            default = props["purpose"].get("default")
            props["purpose"] = {**enum, "title": "Purpose", **({"default": default} if default else {})}
            if default is None:  # required unless the model gives it a default (the gate refuses none)
                model["required"] = sorted({*model.get("required", []), "purpose"})
            model["allOf"] = [*model.get("allOf", []), explained]
    error = {"description": "The request cannot be answered as asked; `detail` says why.",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for p in op.get("parameters", []):
                if p.get("name") == "purpose" and p.get("in") == "query":
                    p["required"] = True
                    p["schema"] = {**enum, "title": "Purpose"}
            if "requestBody" in op:
                op["responses"].setdefault("400", error)
            if op.get("security"):
                op["responses"].setdefault("401", {**error, "description": "No valid token or session."})
    return doc
