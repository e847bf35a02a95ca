"""API route of the single view: ``GET /api/v1/persons/{person_id}?purpose=&reason=`` (see
:mod:`leds.checks.views` for the gate, the errors and why the answer is written by orjson)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from leds.access.deps import Gate, errors_documented, json_answer, looking_up

from .models import PersonView
from .service import person_view

router = APIRouter(prefix="/api/v1", tags=["persons"])


@router.get("/persons/{person_id}", summary="The single view of a national person, with timeline and associations",
            response_model=PersonView, responses=errors_documented(400, 401, 403, 404, 422))
def get_person(person_id: Annotated[str, Path(max_length=200)],
               g: Annotated[Gate, Depends(looking_up("view_person"))]) -> Response:
    return json_answer(g.run(lambda conn, lk: person_view(conn, lk, person_id)))
