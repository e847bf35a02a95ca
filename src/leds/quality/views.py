"""API routes of data quality (``/api/v1/quality``): the rule table, scorecards, new/resolved/
persisting failures, non-standard values, the performance framework (aggregates: the
``view_data_quality`` action), and the drill-down to failing records (a look-up with a purpose,
through the access policy, audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import Connection

from leds.access.deps import (
    Caller,
    CallerDep,
    Gate,
    app_engine,
    errors_documented,
    json_answer,
    looking_up,
)
from leds.errors import Forbidden
from leds.standard.codes import FORCES

from . import framework, service
from .models import (
    By,
    Changes,
    Failures,
    ForcePage,
    League,
    NonStandardList,
    PeriodName,
    Rules,
    Scorecard,
)
from .rules import BY_ID, RULES

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])
T = TypeVar("T")
RuleQ = Annotated[str, Query(max_length=48, json_schema_extra={"enum": list(BY_ID)})]
ForceQ = Annotated[str | None, Query(max_length=8, json_schema_extra={"enum": list(FORCES)})]
Day = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="From this day (YYYY-MM-DD).")]


async def aggregate(request: Request, who: Caller, fn: Callable[[Connection], T]) -> T:
    """Aggregates need the view_data_quality action (and the token's scope for it)."""
    if not who.may("view_data_quality"):
        raise Forbidden("this token's scopes do not include view_data_quality")
    service.may_view(who.principal)

    def run() -> T:
        with app_engine(request).connect() as conn:
            return fn(conn)

    return await run_in_threadpool(run)


@router.get("/rules", summary="The published rule table", response_model=Rules, responses=errors_documented(401))
def rules(who: CallerDep) -> Response:
    return json_answer({"rules": [{"id": r.id, "dimension": r.dimension, "description": r.description,
                                   "counts": r.counts} for r in RULES]})


@router.get("/scorecard", summary="Passed/total per force (and source), rule and dimension, overall or by period",
            response_model=Scorecard, responses=errors_documented(400, 401, 403, 422))
async def scorecard(request: Request, who: CallerDep, by: By = "source", period: PeriodName | None = None,
                    force: ForceQ = None, rule: Annotated[str | None, Query(max_length=48)] = None,
                    since: Day = None) -> Response:
    rows = await aggregate(request, who, lambda conn: service.scorecard(
        conn, by=by, period=period, force=force, rule=rule, since=since))
    return json_answer({"rows": rows})


@router.get("/changes", summary="New, resolved and persisting failures in a week or month",
            response_model=Changes, responses=errors_documented(400, 401, 403, 422))
async def changes(request: Request, who: CallerDep,
                  period: Annotated[str, Query(pattern=r"^\d{4}-(W\d{2}|\d{2})$", description="2025-W10 or 2025-03")],
                  rule: Annotated[str | None, Query(max_length=48)] = None, force: ForceQ = None) -> Response:
    doc = await aggregate(request, who, lambda conn: service.changes(conn, rule=rule, force=force, period=period))
    return json_answer({"period": period, "rule": rule, "force": force, **doc})


@router.get("/nonstandard", summary="Non-standard values of open vocabularies in use, by force and source",
            response_model=NonStandardList, responses=errors_documented(401, 403, 422))
async def nonstandard(request: Request, who: CallerDep, force: ForceQ = None) -> Response:
    return json_answer({"rows": await aggregate(request, who, lambda c: service.nonstandard_values(c, force=force))})


@router.get("/framework", summary="The national data performance framework: the league table with RAG status",
            response_model=League, responses=errors_documented(401, 403, 422))
async def league(request: Request, who: CallerDep, since: Day = None) -> Response:
    return json_answer({"league": await aggregate(request, who, lambda c: framework.league(c, since=since))})


@router.get("/framework/{force}", summary="One force's measures, trends and non-standard values",
            response_model=ForcePage, responses=errors_documented(401, 403, 422))
async def force_page(request: Request, who: CallerDep,
                     force: Annotated[str, Path(max_length=8, json_schema_extra={"enum": list(FORCES)})]) -> Response:
    return json_answer(await aggregate(request, who, lambda c: framework.force_page(c, force)))


@router.get("/failures", summary="The failing records of a rule at a force that the caller may see (audited)",
            response_model=Failures, responses=errors_documented(400, 401, 403, 422))
def failures(g: Annotated[Gate, Depends(looking_up("view_data_quality"))], rule: RuleQ,
             force: Annotated[str, Query(max_length=8, json_schema_extra={"enum": list(FORCES)})],
             source: Annotated[str | None, Query(max_length=64)] = None,
             limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
    return json_answer(g.run(lambda conn, lk: service.failures(conn, lk, rule, force, source=source, limit=limit)))
