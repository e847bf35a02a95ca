"""Alerts' web pages: the inbox (live, through the stream), the subscriptions with their
cancel buttons, and the "Follow this person" form on the person page
(``alerts_follow.html``).  The unread count on every page comes from
:func:`leds.alerts.inbox.unread_for_page` through the layout."""

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

from . import inbox as inbox_service
from . import subscriptions as subs
from .models import SubscriptionRequest

router = APIRouter(include_in_schema=False)


def _lookup(request: Request, purpose: str = "investigation", reason: str | None = None) -> Lookup:
    me = current_user(request)
    return Lookup(me.principal, purpose, reason, audit_sink(app_settings(request)))


@router.get("/alerts")
def inbox_page(request: Request) -> Response:
    me = current_user(request)
    lk = _lookup(request)
    with app_engine(request).connect() as conn:
        alerts = inbox_service.inbox(conn, lk, limit=100)
        mine = subs.list_subscriptions(conn, lk) if me.may("manage_alerts") else []
        if alerts:
            inbox_service.mark_seen(conn, me.principal, max(a.id for a in alerts))
    return render(request, "alerts_inbox.html", me=me, title="Alerts", alerts=alerts, subscriptions=mine,
                  newest=max([0, *[a.id for a in alerts]]))


@router.post("/alerts/follow")
def follow(request: Request, person_id: Annotated[str, Form(max_length=200)] = "",
           purpose: Annotated[str, Form(max_length=40)] = "", reason: Annotated[str, Form(max_length=500)] = "",
           watch: Annotated[str, Form(max_length=3)] = "", csrf_token: Annotated[str, Form()] = "") -> Response:
    me = current_user(request)
    check_csrf(me, csrf_token)
    if CONTROL.search(person_id + reason + purpose):
        return error_page(request, 400, "Remove the character that is not allowed (a control character such as NUL)")
    try:
        req = SubscriptionRequest(person_id=person_id or None, purpose=purpose or "investigation", reason=reason,
                                  watch=watch == "yes", expires=None)
    except ValueError:
        return error_page(request, 400, "Give the person and a reason (for example the case reference).")
    try:
        with app_engine(request).connect() as conn:
            subs.subscribe(conn, _lookup(request, req.purpose, reason), req)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/subscribe")
def subscribe_form(request: Request, kind: Annotated[str, Form(max_length=8)] = "",
                   vrm: Annotated[str, Form(max_length=16)] = "", spec: Annotated[str, Form(max_length=4000)] = "",
                   reason: Annotated[str, Form(max_length=500)] = "",
                   csrf_token: Annotated[str, Form()] = "") -> Response:
    """A vehicle, a rule or a saved search (as JSON), from the alerts page."""
    import orjson

    me = current_user(request)
    check_csrf(me, csrf_token)
    if CONTROL.search(vrm + spec + reason):
        return error_page(request, 400, "Remove the character that is not allowed (a control character such as NUL)")
    body: dict[str, object] = {"reason": reason}
    try:
        if kind == "vehicle":
            body["vrm"] = vrm
        elif kind in ("rule", "search"):
            body[kind] = orjson.loads(spec or b"null")
        else:
            return error_page(request, 400, "Choose what to subscribe to: a vehicle, a rule or a saved search.")
        req = SubscriptionRequest.model_validate(body)
    except (ValueError, orjson.JSONDecodeError) as exc:
        return error_page(request, 400, f"The subscription is not valid: {exc}"[:600])
    try:
        with app_engine(request).connect() as conn:
            subs.subscribe(conn, _lookup(request, req.purpose, reason), req)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/subscriptions/{subscription_id}/cancel")
def cancel(request: Request, subscription_id: int, csrf_token: Annotated[str, Form()] = "") -> Response:
    me = current_user(request)
    check_csrf(me, csrf_token)
    try:
        with app_engine(request).connect() as conn:
            subs.cancel(conn, _lookup(request), subscription_id)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return RedirectResponse("/alerts", status_code=303)
