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

from . import framework, service
from .models import (
    By,
    Changes,
    Failures,
    ForceCode,
    ForcePage,
    League,
    NonStandardList,
    PeriodName,
    RecordRuleId,
    RuleId,
    Rules,
    Scorecard,
)
from .rules import RULES

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])
T = TypeVar("T")
ForceQ = Annotated[ForceCode | None, Query(description="A force code.")]
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
                    force: ForceQ = None, rule: RuleId | None = None, since: Day = None) -> Response:
    rows = await aggregate(request, who, lambda conn: service.scorecard(
        conn, by=by, period=period, force=_v(force), rule=_v(rule), since=since))
    return json_answer({"rows": rows})


@router.get("/changes", summary="New, resolved and persisting failures in a week or month",
            response_model=Changes, responses=errors_documented(400, 401, 403, 404, 422))
async def changes(request: Request, who: CallerDep,
                  period: Annotated[str, Query(pattern=r"^[12][0-9]{3}-(W(0[1-9]|[1-4][0-9]|5[0-3])|0[1-9]|1[0-2])$",
                                               description="An ISO week (2025-W10) or a month (2025-03); a week "
                                               "53 in a year without one is not found (404)")],
                  rule: RuleId | None = None, force: ForceQ = None) -> Response:
    doc = await aggregate(request, who, lambda conn: service.changes(conn, rule=_v(rule), force=_v(force),
                                                                     period=period))
    return json_answer({"period": period, "rule": _v(rule), "force": _v(force), **doc})


@router.get("/nonstandard", summary="Non-standard values of open vocabularies in use, by force and source",
            response_model=NonStandardList, responses=errors_documented(401, 403, 422))
async def nonstandard(request: Request, who: CallerDep, force: ForceQ = None) -> Response:
    return json_answer({"rows": await aggregate(request, who, lambda c: service.nonstandard_values(c, force=_v(force)))})


@router.get("/framework", summary="The national data performance framework: the league table with RAG status",
            response_model=League, responses=errors_documented(401, 403, 422))
async def league(request: Request, who: CallerDep, since: Day = None) -> Response:
    return json_answer({"league": await aggregate(request, who, lambda c: framework.league(c, since=since))})


@router.get("/framework/{force}", summary="One force's measures, trends and non-standard values",
            response_model=ForcePage, responses=errors_documented(401, 403, 422))
async def force_page(request: Request, who: CallerDep,
                     force: Annotated[ForceCode, Path(description="A force code.")]) -> Response:
    return json_answer(await aggregate(request, who, lambda c: framework.force_page(c, force.value)))


@router.get("/failures", summary="The failing records of a rule at a force that the caller may see (audited)",
            response_model=Failures, responses=errors_documented(400, 401, 403, 422))
def failures(g: Annotated[Gate, Depends(looking_up("view_data_quality"))], rule: RecordRuleId,
             force: Annotated[ForceCode, Query(description="A force code.")],
             source: Annotated[str | None, Query(max_length=64)] = None,
             limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
    return json_answer(g.run(lambda conn, lk: service.failures(conn, lk, rule.value, force.value, source=source,
                                                               limit=limit)))


def _v(e: Any) -> str | None:
    return None if e is None else str(e.value)
