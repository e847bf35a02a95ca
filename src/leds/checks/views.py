"""API routes: person and vehicle checks, descriptive search, the person view and the
record view with its provenance.

Every route needs a caller (a user's token or web session), a reason from the published
list (``purpose``, with ``reason`` text where the purpose needs it), and the action in
the token's scopes; every look-up is audited by the access policy.  Errors are 4xx with
a message naming the field: 400 for a missing reason or an unanswerable query, 403 for a
refusal, 404 for a person or record that does not exist *or* may not be seen (the same
answer for both), 413 for an oversized body, 422 for a field that fails validation.
"""

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from leds.access import identity
from leds.access.policy import AccessDenied, PurposeRequired
from leds.access.deps import Caller, current_caller, require
from leds.config import Settings

from .models import PURPOSE_TEXT_MAX, PersonQuery, SearchQuery, VehicleQuery
from .service import (
    CheckError,
    Lookup,
    NotFound,
    person_check,
    person_view,
    record_view,
    search,
    vehicle_check,
)

MAX_QUERY_BYTES = 16 << 10  # a check or search body; anything larger is not a query


class Reason(BaseModel):
    purpose: Annotated[str | None, Field(max_length=40, description="A reason code from GET /api/v1/purposes.")] = None
    reason: Annotated[str | None, Field(max_length=PURPOSE_TEXT_MAX,
                                        description="Explanation, e.g. the case reference.")] = None


class PersonCheckRequest(PersonQuery, Reason):
    person_id: Annotated[str | None, Field(max_length=200, description="Show the summary of this candidate "
                                                                      "instead of the best one.")] = None


class VehicleCheckRequest(VehicleQuery, Reason):
    pass


class SearchRequest(SearchQuery, Reason):
    pass


def build_checks_router(settings: Settings, engine: Engine) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["checks"])
    caller = current_caller
    CallerDep = Annotated[Caller, Depends(caller)]

    def audit_sink() -> Any:
        from leds.audit import get_writer

        return get_writer(settings).record

    async def small_body(request: Request) -> None:
        size = request.headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > MAX_QUERY_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                f"a query may be at most {MAX_QUERY_BYTES:,} bytes")

    def run(who: Caller, action: str, purpose: str | None, reason: str | None,
            fn: Callable[[Any, Lookup], dict[str, Any]]) -> Response:
        sink = audit_sink()
        purpose = require(who, action, purpose, sink, ask="purpose,")
        lookup = Lookup(who.principal, purpose, reason, sink)
        try:
            with engine.connect() as conn:
                out = fn(conn, lookup)
        except PurposeRequired as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        except AccessDenied as exc:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
        except CheckError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, {"field": exc.field, "message": exc.message}) from None
        except NotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        if who.session is not None and (purpose, reason) != (who.session.purpose, who.session.purpose_text):
            identity.remember_purpose(engine, who.session, purpose, reason)
        # Answers are plain dicts of JSON types: orjson writes them directly, without
        # FastAPI's generic encoder walking every value first.
        return Response(orjson.dumps(out), media_type="application/json")

    @router.post("/checks/person", summary="Person check: ranked candidates, then the single concise page",
                 dependencies=[Depends(small_body)])
    def check_person(body: PersonCheckRequest, who: CallerDep) -> Response:
        """Give any of surname, forename, dob, age range, sex, PNC ID and postcode, with a reason.
        Returns up to ten candidate national persons, best first, each with a match confidence
        (the trained model's match probability) and the weight each comparison contributed;
        then the summary of the best candidate (or of `person_id`)."""
        q = PersonQuery.model_validate(body.model_dump(exclude={"purpose", "reason", "person_id"}))
        return run(who, "check", body.purpose, body.reason,
                   lambda conn, lk: person_check(conn, lk, q, person_id=body.person_id))

    @router.post("/checks/vehicle", summary="Vehicle check by VRM (tolerant of 0/O, 1/I, 5/S, 8/B, 2/Z)",
                 dependencies=[Depends(small_body)])
    def check_vehicle(body: VehicleCheckRequest, who: CallerDep) -> Response:
        q = VehicleQuery(vrm=body.vrm)
        return run(who, "check", body.purpose, body.reason, lambda conn, lk: vehicle_check(conn, lk, q))

    @router.post("/search", summary="Descriptive search, with facets and pages", dependencies=[Depends(small_body)])
    def descriptive_search(body: SearchRequest, who: CallerDep) -> Response:
        q = SearchQuery.model_validate(body.model_dump(exclude={"purpose", "reason"}))
        return run(who, "search", body.purpose, body.reason, lambda conn, lk: search(conn, lk, q))

    Purpose = Annotated[str | None, Query(max_length=40, description="Reason code (see /api/v1/purposes).")]
    ReasonText = Annotated[str | None, Query(max_length=PURPOSE_TEXT_MAX)]

    @router.get("/persons/{person_id}", summary="The single view of a national person, with timeline and associations")
    def get_person(person_id: Annotated[str, Field(max_length=200)], who: CallerDep,
                   purpose: Purpose = None, reason: ReasonText = None) -> Response:
        return run(who, "view_person", purpose, reason, lambda conn, lk: person_view(conn, lk, person_id))

    @router.get("/provenance/{rkey:path}", summary="A source record with its provenance and version history")
    def get_provenance(rkey: str, who: CallerDep, purpose: Purpose = None,
                       reason: ReasonText = None) -> Response:
        if len(rkey) > 200:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "a record key is at most 200 characters")
        return run(who, "view_record", purpose, reason, lambda conn, lk: record_view(conn, lk, rkey))

    return router
