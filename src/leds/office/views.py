"""API routes of the data office's portal: ``/api/v1/maturity``, ``/api/v1/commissioning``,
``/api/v1/benefits`` and ``/api/v1/objectives`` (four routers, included into the one ``router``
the app registers).  Reading needs ``view_office``; assessing, scoring and deciding, and
keeping benefits and objectives need the actions the rule table names (and the token's scope
for them).  None of these routes reads records: no purpose is asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from leds.access.deps import (
    Caller,
    CallerDep,
    app_engine,
    app_settings,
    errors_documented,
    json_answer,
)
from leds.errors import Forbidden

from . import benefits, commissioning, maturity, objectives
from .models import (
    Assessment,
    BenefitIn,
    Benefits,
    Criteria,
    Dashboard,
    DecisionIn,
    Framework,
    Frameworks,
    MeasurementIn,
    ObjectiveIn,
    Objectives,
    QuarterlyReport,
    RequestIn,
    RequestList,
    RequestOut,
    RiskIn,
    Round,
    Rounds,
    ScoresIn,
    SimilarIn,
    SimilarList,
    Target,
    Targets,
)
from .models import Benefit as BenefitOut

T = TypeVar("T")
router = APIRouter()
maturity_router = APIRouter(prefix="/api/v1/maturity", tags=["maturity"])
commissioning_router = APIRouter(prefix="/api/v1/commissioning", tags=["commissioning"])
benefits_router = APIRouter(prefix="/api/v1/benefits", tags=["benefits"])
objectives_router = APIRouter(prefix="/api/v1/objectives", tags=["objectives"])

FwId = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
FwQ = Annotated[str, Query(max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
ForceQ = Annotated[str | None, Query(max_length=8, pattern=r"^[A-Z0-9]+$")]
VersionQ = Annotated[int | None, Query(ge=1, le=10_000)]
ReqId = Annotated[int, Path(ge=1, le=2**31 - 1)]
BenRef = Annotated[str, Path(pattern=r"^BEN_\d{3,5}$")]
ObjRef = Annotated[str, Path(pattern=r"^[0-9]{1,2}\.[0-9]{1,2}$")]
READ = errors_documented(400, 401, 403, 404, 422)
WRITE = errors_documented(400, 401, 403, 404, 409, 422)


def _run(request: Request, who: Caller, action: str, fn: Callable[[Connection], T], *, write: bool = False) -> T:
    """Check the token's scope and the role for ``action``, run ``fn`` (in one transaction
    when it writes)."""
    if not who.may(action):
        raise Forbidden(f"this token's scopes do not include {action}")
    maturity.require(who.principal, action, "do this")
    engine = app_engine(request)
    if write:
        with maturity.writing(engine) as conn:
            return fn(conn)
    with engine.connect() as conn:
        return fn(conn)


# -- maturity ------------------------------------------------------------------------------
@maturity_router.get("/frameworks", summary="The maturity frameworks (shipped and imported, every version)",
                     response_model=Frameworks, responses=READ)
def list_frameworks(request: Request, who: CallerDep) -> Response:
    return json_answer({"frameworks": _run(request, who, "view_office", maturity.list_frameworks)})


@maturity_router.get("/frameworks/{framework_id}", summary="A framework: scale, topics, themes, questions",
                     response_model=Framework, responses=READ)
def get_framework(request: Request, who: CallerDep, framework_id: FwId, version: VersionQ = None) -> Response:
    fw = _run(request, who, "view_office", lambda c: maturity.get_framework(c, framework_id, version))
    return json_answer(fw.model_dump())


@maturity_router.post("/frameworks", summary="Publish a framework, or a new version of one",
                      response_model=Framework, status_code=201, responses=WRITE)
def post_framework(request: Request, who: CallerDep, body: Framework) -> Response:
    fw = _run(request, who, "manage_benefits", lambda c: maturity.save_framework(c, who.principal, body.model_dump()),
              write=True)
    return Response(fw.model_dump_json(), status_code=201, media_type="application/json")


@maturity_router.get("/schemas/{name}", summary="The JSON Schema of a framework or of an assessment (a round's file)",
                     response_model=dict[str, Any], responses=errors_documented(401, 422))
def get_schema(who: CallerDep, name: Literal["framework", "assessment"]) -> Response:
    return json_answer(maturity.schemas()[name])


@maturity_router.get("/rounds", summary="Rounds, by force and framework", response_model=Rounds, responses=READ)
def list_rounds(request: Request, who: CallerDep, force: ForceQ = None,
                framework: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    rows = _run(request, who, "view_office", lambda c: maturity.list_rounds(c, force=force, framework=framework))
    return json_answer({"rounds": rows})


@maturity_router.post("/rounds", summary="Answer questions of a force's round (and submit it)",
                      response_model=Round, responses=WRITE)
def post_round(request: Request, who: CallerDep, body: Assessment) -> Response:
    return json_answer(_run(request, who, "assess_maturity", lambda c: maturity.save_round(c, who.principal, body),
                            write=True))


@maturity_router.get("/rounds/{round_id}", summary="A round with its answers and evidence",
                     response_model=Round, responses=READ)
def get_round(request: Request, who: CallerDep, round_id: ReqId) -> Response:
    return json_answer(_run(request, who, "view_office", lambda c: maturity.get_round(c, round_id)))


@maturity_router.get("/evidence", summary="What leds holds about each force's data (quality, quarantine, "
                     "timeliness, retention backlog)", response_model=dict[str, Any], responses=READ)
def get_evidence(request: Request, who: CallerDep, force: ForceQ = None) -> Response:
    from .evidence import held

    return json_answer(_run(request, who, "view_office", lambda c: held(c, force)))


@maturity_router.get("/targets", summary="Targets per force and topic", response_model=Targets, responses=READ)
def get_targets(request: Request, who: CallerDep, framework: FwQ, force: ForceQ = None) -> Response:
    return json_answer({"targets": _run(request, who, "view_office",
                                        lambda c: maturity.list_targets(c, framework, force))})


@maturity_router.put("/targets", summary="Set a force's target level in a topic", response_model=Target,
                     responses=WRITE)
def put_target(request: Request, who: CallerDep, body: Target) -> Response:
    return json_answer(_run(request, who, "view_office", lambda c: maturity.set_target(c, who.principal, body),
                            write=True))


@maturity_router.get("/dashboard", summary="The national dashboard: heat maps, spread, change, gaps, similar forces",
                     response_model=Dashboard, responses=READ)
def get_dashboard(request: Request, who: CallerDep, framework: FwQ = "force-data-strategy",
                  version: VersionQ = None) -> Response:
    return json_answer(_run(request, who, "view_office", lambda c: maturity.dashboard(c, framework, version)))


# -- commissioning ---------------------------------------------------------------------------
@commissioning_router.get("/criteria", summary="The National Prioritisation Model's criteria and categories",
                          response_model=Criteria, responses=errors_documented(401))
def get_criteria(who: CallerDep) -> Response:
    return json_answer(commissioning.criteria())


@commissioning_router.get("/requests", summary="Requests, newest first", response_model=RequestList,
                          responses=READ)
def list_requests(request: Request, who: CallerDep,
                  status: Annotated[str | None, Query(max_length=16)] = None) -> Response:
    return json_answer({"requests": _run(request, who, "view_office",
                                         lambda c: commissioning.list_requests(c, status=status))})


@commissioning_router.post("/similar", summary="Existing requests and services most like a draft request "
                           "(ask before submitting)", response_model=SimilarList, responses=READ)
def post_similar(request: Request, who: CallerDep, body: SimilarIn) -> Response:
    home = app_settings(request).home
    found = _run(request, who, "request_commissioning",
                 lambda c: commissioning.similar(c, body.title, body.problem, home=home))
    from .similarity import method

    return json_answer({"similar": found, "method": method(home)})


@commissioning_router.post("/requests", summary="Submit a request", response_model=RequestOut, status_code=201,
                           responses=WRITE)
def post_request(request: Request, who: CallerDep, body: RequestIn) -> Response:
    home = app_settings(request).home

    def go(c: Connection) -> dict[str, Any]:
        out = commissioning.submit(c, who.principal, body)
        out["similar"] = commissioning.similar(c, body.title, body.problem, exclude=out["id"], home=home)
        return out

    out = _run(request, who, "request_commissioning", go, write=True)
    return Response(json_answer(out).body, status_code=201, media_type="application/json")


@commissioning_router.get("/requests/{request_id}", summary="A request, its scores and its decision log",
                          response_model=RequestOut, responses=READ)
def get_request(request: Request, who: CallerDep, request_id: ReqId) -> Response:
    return json_answer(_run(request, who, "view_office", lambda c: commissioning.get(c, request_id)))


@commissioning_router.post("/requests/{request_id}/scores", summary="Score the model's criteria, with rationale",
                           response_model=RequestOut, responses=WRITE)
def post_scores(request: Request, who: CallerDep, request_id: ReqId, body: ScoresIn) -> Response:
    return json_answer(_run(request, who, "decide_commissioning",
                            lambda c: commissioning.score(c, who.principal, request_id, body), write=True))


@commissioning_router.post("/requests/{request_id}/decision", summary="Approve, reject, defer or mark duplicate",
                           response_model=RequestOut, responses=WRITE)
def post_decision(request: Request, who: CallerDep, request_id: ReqId, body: DecisionIn) -> Response:
    return json_answer(_run(request, who, "decide_commissioning",
                            lambda c: commissioning.decide(c, who.principal, request_id, body), write=True))


# -- benefits --------------------------------------------------------------------------------
@benefits_router.get("", summary="Benefit profiles with their measurements", response_model=Benefits,
                     responses=READ)
def list_benefits(request: Request, who: CallerDep) -> Response:
    rows = _run(request, who, "view_office", benefits.list_benefits)
    return json_answer({"benefits": rows, "computed_measures": benefits.COMPUTED})


@benefits_router.post("", summary="Create or update a benefit profile (the plan's template)",
                      response_model=BenefitOut, responses=WRITE)
def post_benefit(request: Request, who: CallerDep, body: BenefitIn) -> Response:
    return json_answer(_run(request, who, "manage_benefits", lambda c: benefits.save(c, who.principal, body),
                            write=True))


@benefits_router.post("/refresh", summary="Record today's value of every measure leds computes",
                      response_model=dict[str, Any], responses=WRITE)
def post_refresh(request: Request, who: CallerDep) -> Response:
    rows = _run(request, who, "manage_benefits", lambda c: benefits.refresh(c, who.principal.id), write=True)
    return json_answer({"recorded": rows})


@benefits_router.get("/{ref}", summary="A benefit profile", response_model=BenefitOut, responses=READ)
def get_benefit(request: Request, who: CallerDep, ref: BenRef) -> Response:
    return json_answer(_run(request, who, "view_office", lambda c: benefits.get(c, ref)))


@benefits_router.post("/{ref}/measurements", summary="Record a measurement", response_model=BenefitOut,
                      responses=WRITE)
def post_measurement(request: Request, who: CallerDep, ref: BenRef, body: MeasurementIn) -> Response:
    return json_answer(_run(request, who, "manage_benefits", lambda c: benefits.measure(c, who.principal, ref, body),
                            write=True))


# -- objectives ------------------------------------------------------------------------------
@objectives_router.get("", summary="Objectives by strand, with their risks", response_model=Objectives,
                       responses=READ)
def list_objectives(request: Request, who: CallerDep) -> Response:
    return json_answer({"objectives": _run(request, who, "view_office", objectives.list_objectives)})


@objectives_router.post("", summary="Create or update an objective", response_model=dict[str, Any],
                        responses=WRITE)
def post_objective(request: Request, who: CallerDep, body: ObjectiveIn) -> Response:
    return json_answer(_run(request, who, "manage_benefits", lambda c: objectives.save(c, who.principal, body),
                            write=True))


@objectives_router.post("/risks", summary="Add a risk to the register", response_model=dict[str, Any],
                        responses=WRITE)
def post_risk(request: Request, who: CallerDep, body: RiskIn) -> Response:
    return json_answer(_run(request, who, "manage_benefits", lambda c: objectives.add_risk(c, who.principal, body),
                            write=True))


@objectives_router.get("/report", summary="The quarterly report, in the delivery plan's shape",
                       response_model=QuarterlyReport, responses=READ)
def get_report(request: Request, who: CallerDep,
               quarter: Annotated[str | None, Query(pattern=r"^\d{4}-Q[1-4]$")] = None) -> Response:
    return json_answer(_run(request, who, "view_office", lambda c: objectives.quarterly_report(c, quarter)))


@objectives_router.get("/{ref}", summary="An objective and its risks", response_model=dict[str, Any],
                       responses=READ)
def get_objective(request: Request, who: CallerDep, ref: ObjRef) -> Response:
    return json_answer(_run(request, who, "view_office", lambda c: objectives.get(c, ref)))


for _sub in (maturity_router, commissioning_router, benefits_router, objectives_router):
    router.include_router(_sub)
