"""API route of descriptive search: ``POST /api/v1/search`` (see :mod:`leds.checks.views`
for the gate, the errors and why the answer is written by orjson)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from leds.access.deps import Gate, errors_documented, gate, json_answer, small_body
from leds.checks.models import Reason, SearchQuery

from .models import SearchPage
from .service import search

router = APIRouter(prefix="/api/v1", tags=["search"])


class SearchRequest(SearchQuery, Reason):
    pass


@router.post("/search", summary="Descriptive search, with facets and pages", response_model=SearchPage,
             responses=errors_documented(400, 401, 403, 413, 422), dependencies=[Depends(small_body)])
def descriptive_search(body: SearchRequest, g: Annotated[Gate, Depends(gate("search"))]) -> Response:
    q = SearchQuery.model_validate(body.model_dump(exclude={"purpose", "reason"}))
    return json_answer(g.run(lambda conn, lk: search(conn, lk, q), body.purpose, body.reason))
