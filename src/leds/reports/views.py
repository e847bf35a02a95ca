"""API routes of reporting (``/api/v1/reports``): management information and the statistics
over open data (the ``view_reports`` action), and saved user reports (save, list, run,
delete; runs are audited and delivered to the owner's alerts inbox)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import Connection

from leds.access.deps import (
    Caller,
    CallerDep,
    app_engine,
    app_settings,
    audit_sink,
    errors_documented,
    json_answer,
)
from leds.access.lookup import Lookup
from leds.access.policy import AccessDenied
from leds.db.engine import write_transaction
from leds.errors import Forbidden

from . import mi, saved, statistics
from .models import (
    MI,
    CrimeReport,
    Grain,
    QueryRequest,
    QueryResult,
    ReportRequest,
    Run,
    RunRequest,
    RunResult,
    SavedReport,
    StopSearchReport,
)

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
T = TypeVar("T")
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]
Slug = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9-]+$", description="police.uk force, e.g. metropolitan")]
ReportId = Annotated[int, Path(ge=1, le=2**62)]


def may_report(who: Caller) -> None:
    if not who.may("view_reports"):
        raise Forbidden("this token's scopes do not include view_reports")
    if "view_reports" not in who.principal.actions():
        raise AccessDenied(f"{who.principal.id} has no role that allows 'view_reports'")


async def _read(request: Request, who: Caller, fn: Callable[[Connection], T]) -> T:
    may_report(who)

    def run() -> T:
        with app_engine(request).connect() as conn:
            return fn(conn)

    return await run_in_threadpool(run)


def _lookup(request: Request, who: Caller) -> Lookup:
    return Lookup(who.principal, "audit", None, audit_sink(app_settings(request)))


@router.get("/mi", summary="Management information by day, week or month", response_model=MI,
            responses=errors_documented(401, 403, 422))
async def management_information(request: Request, who: CallerDep, grain: Grain = "week",
                                 since: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None) -> Response:
    return json_answer(await _read(request, who, lambda c: mi.management_information(c, grain=grain, since=since)))


@router.get("/crime", summary="Street-level crime (data.police.uk) by category, month or area",
            response_model=CrimeReport, responses=errors_documented(400, 401, 403, 422))
async def crime(request: Request, who: CallerDep,
                by: Literal["crime_type", "month", "lsoa", "falls_within"] = "crime_type", force: Slug = None,
                month_from: Month = None, month_to: Month = None,
                crime_type: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    return json_answer(await _read(request, who, lambda c: statistics.crime(
        c, by=by, force=force, month_from=month_from, month_to=month_to, crime_type=crime_type)))


@router.get("/stop-search", summary="Stop and search by ethnicity: rates, outcome rates, disparity ratios, 95% CIs",
            response_model=StopSearchReport, responses=errors_documented(400, 401, 403, 422))
async def stop_search(request: Request, who: CallerDep, force: Slug = None, month: Month = None,
                      month_to: Month = None, ethnicity: Literal["officer", "self"] = "officer") -> Response:
    return json_answer(await _read(request, who, lambda c: statistics.stop_search(
        c, force=force, month=month, month_to=month_to, ethnicity=ethnicity)))


@router.post("/query", summary="Run a query over the published relations (one read, audited)",
             response_model=QueryResult, responses=errors_documented(400, 401, 403, 422))
async def query(request: Request, who: CallerDep, body: QueryRequest) -> Response:
    lk = _lookup(request, who)
    return json_answer(await _read(request, who, lambda c: saved.run_query(c, lk, body.query, body.params)))


@router.post("/saved", summary="Save a report (a query with parameters), optionally scheduled",
             response_model=SavedReport, status_code=201, responses=errors_documented(400, 401, 403, 422))
async def save(request: Request, who: CallerDep, body: ReportRequest) -> Response:
    may_report(who)

    def run() -> dict[str, Any]:
        with app_engine(request).connect() as conn, write_transaction(conn):
            return saved.save(conn, who.principal, name=body.name, query=body.query, params=body.params,
                              schedule=body.schedule)

    out = await run_in_threadpool(run)
    return Response(json_answer(out).body, status_code=201, media_type="application/json")


@router.get("/saved", summary="The caller's saved reports", response_model=list[SavedReport],
            responses=errors_documented(401, 403))
async def list_saved(request: Request, who: CallerDep) -> Response:
    return json_answer(await _read(request, who, lambda c: saved.mine(c, who.principal)))


@router.get("/saved/{report_id}/runs", summary="A saved report's recent runs", response_model=list[Run],
            responses=errors_documented(401, 403, 404, 422))
async def list_runs(request: Request, who: CallerDep, report_id: ReportId) -> Response:
    return json_answer(await _read(request, who, lambda c: saved.runs(c, who.principal, report_id)))


@router.post("/saved/{report_id}/run", summary="Run a saved report now; delivered to the caller's alerts inbox",
             response_model=RunResult, responses=errors_documented(400, 401, 403, 404, 422))
async def run_report(request: Request, who: CallerDep, report_id: ReportId, body: RunRequest) -> Response:
    may_report(who)
    lk = _lookup(request, who)
    out = await run_in_threadpool(saved.run_saved, app_engine(request), lk, report_id, body.params)
    return json_answer(out)


@router.delete("/saved/{report_id}", summary="Delete a saved report", status_code=204,
               responses=errors_documented(401, 403, 404, 422))
async def delete_report(request: Request, who: CallerDep, report_id: ReportId) -> Response:
    may_report(who)

    def run() -> None:
        with app_engine(request).connect() as conn, write_transaction(conn):
            saved.remove(conn, who.principal, report_id)

    await run_in_threadpool(run)
    return Response(status_code=204)
