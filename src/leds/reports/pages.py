"""Reporting pages: management information (by day, week or month), stop and search by
ethnicity and street-level crime from imported data.police.uk files (SVG charts with their
tables, filters, CSV and Parquet export), and the user's saved reports (save, run)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from leds.access.deps import app_engine, app_settings, audit_sink
from leds.access.lookup import Lookup
from leds.db.engine import write_transaction
from leds.errors import LedsError
from leds.opendata.tables import opendata_imports
from leds.web.errors import error_page
from leds.web.render import CONTROL, render
from leds.web.session import WebUser, check_csrf, current_user

from . import mi, saved, statistics
from .charts import bar_chart, to_csv, to_parquet

router = APIRouter(include_in_schema=False)
MI_SECTIONS: tuple[tuple[str, str, list[tuple[str, str]]], ...] = (
    ("ingest", "Updategrams accepted", [("period", "Period"), ("force", "Force"), ("count", "Lines")]),
    ("quarantine", "Lines quarantined, by reason", [("period", "Period"), ("force", "Force"), ("reason", "Reason"),
                                                    ("count", "Lines")]),
    ("lookups", "Checks, searches and views, by force, role and purpose",
     [("period", "Period"), ("force", "Force"), ("role", "Role"), ("purpose", "Purpose"), ("kind", "Kind"),
      ("count", "Look-ups")]),
    ("matching", "Matching and review", [("period", "Period"), ("measure", "Measure"), ("count", "Count")]),
    ("alerts", "Alerts delivered", [("period", "Period"), ("force", "Force"), ("kind", "Kind"), ("count", "Alerts")]),
    ("missing", "Missing episodes reported", [("period", "Period"), ("force", "Force"), ("risk", "Risk"),
                                              ("count", "Episodes")]),
)


def _me(request: Request) -> WebUser | Response:
    me = current_user(request)
    if not me.may("view_reports"):
        return error_page(request, 403, "Your role does not allow you to see reports.")
    return me


def _q(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if v and len(v) <= 64 and not CONTROL.search(v)}


def _download(rows: list[dict[str, Any]], name: str, fmt: str) -> Response:
    if fmt == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(to_parquet(rows), media_type="application/vnd.apache.parquet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.parquet"'})


def _grain(q: dict[str, str]) -> str:
    return q.get("grain", "week") if q.get("grain") in ("day", "week", "month") else "week"


@router.get("/reports")
def mi_page(request: Request) -> Response:
    me = _me(request)
    if isinstance(me, Response):
        return me
    grain = _grain(_q(request))
    with app_engine(request).connect() as conn:
        doc = mi.management_information(conn, grain=grain)  # type: ignore[arg-type]
    charts = {}
    for key in ("ingest", "lookups"):
        totals: dict[str, int] = {}
        for r in doc[key]:
            totals[r["force"] or "(none)"] = totals.get(r["force"] or "(none)", 0) + r["count"]
        if totals:
            charts[key] = bar_chart(f"chart-{key}", f"{dict((s[0], s[1]) for s in MI_SECTIONS)[key]}, by force",
                                    sorted(totals.items(), key=lambda kv: -kv[1])[:15])
    return render(request, "reports_mi.html", me=me, title="Management information", mi=doc, grain=grain,
                  sections=MI_SECTIONS, charts=charts)


@router.get("/reports/mi/{section}.{fmt}")
def mi_export(request: Request, section: str, fmt: str) -> Response:
    me = _me(request)
    if isinstance(me, Response):
        return me
    if section not in mi.SECTIONS or fmt not in ("csv", "parquet"):
        return error_page(request, 404, "No such export.")
    with app_engine(request).connect() as conn:
        doc = mi.management_information(conn, grain=_grain(_q(request)), sections=(section,))  # type: ignore[arg-type]
    return _download(doc[section], f"mi-{section}", fmt)


def _choices(request: Request, kind: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with app_engine(request).connect() as conn:
        rows = conn.execute(select(opendata_imports.c.force, opendata_imports.c.month)
                            .where(opendata_imports.c.kind == kind)).all()
    forces = sorted({f for f, _ in rows})
    months = sorted({m for _, m in rows})
    return [(f, f.replace("-", " ").title()) for f in forces], [(m, m) for m in months]


def _stop_search(request: Request) -> tuple[dict[str, str], dict[str, Any]]:
    q = _q(request)
    form = {"force": q.get("force", ""), "month": q.get("month", ""),
            "ethnicity": q.get("ethnicity", "officer") if q.get("ethnicity") in ("officer", "self") else "officer"}
    with app_engine(request).connect() as conn:
        d = statistics.stop_search(conn, force=form["force"] or None, month=form["month"] or None,
                                   ethnicity=form["ethnicity"])  # type: ignore[arg-type]
    return form, d


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _ci(v: Any, percent: bool = False) -> str:
    if not v:
        return "-"
    return f"{_pct(v[0])} to {_pct(v[1])}" if percent else f"{v[0]} to {v[1]}"


@router.get("/reports/stop-search")
def stop_search_page(request: Request) -> Response:
    me = _me(request)
    if isinstance(me, Response):
        return me
    form, d = _stop_search(request)
    forces, months = _choices(request, "stop_search")
    chart = bar_chart("stop-search-chart", "Searches by ethnic group", [(g["group"], g["searches"]) for g in d["groups"]])
    return render(request, "reports_stop_search.html", me=me, title="Stop and search by ethnicity", d=d, form=form,
                  forces=forces, months=months, chart=chart, pct=_pct, ci=_ci,
                  query="?" + urlencode({k: v for k, v in form.items() if v}))


@router.get("/reports/stop-search.{fmt}")
def stop_search_export(request: Request, fmt: str) -> Response:
    me = _me(request)
    if isinstance(me, Response):
        return me
    if fmt not in ("csv", "parquet"):
        return error_page(request, 404, "Exports are CSV or Parquet.")
    _, d = _stop_search(request)
    return _download(d["groups"], "stop-search", fmt)


def _crime(request: Request) -> tuple[dict[str, str], dict[str, Any]]:
    q = _q(request)
    by = q.get("by", "crime_type")
    form = {"by": by if by in ("crime_type", "month", "lsoa", "falls_within") else "crime_type",
            "force": q.get("force", ""), "month_from": q.get("month_from", ""), "month_to": q.get("month_to", "")}
    with app_engine(request).connect() as conn:
        d = statistics.crime(conn, by=form["by"], force=form["force"] or None,  # type: ignore[arg-type]
                             month_from=form["month_from"] or None, month_to=form["month_to"] or None)
    return form, d


@router.get("/reports/crime")
def crime_page(request: Request) -> Response:
    me = _me(request)
    if isinstance(me, Response):
        return me
    form, d = _crime(request)
    forces, months = _choices(request, "street")
    chart = bar_chart("crime-chart", f"Crimes by {form['by'].replace('_', ' ')}",
                      [(r["key"], r["crimes"]) for r in d["rows"][:25]])
    return render(request, "reports_crime.html", me=me, title="Street-level crime", d=d, form=form, forces=forces,
                  months=months, chart=chart, query="?" + urlencode({k: v for k, v in form.items() if v}))


@router.get("/reports/crime.{fmt}")
def crime_export(request: Request, fmt: str) -> Response:
    me = _me(request)
    if isinstance(me, Response):
        return me
    if fmt not in ("csv", "parquet"):
        return error_page(request, 404, "Exports are CSV or Parquet.")
    return _download(_crime(request)[1]["rows"], "crime", fmt)


def _saved_page(request: Request, me: WebUser, *, message: str | None = None, result: dict[str, Any] | None = None,
                form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with app_engine(request).connect() as conn:
        reports = saved.mine(conn, me.principal)
    return render(request, "reports_saved.html", me=me, title="Saved reports", reports=reports, message=message,
                  result=result, form=form or {}, relations=list(saved.RELATIONS.items()), status_code=status_code)


@router.get("/reports/saved")
def saved_page(request: Request) -> Response:
    me = _me(request)
    if isinstance(me, Response):
        return me
    return _saved_page(request, me)


@router.post("/reports/saved")
async def save_post(request: Request) -> Response:
    form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    me = await run_in_threadpool(current_user, request)
    check_csrf(me, form.get("csrf_token"))
    if not me.may("view_reports"):
        return error_page(request, 403, "Your role does not allow you to save reports.")
    try:
        params = orjson.loads(form.get("params") or "{}")
        if not isinstance(params, dict):
            raise ValueError
    except (orjson.JSONDecodeError, ValueError):
        return await run_in_threadpool(lambda: _saved_page(request, me, message="Parameters must be a JSON object.",
                                                           form=form, status_code=400))
    name, query = (form.get("name") or "").strip()[:100], (form.get("query") or "")[:20_000]
    if not name or not query.strip():
        return await run_in_threadpool(lambda: _saved_page(request, me, message="Give the report a name and a query.",
                                                           form=form, status_code=400))

    def run() -> Response:
        try:
            with app_engine(request).connect() as conn, write_transaction(conn):
                rep = saved.save(conn, me.principal, name=name, query=query, params=params,
                                 schedule=form.get("schedule", "none"))
        except LedsError as exc:
            return _saved_page(request, me, message=f"Not saved: {exc.message}", form=form,
                               status_code=exc.status_code)
        return _saved_page(request, me, message=f"Saved \u201c{rep['name']}\u201d.")

    return await run_in_threadpool(run)


@router.post("/reports/saved/{report_id}/run")
async def run_post(request: Request, report_id: int) -> Response:
    form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    me = await run_in_threadpool(current_user, request)
    check_csrf(me, form.get("csrf_token"))
    if not me.may("view_reports"):
        return error_page(request, 403, "Your role does not allow you to run reports.")
    lookup = Lookup(me.principal, "audit", None, audit_sink(app_settings(request)))

    def run() -> Response:
        try:
            out = saved.run_saved(app_engine(request), lookup, report_id)
        except LedsError as exc:
            return error_page(request, exc.status_code, exc.message)
        msg = (f"Ran \u201c{out['report']['name']}\u201d: {out.get('row_count', 0)} rows"
               + ("; sent to your alerts inbox." if out["delivered"] else ".")) if out["status"] == "ok" \
            else f"\u201c{out['report']['name']}\u201d was {out['status']}: {out.get('error')}"
        return _saved_page(request, me, message=msg, result=out if out["status"] == "ok" else None)

    return await run_in_threadpool(run)
