"""API routes for matching: explanations and the review queue (the service is
:mod:`leds.matching.service`).

* ``GET  /api/v1/matching/explain?a=RKEY&b=RKEY&purpose=&reason=``: the match weight each
  comparison contributes for one pair (a waterfall), any judgement and conflict, and both
  records as the caller may see them (action ``view_person``);
* ``GET  /api/v1/persons/{person_id}/explanation?purpose=&reason=``: a person's records and
  the pairwise weights holding them together (``view_person``);
* ``GET  /api/v1/review?limit=&offset=&purpose=&reason=``: the uncertain pairs, most likely
  match first, each with both records and its explanation (``review_matches``);
* ``POST /api/v1/review/judgements?purpose=&reason=`` with ``{"a", "b", "verdict", "why"}``:
  a judgement by the caller, applied at once (``review_matches``).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from leds.access.deps import Gate, errors_documented, looking_up
from leds.errors import BadRequest, NotFound

from .models import Verdict
from .service import REVIEW, VIEW, explain_pair_for, explain_person_for, judge, review_page

router = APIRouter(prefix="/api/v1", tags=["matching"])


class JudgementIn(BaseModel):
    a: str = Field(min_length=1, max_length=200, description="A person record key (FORCE|SOURCE|person|REF).")
    b: str = Field(min_length=1, max_length=200, description="The other person record key.")
    verdict: Verdict
    why: str = Field(min_length=1, max_length=2000, description="Why: what the decision rests on.")


class JudgementEvent(BaseModel):
    kind: str
    person_ids: list[str]
    records: int


class JudgementAnswer(BaseModel):
    judgement_id: int
    by: str
    events: list[JudgementEvent]


def _key(rkey: str) -> str:
    if len(rkey) > 200:
        raise BadRequest("a record key is at most 200 characters")
    return rkey


_LOOKUP_ERRORS = errors_documented(400, 401, 403, 404, 409, 422)


@router.get("/matching/explain", summary="Why two person records are (or are not) one person",
            response_model=dict[str, Any], responses=_LOOKUP_ERRORS)
def explain_pair(a: Annotated[str, Query(min_length=1, max_length=200)],
                 b: Annotated[str, Query(min_length=1, max_length=200)],
                 g: Annotated[Gate, Depends(looking_up(VIEW))]) -> dict[str, Any]:
    return g.run(lambda conn, lk: explain_pair_for(conn, lk.principal, _key(a), _key(b), lk.purpose, lk.reason,
                                                   lk.audit), subject=f"{a} {b}")


@router.get("/persons/{person_id}/explanation", summary="A person's records and the weights holding them together",
            response_model=dict[str, Any], responses=_LOOKUP_ERRORS)
def explain_person(person_id: str, g: Annotated[Gate, Depends(looking_up(VIEW))]) -> dict[str, Any]:
    if len(person_id) > 16:
        raise NotFound("no such person, or not one you may see")
    return g.run(lambda conn, lk: explain_person_for(conn, lk.principal, person_id, lk.purpose, lk.reason,
                                                     lk.audit), subject=person_id)


@router.get("/review", summary="Pairs waiting for a judgement, most likely match first",
            response_model=dict[str, Any], responses=_LOOKUP_ERRORS)
def review(g: Annotated[Gate, Depends(looking_up(REVIEW))], limit: Annotated[int, Query(ge=1, le=200)] = 20,
           offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> dict[str, Any]:
    return g.run(lambda conn, lk: review_page(conn, lk.principal, lk.purpose, lk.reason, lk.audit, limit, offset),
                 subject="review queue")


@router.post("/review/judgements", summary="Judge a pair: same, not-same or unsure (applied at once)",
             response_model=JudgementAnswer, responses=_LOOKUP_ERRORS)
def post_judgement(body: JudgementIn, g: Annotated[Gate, Depends(looking_up(REVIEW))]) -> dict[str, Any]:
    def run(conn: Any, lk: Any) -> Any:
        try:
            return judge(conn, lk.principal, body.a, body.b, body.verdict, body.why, purpose=lk.purpose,
                         reason=lk.reason, audit=lk.audit)
        except ValueError as exc:
            if isinstance(exc, BadRequest):
                raise
            raise BadRequest(str(exc)) from None

    res = g.run(run, subject=f"{body.a} {body.b}")
    return {"judgement_id": res.judgement_id, "by": g.principal.id,
            "events": [{"kind": e.kind, "person_ids": e.person_ids, "records": len(e.rkeys)} for e in res.events]}
