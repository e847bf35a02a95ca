"""API routes of the missing-persons register (``/api/v1/missing``), on the one look-up gate
(:mod:`leds.access.deps`): the live view with its filters as query parameters, one episode with
its history, the report form and later versions, protocols, unidentified people, statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import ValidationError

from leds.access.deps import Gate, errors_documented, gate, json_answer, looking_up, small_body
from leds.errors import BadRequest
from leds.standard.codes import FORCES

from . import protocols, report, service, stats, timers, unidentified
from .models import (
    AgeBand,
    EpisodeDetail,
    LiveAnswer,
    LiveFilters,
    Protocol,
    ProtocolRequest,
    Reported,
    ReportRequest,
    Risk,
    Stats,
    Unidentified,
    UnidentifiedRequest,
    UpdateRequest,
)

router = APIRouter(prefix="/api/v1/missing", tags=["missing"])
EpisodeId = Annotated[str, Path(max_length=200, description="The episode's record key, FORCE|SOURCE|missing_episode|REF.")]


@router.get("/episodes", summary="The national live view: every live episode the caller may see, filtered",
            response_model=LiveAnswer, responses=errors_documented(400, 401, 403, 422))
def live_episodes(g: Annotated[Gate, Depends(looking_up("view_missing"))],
                  force: Annotated[str | None, Query(max_length=8, json_schema_extra={"enum": list(FORCES)})] = None,
                  risk: Risk | None = None, age_band: AgeBand | None = None,
                  vulnerability: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
                  min_hours: Annotated[int | None, Query(ge=0, le=100_000)] = None,
                  max_hours: Annotated[int | None, Query(ge=0, le=100_000)] = None,
                  repeat_only: bool = False, page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                  per_page: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    try:
        f = LiveFilters(force=force, risk=risk, age_band=age_band, vulnerability=vulnerability, min_hours=min_hours,
                        max_hours=max_hours, repeat_only=repeat_only, page=page, per_page=per_page)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise BadRequest(str(e["msg"]).removeprefix("Value error, "), field=str(e["loc"][0])) from None
    return json_answer(g.run(lambda conn, lk: service.live(conn, lk, f)))


@router.get("/episodes/{episode_id}", summary="One episode with its history, sightings, protocols and timers",
            response_model=EpisodeDetail, responses=errors_documented(400, 401, 403, 404, 422))
def get_episode(episode_id: EpisodeId, g: Annotated[Gate, Depends(looking_up("view_missing"))]) -> Response:
    return json_answer(g.run(lambda conn, lk: service.episode(conn, lk, episode_id)))


@router.post("/episodes", summary="Report a person missing (sent in as a missing_episode updategram)",
             response_model=Reported, status_code=201, dependencies=[Depends(small_body)],
             responses=errors_documented(400, 401, 403, 404, 409, 413, 422))
def report_episode(body: ReportRequest, g: Annotated[Gate, Depends(gate("manage_missing"))]) -> Response:
    out = g.run(lambda conn, lk: report.report(g.settings, lk, body), body.purpose, body.reason)
    return Response(json_answer(out).body, status_code=201, media_type="application/json")


@router.post("/episodes/{episode_id}/versions", summary="A new version: re-grade, found, closed, return interview",
             response_model=Reported, status_code=201, dependencies=[Depends(small_body)],
             responses=errors_documented(400, 401, 403, 404, 409, 413, 422))
def update_episode(episode_id: EpisodeId, body: UpdateRequest,
                   g: Annotated[Gate, Depends(gate("manage_missing"))]) -> Response:
    out = g.run(lambda conn, lk: report.update(g.settings, lk, episode_id, body), body.purpose, body.reason)
    return Response(json_answer(out).body, status_code=201, media_type="application/json")


@router.get("/overdue", summary="Overdue risk reviews and return interviews of the caller's force",
            response_model=list[dict], responses=errors_documented(400, 401, 403, 422))
def overdue(g: Annotated[Gate, Depends(looking_up("view_missing"))]) -> Response:
    return json_answer(g.run(lambda conn, lk: timers.overdue(conn, lk)))


@router.get("/stats", summary="Statistics: by force, risk, age band and month; repeat rates; time missing; "
            "return-interview timeliness", response_model=Stats, responses=errors_documented(400, 401, 403, 422))
def get_stats(g: Annotated[Gate, Depends(looking_up("view_missing"))]) -> Response:
    return json_answer(g.run(lambda conn, lk: stats.stats(conn, lk)))


@router.post("/protocols", summary="Lodge a Herbert or Philomena form for a person, with consent and expiry",
             response_model=Protocol, status_code=201, dependencies=[Depends(small_body)],
             responses=errors_documented(400, 401, 403, 404, 413, 422))
def lodge_protocol(body: ProtocolRequest, g: Annotated[Gate, Depends(gate("manage_missing"))]) -> Response:
    out = g.run(lambda conn, lk: protocols.lodge(conn, lk, body), body.purpose, body.reason)
    return Response(json_answer(out).body, status_code=201, media_type="application/json")


@router.post("/unidentified", summary="Record an unidentified person (or remains) and see candidate episodes",
             response_model=Unidentified, status_code=201, dependencies=[Depends(small_body)],
             responses=errors_documented(400, 401, 403, 413, 422))
def record_unidentified(body: UnidentifiedRequest, g: Annotated[Gate, Depends(gate("manage_missing"))]) -> Response:
    out = g.run(lambda conn, lk: unidentified.record(conn, lk, body), body.purpose, body.reason)
    return Response(json_answer(out).body, status_code=201, media_type="application/json")


@router.get("/unidentified/{uid}", summary="An unidentified person's candidate episodes, each explained; never merged",
            response_model=Unidentified, responses=errors_documented(400, 401, 403, 404, 422))
def unidentified_candidates(uid: Annotated[int, Path(ge=1, le=2**62)],
                            g: Annotated[Gate, Depends(looking_up("view_missing"))]) -> Response:
    return json_answer(g.run(lambda conn, lk: unidentified.candidates(conn, lk, uid)))
