"""API route of the record view: ``GET /api/v1/records/{rkey}?purpose=&reason=``, and its
alias ``/api/v1/provenance/{rkey}`` (the same answer; older tools call it).  See
:mod:`leds.checks.views` for the gate, the errors and why the answer is written by orjson."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from leds.access.deps import Gate, errors_documented, json_answer, looking_up
from leds.errors import BadRequest

from .models import RecordAnswer
from .service import record_view

MAX_KEY = 200

router = APIRouter(prefix="/api/v1", tags=["records"])
ERRORS = errors_documented(400, 401, 403, 404, 422)


@router.get("/records/{rkey:path}", summary="A source record with its provenance and version history",
            response_model=RecordAnswer, responses=ERRORS)
def get_record(rkey: str, g: Annotated[Gate, Depends(looking_up("view_record"))]) -> Response:
    if len(rkey) > MAX_KEY:
        raise BadRequest(f"a record key is at most {MAX_KEY} characters")
    return json_answer(g.run(lambda conn, lk: record_view(conn, lk, rkey), subject=rkey))


@router.get("/provenance/{rkey:path}", summary="Alias of GET /api/v1/records/{rkey}: the same answer",
            response_model=RecordAnswer, responses=ERRORS)
def get_provenance(rkey: str, g: Annotated[Gate, Depends(looking_up("view_record"))]) -> Response:
    return get_record(rkey, g)
