"""Retention's web pages: the review queue with its decisions (``review_retention``), and
data subjects' requests with their one-month clock (``manage_rights``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leds.access.deps import app_engine, app_settings, audit_sink
from leds.access.lookup import Lookup
from leds.errors import LedsError
from leds.web.errors import error_page
from leds.web.render import CONTROL, render
from leds.web.session import check_csrf, current_user

from . import review as rv
from . import rights
from .rules import RULES_VERSION, published

router = APIRouter(include_in_schema=False)


def _lookup(request: Request) -> Lookup:
    me = current_user(request)
    return Lookup(me.principal, "data_protection", None, audit_sink(app_settings(request)))


@router.get("/retention")
def queue_page(request: Request) -> Response:
    me = current_user(request)
    try:
        with app_engine(request).connect() as conn:
            q = rv.queue(conn, _lookup(request), limit=200)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return render(request, "retention_queue.html", me=me, title="Retention review", q=q, rules=published(),
                  rules_version=RULES_VERSION)


@router.post("/retention/review")
def review_post(request: Request, rkey: Annotated[str, Form(max_length=200)] = "",
                decision: Annotated[str, Form(max_length=12)] = "", reason: Annotated[str, Form(max_length=2000)] = "",
                csrf_token: Annotated[str, Form()] = "") -> Response:
    me = current_user(request)
    check_csrf(me, csrf_token)
    if CONTROL.search(rkey + decision + reason):
        return error_page(request, 400, "Remove the character that is not allowed (a control character such as NUL)")
    try:
        with app_engine(request).connect() as conn:
            rv.decide(conn, _lookup(request), rkey, decision, reason)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return RedirectResponse("/retention", status_code=303)


@router.get("/retention/requests")
def requests_page(request: Request) -> Response:
    me = current_user(request)
    try:
        with app_engine(request).connect() as conn:
            found = rights.list_requests(conn, _lookup(request))
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return render(request, "retention_requests.html", me=me, title="Data subjects' requests", requests=found,
                  kinds=rights.KINDS)


@router.post("/retention/requests")
def request_post(request: Request, kind: Annotated[str, Form(max_length=16)] = "",
                 person_id: Annotated[str, Form(max_length=200)] = "", rkey: Annotated[str, Form(max_length=200)] = "",
                 detail: Annotated[str, Form(max_length=2000)] = "", csrf_token: Annotated[str, Form()] = "") -> Response:
    me = current_user(request)
    check_csrf(me, csrf_token)
    if CONTROL.search(kind + person_id + rkey + detail):
        return error_page(request, 400, "Remove the character that is not allowed (a control character such as NUL)")
    try:
        with app_engine(request).connect() as conn:
            rights.create_request(conn, _lookup(request), kind, person_id.strip(), detail, rkey=rkey.strip() or None)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return RedirectResponse("/retention/requests", status_code=303)


@router.post("/retention/requests/{request_id}/decision")
def decision_post(request: Request, request_id: int, outcome: Annotated[str, Form(max_length=12)] = "",
                  decision: Annotated[str, Form(max_length=2000)] = "", csrf_token: Annotated[str, Form()] = ""
                  ) -> Response:
    me = current_user(request)
    check_csrf(me, csrf_token)
    if CONTROL.search(outcome + decision):
        return error_page(request, 400, "Remove the character that is not allowed (a control character such as NUL)")
    try:
        with app_engine(request).connect() as conn:
            rights.decide_request(conn, _lookup(request), request_id, outcome, decision)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return RedirectResponse("/retention/requests", status_code=303)
