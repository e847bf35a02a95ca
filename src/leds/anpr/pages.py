"""The analyst's pages: ``/anpr`` (profile a known route, with a reason) and
``/anpr/vehicle/{vrm}`` (a flagged vehicle: its scores and reasons, a map of its trips,
and its keeper and users, markers and reports from leds's records, read through the
access policy under the ``anpr`` action).  Both are GET forms that carry the CSRF token:
a link someone else made is shown for the analyst to confirm, never run as it stands."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leds.access.deps import app_engine, app_settings, audit_sink
from leds.access.lookup import Lookup
from leds.errors import BadRequest, LedsError
from leds.web import reason
from leds.web.errors import error_page
from leds.web.render import Errors, render
from leds.web.session import csrf_ok, current_user

from . import service
from .svgmap import trips_map

router = APIRouter(include_in_schema=False)


def _why(request: Request, form: dict[str, str], errors: Errors) -> Any:
    me = current_user(request)
    if not csrf_ok(me, form.get("csrf_token")):
        return None
    why = reason.read(form, errors)
    if why is not None:
        reason.remember(app_engine(request), me, why)
    return why


def _link(me: Any, why: Any, vrm: str) -> str:
    q = {"purpose": why.purpose, reason.field(why.purpose): why.text or "", "csrf_token": me.csrf_token}
    return f"/anpr/vehicle/{vrm}?{urlencode(q)}"


@router.get("/anpr")
def anpr_page(request: Request) -> Response:
    me = current_user(request)
    if not me.may("anpr"):
        return error_page(request, 403, "Your role does not allow you to query ANPR reads.")
    settings = app_settings(request)
    try:
        routes = service.known_routes(settings)
    except BadRequest:
        routes = []
    form = dict(request.query_params)
    errors = Errors()
    result, links = None, {}
    why = _why(request, form, errors) if form else None
    if why is not None and not errors:
        lk = Lookup(me.principal, why.purpose, why.text, audit_sink(settings))
        chosen = form.get("route") or None
        try:
            result = service.profile(settings, app_engine(request), lk, routes, chosen, 20)
        except LedsError as exc:
            return error_page(request, exc.status_code, exc.message)
        links = {e["vrm"]: _link(me, why, e["vrm"]) for rows in result["routes"].values() for e in rows}
    return render(request, "anpr_profile.html", me=me, title="ANPR Find & Profile", routes=routes, form=form,
                  result=result, links=links, errors=errors, confirm=bool(form) and why is None and not errors,
                  reason_values=reason.picker_values(form or None, me))


@router.get("/anpr/vehicle/{vrm}")
def vehicle_page(request: Request, vrm: str) -> Response:
    me = current_user(request)
    if not me.may("anpr"):
        return error_page(request, 403, "Your role does not allow you to query ANPR reads.")
    if not 2 <= len(vrm) <= 12 or not vrm.isalnum():
        return error_page(request, 400, "A registration mark has 2 to 12 letters and digits.")
    form = dict(request.query_params)
    errors = Errors()
    why = _why(request, form, errors) if form else None
    if why is None or errors:
        return render(request, "anpr_vehicle.html", me=me, title=f"ANPR: {vrm}", vrm=vrm, form=form,
                      errors=errors, result=None, confirm=True, reason_values=reason.picker_values(form or None, me))
    settings = app_settings(request)
    lk = Lookup(me.principal, why.purpose, why.text, audit_sink(settings))
    try:
        seen = service.vehicle_reads(settings, lk, vrm)
        with app_engine(request).connect() as conn:
            records = service.linked_records(conn, lk, vrm)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    svg = trips_map(seen["cameras"], seen["reads"], seen["routes"], f"Reads of {seen['vrm']} on the camera network")
    return render(request, "anpr_vehicle.html", me=me, title=f"ANPR: {seen['vrm']}", vrm=seen["vrm"], seen=seen,
                  records=records, svg=svg, result=True, errors=errors, form=form, confirm=False,
                  reason_values=reason.picker_values(form, me))
