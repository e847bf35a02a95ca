"""API routes of ANPR: ``POST /api/v1/anpr/profile``, ``/convoys`` and ``/cloned``.

Each is a look-up under the ``anpr`` action with a reason, through the one gate
(:mod:`leds.access.deps`), audited like a check.  The profile uses the routes last given
to ``leds anpr profile``/``train`` (an operator's file), one of them by name if asked.
404 when no reads are loaded, no model is trained, or the route is not known.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from leds.access.deps import Gate, errors_documented, gate, json_answer, small_body
from leds.checks.models import Reason
from leds.errors import BadRequest, NotFound

from . import service
from .models import ClonedAnswer, ConvoyAnswer, ProfileAnswer, Vrm

router = APIRouter(prefix="/api/v1/anpr", tags=["anpr"])


class _Window(Reason):
    model_config = ConfigDict(extra="forbid")

    since: Annotated[date | None, Field(description="Only reads from this day on (default: all kept).")] = None

    @property
    def day(self) -> str | None:
        return self.since.isoformat() if self.since else None


class ProfileRequest(_Window):
    route: Annotated[str | None, Field(max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$",
                                       description="Only this route (by name).")] = None
    top: Annotated[int, Field(ge=1, le=1000, description="Vehicles per route.")] = 10


class ConvoyRequest(_Window):
    vrm: Vrm
    window_s: Annotated[int, Field(ge=5, le=1800)] = service.CONVOY_WINDOW_S
    cameras: Annotated[int, Field(ge=2, le=50)] = service.CONVOY_CAMERAS


class ClonedRequest(_Window):
    pass


_ERRORS = errors_documented(400, 401, 403, 404, 413, 422)


@router.post("/profile", summary="Vehicles on known routes, best first, with reasons", response_model=ProfileAnswer,
             responses=_ERRORS, dependencies=[Depends(small_body)])
def profile(body: ProfileRequest, g: Annotated[Gate, Depends(gate("anpr"))]) -> Response:
    return json_answer(g.run(lambda conn, lk: service.profile(g.settings, g.engine, lk, _routes(g), body.route,
                                                              body.top, since=body.day), body.purpose, body.reason))


def _routes(g: Gate) -> list[dict[str, object]]:
    try:
        return service.known_routes(g.settings)
    except BadRequest as exc:  # no routes given yet: the same answer as an unknown route
        raise NotFound("no known routes yet: an operator gives them to leds anpr profile --routes") from exc


@router.post("/convoys", summary="Vehicles that travel with a given one", response_model=ConvoyAnswer,
             responses=_ERRORS, dependencies=[Depends(small_body)])
def convoys(body: ConvoyRequest, g: Annotated[Gate, Depends(gate("anpr"))]) -> Response:
    return json_answer(g.run(lambda conn, lk: service.convoys(g.settings, lk, body.vrm, body.window_s,
                                                              body.cameras, body.day), body.purpose, body.reason))


@router.post("/cloned", summary="Plates seen at two places no vehicle could travel between in the time",
             response_model=ClonedAnswer, responses=_ERRORS, dependencies=[Depends(small_body)])
def cloned(body: ClonedRequest, g: Annotated[Gate, Depends(gate("anpr"))]) -> Response:
    return json_answer(g.run(lambda conn, lk: service.cloned(g.settings, lk, since=body.day),
                             body.purpose, body.reason))

