"""Data-quality pages: the scorecard dashboard (filters, an SVG chart with its table, CSV and
Parquet export), the drill-down to failing records (through the access policy, audited for
the purpose "data quality"), the performance framework's league table and each force's page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leds.access.deps import app_engine, app_settings, audit_sink
from leds.access.lookup import Lookup
from leds.errors import LedsError
from leds.reports.charts import RAG, bar_chart, line_chart, to_csv, to_parquet
from leds.standard.codes import FORCES
from leds.web.errors import error_page
from leds.web.render import CONTROL, render
from leds.web.session import current_user

from . import framework, service
from .rules import BY_ID, DIMENSIONS, RULES

router = APIRouter(include_in_schema=False)
PURPOSE = "data_quality"


def _refused(request: Request) -> Response:
    return error_page(request, 403, "Your role does not allow you to see data-quality measures.")


def _form(request: Request) -> dict[str, str]:
    q = {k: v for k, v in request.query_params.items() if v and len(v) <= 64 and not CONTROL.search(v)}
    return {
        "force": q.get("force", "") if q.get("force") in FORCES else "",
        "rule": q.get("rule", "") if q.get("rule") in BY_ID else "person.birth_date.present",
        "period": q.get("period", "") if q.get("period") in ("week", "month") else "",
        "by": q.get("by", "force") if q.get("by") in ("force", "source") else "force",
    }


def _rate(p: int, t: int) -> str:
    return f"{100 * p / t:.1f}%" if t else "-"


def _rows(request: Request, form: dict[str, str]) -> list[dict[str, Any]]:
    with app_engine(request).connect() as conn:
        rows = service.scorecard(conn, by=form["by"], period=form["period"] or None,  # type: ignore[arg-type]
                                 force=form["force"] or None)
    for r in rows:
        r["rate"] = _rate(r["passed"], r["total"])
    return rows


@router.get("/quality")
def scorecard_page(request: Request) -> Response:
    me = current_user(request)
    if not me.may("view_data_quality"):
        return _refused(request)
    form = _form(request)
    rows = _rows(request, form)
    per_force: dict[str, list[int]] = {}
    for r in rows:
        if r["rule"] == form["rule"]:
            acc = per_force.setdefault(r["force"], [0, 0])
            acc[0] += r["passed"]
            acc[1] += r["total"]
    ordered = sorted(per_force.items())
    chart_rows = [{"force": f, "passed": p, "total": t, "rate": _rate(p, t)} for f, (p, t) in ordered]
    title = f"{form['rule']}: rate by force"
    chart = bar_chart("rule-chart", title, [(f, round(100 * p / t, 1) if t else None) for f, (p, t) in ordered],
                      unit="%", max_value=100.0)
    query = "?" + urlencode({k: v for k, v in form.items() if v})
    dims = service.by_dimension(rows)
    dimensions = [d for d in DIMENSIONS if any(k[1] == d for k in dims)]
    by_dim = [{"force": f, **{d: _rate(*dims[(f, d)]) if (f, d) in dims else "-" for d in dimensions}}
              for f in sorted({k[0] for k in dims})]
    return render(request, "quality_scorecard.html", me=me, title="Data quality scorecard", form=form, rows=rows,
                  by_dim=by_dim, dimensions=dimensions, dim_columns=[(d, d.capitalize()) for d in dimensions],
                  chart=chart, chart_title=title, chart_rows=chart_rows, query=query,
                  forces=list(FORCES.items()), rules=[(r.id, r.id) for r in RULES])


@router.get("/quality/scorecard.{fmt}")
def scorecard_export(request: Request, fmt: str) -> Response:
    me = current_user(request)
    if not me.may("view_data_quality"):
        return _refused(request)
    if fmt not in ("csv", "parquet"):
        return error_page(request, 404, "Exports are CSV or Parquet.")
    return _download(_rows(request, _form(request)), "scorecard", fmt)


def _download(rows: list[dict[str, Any]], name: str, fmt: str) -> Response:
    if fmt == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(to_parquet(rows), media_type="application/vnd.apache.parquet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.parquet"'})


@router.get("/quality/rules")
def rules_page(request: Request) -> Response:
    me = current_user(request)
    if not me.may("view_data_quality"):
        return _refused(request)
    rows = [{"id": r.id, "dimension": r.dimension, "description": r.description, "counts": r.counts} for r in RULES]
    return render(request, "quality_rules.html", me=me, title="Data-quality rules", rows=rows)


@router.get("/quality/failures")
def failures_page(request: Request) -> Response:
    me = current_user(request)
    if not me.may("view_data_quality"):
        return _refused(request)
    q = request.query_params
    rule, force, source = q.get("rule", ""), q.get("force", ""), q.get("source") or None
    if rule not in BY_ID or force not in FORCES or (source and (len(source) > 64 or CONTROL.search(source))):
        return error_page(request, 400, "Choose a rule and a force from the scorecard.")
    lookup = Lookup(me.principal, PURPOSE, None, audit_sink(app_settings(request)))
    try:
        with app_engine(request).connect() as conn:
            d = service.failures(conn, lookup, rule, force, source=source)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return render(request, "quality_failures.html", me=me, title=f"Failing {rule}", d=d)


def _league(request: Request) -> list[dict[str, Any]]:
    with app_engine(request).connect() as conn:
        return framework.league(conn)


@router.get("/quality/framework")
def framework_page(request: Request) -> Response:
    me = current_user(request)
    if not me.may("view_data_quality"):
        return _refused(request)
    league = _league(request)
    chart = bar_chart("league-chart", "Overall score by force (the mean of its measures)",
                      [(r["force"], r["score"]) for r in league], unit="%", max_value=100.0,
                      colours=[RAG[r["rag"]] for r in league])
    return render(request, "quality_framework.html", me=me, title="National data performance framework",
                  league=league, measures=framework.MEASURES, chart=chart, colours=RAG, pilots=framework.PILOTS)


@router.get("/quality/framework.{fmt}")
def framework_export(request: Request, fmt: str) -> Response:
    me = current_user(request)
    if not me.may("view_data_quality"):
        return _refused(request)
    if fmt not in ("csv", "parquet"):
        return error_page(request, 404, "Exports are CSV or Parquet.")
    rows = [{"rank": r["rank"], "force": r["force"], "pilot": r["pilot"], "rag": r["rag"], "score": r["score"],
             **{f"{k}_value": v["value"] for k, v in r["measures"].items()},
             **{f"{k}_rag": v["rag"] for k, v in r["measures"].items()}} for r in _league(request)]
    return _download(rows, "framework", fmt)


@router.get("/quality/framework/{force}")
def force_page(request: Request, force: str) -> Response:
    me = current_user(request)
    if not me.may("view_data_quality"):
        return _refused(request)
    if force not in FORCES:
        return error_page(request, 404, "There is no such force.")
    with app_engine(request).connect() as conn:
        d = framework.force_page(conn, force)
    measures = d["current"].get("measures", {})
    measure_rows = [{"title": m.title, **measures.get(m.id, {"value": None, "passed": 0, "total": 0, "rag": "grey"})}
                    for m in framework.MEASURES]
    ids = [m.id for m in framework.MEASURES if m.rule]
    xs = [t["period"] for t in d["trends"]]
    series: dict[str, Sequence[float | None]] = {m: [t.get(m, {}).get("value") for t in d["trends"]] for m in ids
              if any(t.get(m) for t in d["trends"])}
    chart = line_chart("trend-chart", f"{FORCES[force]}: measures by week", xs, series)
    trend_rows = [{"period": t["period"], **{m: (t.get(m) or {}).get("value") for m in series}} for t in d["trends"]]
    return render(request, "quality_force.html", me=me, title=f"{FORCES[force]}: data performance", d=d,
                  force_name=FORCES[force], measure_rows=measure_rows, chart=chart, trend_rows=trend_rows,
                  trend_columns=[("period", "Week"), *[(m, m.capitalize()) for m in series]],
                  trend_numeric=tuple(series))
