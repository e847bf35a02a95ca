"""The register's web pages: the national live view (filters, headline counts, repeat-missing
highlighted, the coordinator's overdue items), one episode with its history (and, for its
force's coordinators, re-grade and found forms), the report form, and the statistics with SVG
charts and CSV.  The register is opened for the purpose "missing person enquiry"."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from leds.access.deps import app_engine, app_settings, audit_sink
from leds.access.lookup import Lookup
from leds.errors import LedsError
from leds.standard.codes import FORCES
from leds.web.errors import error_page
from leds.web.render import CONTROL, Errors, pages, render
from leds.web.session import WebUser, check_csrf, current_user

from . import report, service, stats, timers
from .models import AGE_BANDS, LiveFilters, ReportRequest, UpdateRequest

router = APIRouter(include_in_schema=False)
PURPOSE = "missing_person_enquiry"
RISKS = {"high": "High", "medium": "Medium", "low": "Low", "very_low": "Very low"}


def _lookup(request: Request, me: WebUser) -> Lookup:
    return Lookup(me.principal, PURPOSE, None, audit_sink(app_settings(request)))


def _refused(request: Request) -> Response:
    return error_page(request, 403, "Your role does not allow you to see the missing persons register.")


@router.get("/missing")
def live_page(request: Request) -> Response:
    me = current_user(request)
    if not me.may("view_missing"):
        return _refused(request)
    form = {k: v for k, v in request.query_params.items() if v and not CONTROL.search(v)}
    errors = Errors()
    try:
        f = LiveFilters.model_validate({**{k: form[k] for k in ("force", "risk", "age_band", "vulnerability", "min_hours",
                                                 "max_hours", "page") if k in form},
                                         "repeat_only": form.get("repeat_only") == "yes"})
    except ValidationError as exc:
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "force"
            errors.add(name, f"Check the {name.replace('_', ' ')}: {e['msg'].removeprefix('Value error, ')}")
        f = LiveFilters()
    lk = _lookup(request, me)
    try:
        with app_engine(request).connect() as conn:
            result = service.live(conn, lk, f)
            overdue = timers.overdue(conn, lk) if me.may("manage_missing") else []
    except LedsError as exc:
        if exc.field:
            errors.add(exc.field, exc.message[:1].upper() + exc.message[1:])
            with app_engine(request).connect() as conn:
                result = service.live(conn, lk, LiveFilters())
            overdue = []
        else:
            return error_page(request, exc.status_code, exc.message)
    base = {k: v for k, v in form.items() if k != "page"}
    pagination = pages(result["total"], f.page, f.per_page, lambda n: "/missing?" + urlencode({**base, "page": n}))
    return render(request, "missing_live.html", me=me, status_code=400 if errors else 200, errors=errors,
                  title="Missing persons: live", result=result, form=form, forces=FORCES, risks=RISKS,
                  age_bands=[*AGE_BANDS, "unknown"], pagination=pagination, overdue=overdue,
                  sees_sensitive=service.sees_sensitive(me.principal))


@router.get("/missing/episodes/{episode_id:path}")
def episode_page(request: Request, episode_id: str) -> Response:
    me = current_user(request)
    if not me.may("view_missing"):
        return _refused(request)
    if len(episode_id) > 200 or CONTROL.search(episode_id):
        return error_page(request, 404, "There is no such episode, or not one you may see.")
    try:
        with app_engine(request).connect() as conn:
            d = service.episode(conn, _lookup(request, me), episode_id)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    e = d["episode"]
    editable = (me.may("manage_missing") and e["source"] == report.WEB_SOURCE and e["force"] == me.force)
    return render(request, "missing_episode.html", me=me, title="Missing episode", d=d, e=e, risks=RISKS,
                  editable=editable, done=request.query_params.get("done"))


@router.post("/missing/episodes/{episode_id:path}/versions")
async def version_post(request: Request, episode_id: str) -> Response:
    form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    me = await run_in_threadpool(current_user, request)
    check_csrf(me, form.get("csrf_token"))
    if not me.may("manage_missing"):
        return _refused(request)
    values: dict[str, Any] = {"rationale": form.get("rationale") or "", "purpose": PURPOSE}
    for k in ("risk", "status"):
        if form.get(k):
            values[k] = form[k]
    if form.get("found_at"):
        values["found"] = {"at": form["found_at"], **({"place": form["found_place"]} if form.get("found_place") else {})}
        values["status"] = "found"
    if form.get("rhi_at"):
        values["return_interview_at"] = form["rhi_at"]
    try:
        req = UpdateRequest.model_validate(values)
        await run_in_threadpool(report.update, app_settings(request), _lookup(request, me), episode_id, req)
    except ValidationError as exc:
        return error_page(request, 400, "Check the form: " + "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()))
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return RedirectResponse(f"/missing/episodes/{episode_id}?done=1", status_code=303)


@router.get("/missing/report")
def report_form(request: Request) -> Response:
    me = current_user(request)
    if not me.may("manage_missing"):
        return error_page(request, 403, "Only missing-persons coordinators report people missing here.")
    return render(request, "missing_report.html", me=me, title="Report a person missing", form={}, risks=RISKS)


@router.post("/missing/report")
async def report_post(request: Request) -> Response:
    form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    me = await run_in_threadpool(current_user, request)
    check_csrf(me, form.get("csrf_token"))
    if not me.may("manage_missing"):
        return error_page(request, 403, "Only missing-persons coordinators report people missing here.")
    errors = Errors()
    form = errors.refuse_control(form)
    values: dict[str, Any] = {k: form[k].strip() for k in ("person", "reported_at", "risk", "circumstances",
                                                           "contact", "rationale") if (form.get(k) or "").strip()}
    if (form.get("last_seen_at") or "").strip():
        values["last_seen"] = {"at": form["last_seen_at"].strip(),
                               **({"place": form["last_seen_place"].strip()} if form.get("last_seen_place") else {})}
    values["purpose"] = PURPOSE
    vul = [v.strip() for v in (form.get("vulnerabilities") or "").split(",") if v.strip()]
    if vul:
        values["vulnerabilities"] = vul
    answer = None
    try:
        req = ReportRequest.model_validate(values)
        answer = await run_in_threadpool(report.report, app_settings(request), _lookup(request, me), req)
    except ValidationError as exc:
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "person"
            field = {"last_seen": "last_seen_at"}.get(name, name)
            errors.add(field, f"{field.replace('_', ' ').capitalize()}: {e['msg'].removeprefix('Value error, ')}")
    except LedsError as exc:
        field = {"found": "reported_at"}.get(exc.field or "", exc.field or "person")
        msg = exc.message
        if "LAST_SEEN_AFTER_REPORTED" in msg:
            field = "last_seen_at"
        elif "FUTURE_DATE" in msg:
            field = "reported_at"
        errors.add(field, msg[:1].upper() + msg[1:])
    if errors or answer is None:
        return render(request, "missing_report.html", me=me, status_code=400, errors=errors,
                      title="Report a person missing", form=form, risks=RISKS)
    return render(request, "missing_reported.html", me=me, title="Person reported missing", answer=answer)


@router.get("/missing/stats")
def stats_page(request: Request) -> Response:
    me = current_user(request)
    if not me.may("view_missing"):
        return _refused(request)
    with app_engine(request).connect() as conn:
        s = stats.stats(conn, _lookup(request, me))
    return render(request, "missing_stats.html", me=me, title="Missing persons: statistics", s=s, risks=RISKS)


@router.get("/missing/stats.csv")
def stats_csv(request: Request) -> Response:
    me = current_user(request)
    if not me.may("view_missing"):
        return _refused(request)
    with app_engine(request).connect() as conn:
        s = stats.stats(conn, _lookup(request, me))
    return Response(stats.stats_csv(s), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="missing-persons-statistics.csv"'})
