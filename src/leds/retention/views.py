"""API routes of the retention domain.

* ``GET  /api/v1/retention/rules``: the published rule table (any signed-in caller);
* ``GET  /api/v1/retention/queue?purpose=data_protection``: records due for review
  (``review_retention``; a force data manager sees their own force's);
* ``POST /api/v1/retention/reviews``: a decision: retain, restrict (step down) or dispose;
* ``GET|POST /api/v1/retention/requests``, ``POST /api/v1/retention/requests/{id}/decision``:
  data subjects' requests (``manage_rights``);
* ``POST /api/v1/retention/holds``: a legal hold (``manage_rights``);
* ``POST /api/v1/retention/erasures``: erase a person or a record, answering the signed
  receipt (``manage_rights``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from leds.access.deps import CallerDep, Gate, errors_documented, gate, looking_up
from leds.access.lookup import Lookup
from leds.access.policy import authorise

from . import review as rv
from . import rights
from .erase import erase
from .models import (
    ErasureIn,
    Hold,
    HoldIn,
    Queue,
    Receipt,
    ReviewAnswer,
    ReviewRequest,
    RightsDecisionIn,
    RightsRequest,
    RightsRequestIn,
    RightsRequests,
    Rules,
)
from .rules import RULES_VERSION, published

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])


@router.get("/rules", response_model=Rules, responses=errors_documented(401))
def get_rules(who: CallerDep) -> dict[str, Any]:
    return {"version": RULES_VERSION, "rules": published()}


@router.get("/queue", response_model=Queue, responses=errors_documented(400, 401, 403, 422))
def get_queue(g: Annotated[Gate, Depends(looking_up("review_retention"))],
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    return g.run(lambda conn, lk: rv.queue(conn, lk, limit=limit))


@router.post("/reviews", response_model=ReviewAnswer, responses=errors_documented(400, 401, 403, 404, 409, 422))
def post_review(body: ReviewRequest, g: Annotated[Gate, Depends(gate("review_retention"))]) -> dict[str, Any]:
    return g.run(lambda conn, lk: rv.decide(conn, lk, body.rkey, body.decision.value, body.reason,
                                            body.next_review.isoformat() if body.next_review else None),
                 body.purpose, body.reason)


@router.get("/requests", response_model=RightsRequests, responses=errors_documented(400, 401, 403, 422))
def get_requests(g: Annotated[Gate, Depends(looking_up("manage_rights"))],
                 status: Annotated[str | None, Query(pattern="^(open|with_force|done|refused)$")] = None
                 ) -> dict[str, Any]:
    return {"requests": g.run(lambda conn, lk: rights.list_requests(conn, lk, status=status))}


@router.post("/requests", response_model=RightsRequest, status_code=201,
             responses=errors_documented(400, 401, 403, 404, 422))
def post_request(body: RightsRequestIn, g: Annotated[Gate, Depends(gate("manage_rights"))]) -> dict[str, Any]:
    return g.run(lambda conn, lk: rights.create_request(conn, lk, body.kind.value, body.person_id, body.detail,
                                                        rkey=body.rkey), body.purpose.value)


@router.post("/requests/{request_id}/decision", response_model=RightsRequest,
             responses=errors_documented(400, 401, 403, 404, 409, 422))
def post_decision(request_id: Annotated[int, Path(ge=1, le=2**62)], body: RightsDecisionIn,
                  g: Annotated[Gate, Depends(gate("manage_rights"))]) -> dict[str, Any]:
    return g.run(lambda conn, lk: rights.decide_request(conn, lk, request_id, body.outcome.value, body.decision),
                 body.purpose.value)


@router.post("/holds", response_model=Hold, status_code=201, responses=errors_documented(400, 401, 403, 404, 422))
def post_hold(body: HoldIn, g: Annotated[Gate, Depends(gate("manage_rights"))]) -> dict[str, Any]:
    return g.run(lambda conn, lk: rights.place_hold(conn, lk, body.rkey, body.authority, body.reason),
                 body.purpose, body.reason)


@router.post("/erasures", response_model=Receipt, status_code=201,
             responses=errors_documented(400, 401, 403, 404, 409, 422))
def post_erasure(body: ErasureIn, g: Annotated[Gate, Depends(gate("manage_rights"))]) -> dict[str, Any]:
    lk: Lookup = g.open(body.purpose, body.reason)
    authorise(lk.principal, "manage_rights", lk.purpose, lk.reason, lk.audit)
    return erase(g.engine, g.settings, person=body.person, record=body.record, reason=body.reason,
                 authority=body.authority, actor=lk.principal.id)
