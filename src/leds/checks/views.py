"""API routes of the checks: ``POST /api/v1/checks/person`` and ``/api/v1/checks/vehicle``.

Each route declares its action and gets the look-up gate (:mod:`leds.access.deps`): the
caller, the token's scope, the reason (``purpose``, with ``reason`` text where the purpose
needs it) and the audit sink; the service reads through the access policy, which audits
every record returned.  Errors are :class:`leds.errors.LedsError` answered by the app's
one error map: 400 for a missing reason or an unanswerable query (naming the field), 403
for a refusal, 404 for a chosen person who does not exist *or* may not be seen (the same
answer for both), 413 for an oversized body, 422 for a field that fails validation.

The answers are the services' dicts written by orjson; ``response_model`` documents them
and tests/api/test_answers.py holds every answer to its model exactly.  Validating each
answer at run time was measured (``bench/answer_cost.py``, in process, on a busy 2-core
host) and left out: a person check's answer (4.5 kB) takes 19-23 us to write with orjson,
100-230 us to validate against PersonCheckAnswer, 200-470 us to validate, dump and write
as FastAPI would: 5-10% of the 4 ms a person check may take to answer 500 a second.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import Field

from leds.access.deps import Gate, errors_documented, gate, json_answer, small_body

from .models import PersonCheckAnswer, PersonQuery, Reason, VehicleCheckAnswer, VehicleQuery
from .service import person_check, vehicle_check

router = APIRouter(prefix="/api/v1", tags=["checks"])


class PersonCheckRequest(PersonQuery, Reason):
    person_id: Annotated[str | None, Field(max_length=200, description="Show the summary of this candidate "
                                                                      "instead of the best one.")] = None


class VehicleCheckRequest(VehicleQuery, Reason):
    pass


@router.post("/checks/person", summary="Person check: ranked candidates, then the single concise page",
             response_model=PersonCheckAnswer, responses=errors_documented(400, 401, 403, 404, 413, 422),
             dependencies=[Depends(small_body)])
def check_person(body: PersonCheckRequest, g: Annotated[Gate, Depends(gate("check"))]) -> Response:
    """Give any of surname, forename, dob, age range, sex, PNC ID and postcode, with a reason.
    Returns up to ten candidate national persons, best first, each with a match confidence
    (the trained model's match probability) and the weight each comparison contributed;
    then the summary of the best candidate (or of `person_id`)."""
    q = PersonQuery.model_validate(body.model_dump(exclude={"purpose", "reason", "person_id"}))
    return json_answer(g.run(lambda conn, lk: person_check(conn, lk, q, person_id=body.person_id),
                             body.purpose, body.reason))


@router.post("/checks/vehicle", summary="Vehicle check by VRM (tolerant of 0/O, 1/I, 5/S, 8/B, 2/Z)",
             response_model=VehicleCheckAnswer, responses=errors_documented(400, 401, 403, 413, 422),
             dependencies=[Depends(small_body)])
def check_vehicle(body: VehicleCheckRequest, g: Annotated[Gate, Depends(gate("check"))]) -> Response:
    q = VehicleQuery(vrm=body.vrm)
    return json_answer(g.run(lambda conn, lk: vehicle_check(conn, lk, q), body.purpose, body.reason))
