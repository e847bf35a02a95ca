"""Match review: the judgement queue of uncertain pairs (``leds review`` on the web).

Built on :mod:`leds.matching.service`: the queue is read through the access choke
point with the reviewer's reason (so the look-up is audited, and a pair the user
may not see is left out), each pair shows both records as the reviewer may see
them and the model's match weight per comparison, and a judgement is applied at
once and audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from leds.access.deps import app_engine, app_settings
from leds.access.policy import PurposeRequired
from leds.audit import get_writer
from leds.errors import LedsError

from . import reason
from .errors import error_page
from .render import CONTROL, CONTROL_MESSAGE, Errors, render
from .session import WebUser, check_csrf, current_user

router = APIRouter(include_in_schema=False)

PER_PAGE = 5
VERDICTS = {"same": "The same person", "not-same": "Not the same person", "unsure": "Not sure"}
MAX_KEY = 200
MAX_WHY = 2000


def _person_rows(records: dict[str, Any], a: str, b: str) -> list[tuple[str, str, str]]:
    """Field, record A, record B: what a reviewer compares, as text."""
    def names(d: dict[str, Any]) -> str:
        return "; ".join(" ".join([*(n.get("given") or []), n.get("family") or ""]).strip()
                         for n in d.get("names") or [])

    fields: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("Names", names), ("Dates of birth", lambda d: ", ".join(d.get("birth_dates") or [])),
        ("Sex", lambda d: d.get("sex")), ("PNC ID", lambda d: d.get("pnc_id")),
        ("CRO number", lambda d: d.get("cro_number")), ("Height (cm)", lambda d: d.get("height_cm")),
    ]
    da, db = records[a].get("data") or {}, records[b].get("data") or {}
    rows = [(label, str(get(da) or ""), str(get(db) or "")) for label, get in fields]
    rows.append(("Force and source", f"{records[a]['force']} {records[a]['source']}",
                 f"{records[b]['force']} {records[b]['source']}"))
    return [r for r in rows if r[1] or r[2]]


def _refuse(request: Request) -> Response:
    return error_page(request, 403, "Reviewing matches is for investigators, analysts and force data "
                      "managers.")


def _queue_page(request: Request, me: WebUser, why: reason.Reason, offset: int, *, errors: Errors | None = None,
                sent: dict[str, str] | None = None, status_code: int = 200) -> Response:
    from leds.matching.model import ModelError
    from leds.matching.service import review_page

    engine = app_engine(request)
    try:
        with engine.connect() as conn:
            page = review_page(conn, me.principal, why.purpose, why.text, get_writer(app_settings(request)).record,
                               limit=PER_PAGE, offset=offset)
    except PurposeRequired:
        return reason.ask(request, me, "Match review", None, Errors({"purpose": reason.MISSING}), 400)
    except ModelError:  # before the first `leds match`: an empty queue that says so
        page = {"pairs": [], "offset": 0, "next_offset": None, "no_model": True}
    reason.remember(engine, me, why)
    for i, p in enumerate(page["pairs"]):
        p["n"] = offset + i
        p["rows"] = _person_rows(p["records"], p["rkey_a"], p["rkey_b"])
    pagination: dict[str, Any] = {}
    if offset > 0:
        pagination["previous"] = {"href": f"/review?offset={max(0, offset - PER_PAGE)}"}
    if page["next_offset"] is not None:
        pagination["next"] = {"href": f"/review?offset={page['next_offset']}"}
    return render(request, "review.html", me=me, status_code=status_code, errors=errors, title="Match review",
                  page=page, offset=offset, why=why, pagination=pagination or None, sent=sent or {},
                  verdicts=VERDICTS, judged=request.query_params.get("judged"),
                  change_href=f"/review?offset={offset}&change_reason=1")


@router.get("/review")
def review_queue(request: Request, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Response:
    me = current_user(request)
    if not me.may("review_matches"):
        return _refuse(request)
    why = reason.for_view(request, me, "Match review")
    if isinstance(why, Response):
        return why
    return _queue_page(request, me, why, offset)


@router.post("/review")
def judge_pair(request: Request, a: Annotated[str, Form()] = "", b: Annotated[str, Form()] = "",
               n: Annotated[int, Form(ge=0, le=10_000_000)] = 0,
               offset: Annotated[int, Form(ge=0, le=10_000_000)] = 0, csrf_token: Annotated[str, Form()] = "",
               verdict: Annotated[str, Form()] = "", why: Annotated[str, Form()] = "") -> Response:
    from leds.matching.service import judge

    me = current_user(request)
    check_csrf(me, csrf_token)
    if not me.may("review_matches"):
        return _refuse(request)
    given = reason.remembered(me)
    if given is None:  # the queue page sets it; a form without one was not sent from there
        return reason.ask(request, me, "Match review", None, Errors({"purpose": reason.MISSING}), 400)
    if not a or not b or len(a) > MAX_KEY or len(b) > MAX_KEY or CONTROL.search(a + b):
        return error_page(request, 404, "There is no such pair of records, or not one you may see.")
    errors = Errors()
    if verdict not in VERDICTS:
        errors.add(f"verdict-{n}", "Select whether these records are the same person")
    why = why.strip()
    if CONTROL.search(why):
        errors.add(f"why-{n}", CONTROL_MESSAGE)
        why = CONTROL.sub("", why)
    elif not why:
        errors.add(f"why-{n}", "Enter why you decided this")
    elif len(why) > MAX_WHY:
        errors.add(f"why-{n}", f"Your explanation must be {MAX_WHY:,} characters or fewer")
    if errors:
        return _queue_page(request, me, given, offset, errors=errors, status_code=400,
                           sent={"n": str(n), "verdict": verdict, "why": why[:MAX_WHY]})
    try:
        with app_engine(request).connect() as conn:
            judge(conn, me.principal, a, b, verdict, why, purpose=given.purpose, reason=given.text,
                  audit=get_writer(app_settings(request)).record)
    except ValueError as exc:  # the judgement store's own checks (a LedsError shows its own page)
        if isinstance(exc, LedsError):
            raise
        return error_page(request, 400, str(exc))
    return RedirectResponse(f"/review?offset={offset}&judged=1", status_code=303)
