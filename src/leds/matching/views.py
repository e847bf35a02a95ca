"""API routes for matching: explanations and the review queue.

* ``GET  /api/v1/matching/explain?a=RKEY&b=RKEY&purpose=&reason=``: the match weight each
  comparison contributes for one pair (a waterfall), any judgement and conflict, and both
  records as the caller may see them (action ``view_person``);
* ``GET  /api/v1/persons/{person_id}/explanation?purpose=&reason=``: a person's records and
  the pairwise weights holding them together (``view_person``);
* ``GET  /api/v1/review?limit=&offset=&purpose=&reason=``: the uncertain pairs, most likely
  match first, each with both records and its explanation (``review_matches``);
* ``POST /api/v1/review/judgements?purpose=&reason=`` with ``{"a", "b", "verdict", "why"}``:
  a judgement by the caller, applied at once (``review_matches``).

Explanations show personal data, so the records are read through the access choke point
(:func:`leds.access.policy.read_records`) with the caller's principal, a stated purpose and
the audit sink.  A record the caller may not see is treated as one that does not exist: a
pair with such a record is a 404 (the same answer as for a missing record), a person's
explanation and the review queue leave it out, and nothing counts what was left out.  A
comparison of a field redacted for the caller on either record is withheld (its level and
weight are not shown; the total is).

Plain functions for the web review page (each raises :class:`NotVisible` for a record or
person the principal may not see or that does not exist, ``leds.access.policy.AccessDenied``
/ ``PurposeRequired`` when refused, :class:`leds.matching.model.ModelError` before the first
``leds match``, and ``ValueError`` for a bad judgement)::

    review_page(conn, principal, purpose, reason, audit, limit=20, offset=0) -> dict
        # {"pairs": [{"rkey_a", "rkey_b", "match_weight", "reason",
        #             "records": {rkey: RecordView as a dict}, "explanation": {...}}],
        #  "offset": int, "next_offset": int | None}
    judge(conn, principal, a, b, verdict, why, *, purpose, reason=None, audit) -> JudgementResult
        # verdict: same | not-same | unsure; the judge is principal.id.  Commits its own
        # write transaction (do not call it inside one).
    explain_pair_for(conn, principal, a, b, purpose, reason, audit) -> dict
    explain_person_for(conn, principal, person_id, purpose, reason, audit) -> dict

``conn`` is a connection from ``leds.db.engine.get_engine(settings).connect()``; ``audit`` is
``leds.audit.get_writer(settings).record``.
"""


from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, select

from leds.access.policy import (
    AccessDenied,
    AuditSink,
    Principal,
    PurposeRequired,
    RecordView,
    authorise,
    read_records,
)
from leds.access.views import Caller, make_caller, require
from leds.config import Settings
from leds.db.engine import write_transaction

from .explain import ExplainError, explain_pair_conn, explain_person_conn
from .judge import JudgementResult, apply_judgement
from .model import ModelError
from .tables import match_review

VIEW = "view_person"
REVIEW = "review_matches"
# The record fields each comparison reads: withheld when a field is redacted for the caller.
COMPARED_FIELDS = {"forename": ("names",), "surname": ("names",), "dob": ("birth_dates",), "sex": ("sex",),
                   "pnc": ("pnc_id",), "cro": ("cro_number",), "height": ("height_cm",),
                   "ethnicity": ("ethnicity_officer",), "marks": ("marks",)}
NOT_FOUND = "no such record, or not one you may see"
WITHHELD = "withheld: a field this comparison reads is hidden from your role"


class NotVisible(LookupError):
    """No such record or person, or not one the principal may see (one answer for both)."""


def _visible(conn: Connection, principal: Principal, rkeys: list[str], purpose: str, reason: str | None,
             audit: AuditSink, action: str) -> dict[str, RecordView]:
    views = read_records(conn, principal, purpose, action=action, reason=reason, audit=audit,
                         rkeys=sorted(set(rkeys)), rtype="person", limit=max(len(set(rkeys)), 1))
    return {v.rkey: v for v in views}


def _hidden_comparisons(views: list[RecordView]) -> set[str]:
    redacted = {f for v in views for f in v.redacted}
    return {c for c, fields in COMPARED_FIELDS.items() if redacted.intersection(fields)}


def _pair_view(conn: Connection, a: str, b: str, views: dict[str, RecordView]) -> dict[str, Any]:
    try:
        out = explain_pair_conn(conn, a, b)
    except ExplainError:
        raise NotVisible(f"{a} or {b} is not a matched person record (run `leds match`)") from None
    out.pop("values", None)  # the features; the caller gets the records as they may see them
    hidden = _hidden_comparisons([views[a], views[b]])
    if hidden:
        out["comparisons"] = [c if c["comparison"] not in hidden else {"comparison": c["comparison"], "level": WITHHELD}
                              for c in out["comparisons"]]
    out["records"] = {r: asdict(views[r]) for r in (a, b)}
    return out


def explain_pair_for(conn: Connection, principal: Principal, a: str, b: str, purpose: str, reason: str | None,
                     audit: AuditSink) -> dict[str, Any]:
    """The waterfall for a pair, with both records as ``principal`` may see them."""
    views = _visible(conn, principal, [a, b], purpose, reason, audit, VIEW)
    if a == b or a not in views or b not in views:
        raise NotVisible(NOT_FOUND)
    return _pair_view(conn, a, b, views)


def explain_person_for(conn: Connection, principal: Principal, person_id: str, purpose: str, reason: str | None,
                       audit: AuditSink) -> dict[str, Any]:
    """A person's records that ``principal`` may see, and the weights between them."""
    from . import store

    authorise(principal, VIEW, purpose, reason, audit)
    members = store.members_of(conn, person_id)
    views = _visible(conn, principal, members, purpose, reason, audit, VIEW) if members else {}
    if not views:
        raise NotVisible("no such person, or not one you may see")
    out = explain_person_conn(conn, person_id, only=set(views))
    hidden = _hidden_comparisons(list(views.values()))
    for p in out["pairs"]:
        p["by_comparison"] = {c: (WITHHELD if c in hidden else w) for c, w in p["by_comparison"].items()}
    out["records"] = [asdict(views[r["rkey"]]) for r in out["records"]]
    return out


def review_page(conn: Connection, principal: Principal, purpose: str, reason: str | None, audit: AuditSink,
                limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Up to ``limit`` pairs of the review queue from position ``offset`` (most likely match
    first) whose two records ``principal`` may see.  ``next_offset`` continues the queue."""
    authorise(principal, REVIEW, purpose, reason, audit)
    q = select(match_review).order_by(match_review.c.match_weight.desc(), match_review.c.rkey_a,
                                      match_review.c.rkey_b)
    pairs: list[dict[str, Any]] = []
    pos = offset
    while len(pairs) < limit:
        # Ask only for as many as are still missing, so the audit names what is shown.
        rows = conn.execute(q.offset(pos).limit(limit - len(pairs))).mappings().all()
        if not rows:
            return {"pairs": pairs, "offset": offset, "next_offset": None}
        pos += len(rows)
        views = _visible(conn, principal, [r[k] for r in rows for k in ("rkey_a", "rkey_b")], purpose, reason,
                         audit, REVIEW)
        for r in rows:
            a, b = r["rkey_a"], r["rkey_b"]
            if a in views and b in views:
                try:
                    explanation = _pair_view(conn, a, b, views)
                except NotVisible:
                    continue  # the record was deleted since the run
                records = explanation.pop("records")
                pairs.append({"rkey_a": a, "rkey_b": b, "match_weight": r["match_weight"], "reason": r["reason"],
                              "records": records, "explanation": explanation})
    return {"pairs": pairs, "offset": offset, "next_offset": pos}


def judge(conn: Connection, principal: Principal, a: str, b: str, verdict: str, why: str, *, purpose: str,
          reason: str | None = None, audit: AuditSink) -> JudgementResult:
    """Record ``principal``'s judgement on a pair it may see, and apply it now."""
    from leds.audit import AuditEvent, append

    views = _visible(conn, principal, [a, b], purpose, reason, audit, REVIEW)
    if a == b or a not in views or b not in views:
        raise NotVisible(NOT_FOUND)
    conn.rollback()  # end the read; the write transaction starts afresh
    with write_transaction(conn):
        res = apply_judgement(conn, a, b, verdict, principal.id, why)
        append(conn, [AuditEvent(action="combination", actor=principal.id, purpose=purpose, reason=reason,
                                 subjects=(a, b), detail={"kind": "judgement", "verdict": verdict,
                                                          "judgement_id": res.judgement_id,
                                                          "events": [e.kind for e in res.events]})])
    return res


class JudgementIn(BaseModel):
    a: str = Field(min_length=1, max_length=200, description="A person record key (FORCE|SOURCE|person|REF).")
    b: str = Field(min_length=1, max_length=200, description="The other person record key.")
    verdict: Literal["same", "not-same", "unsure"]
    why: str = Field(min_length=1, max_length=2000, description="Why: what the decision rests on.")


def build_matching_router(settings: Settings, engine: Engine) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["matching"])
    caller = make_caller(engine)
    CallerDep = Annotated[Caller, Depends(caller)]
    Purpose = Annotated[str | None, Query(description="Reason code (see /api/v1/purposes).")]
    Reason = Annotated[str | None, Query(max_length=500)]

    def audit_sink() -> AuditSink:
        from leds.audit import get_writer

        return get_writer(settings).record

    def checked(who: Caller, action: str, purpose: str | None, subject: str) -> tuple[str, AuditSink]:
        sink = audit_sink()
        return require(who, action, purpose, sink, subject=subject), sink

    def answer(fn: Any, *args: Any, **kw: Any) -> Any:
        """Run a service function; its refusals as HTTP answers, never a 500."""
        try:
            with engine.connect() as conn:
                return fn(conn, *args, **kw)
        except PurposeRequired as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        except AccessDenied as exc:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
        except NotVisible as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        except ModelError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None

    def key(rkey: str) -> str:
        if len(rkey) > 200:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "a record key is at most 200 characters")
        return rkey

    @router.get("/matching/explain", summary="Why two person records are (or are not) one person")
    def explain_pair(a: Annotated[str, Query(min_length=1)], b: Annotated[str, Query(min_length=1)],
                     who: CallerDep, purpose: Purpose = None, reason: Reason = None) -> dict[str, Any]:
        purpose, sink = checked(who, VIEW, purpose, f"{a} {b}")
        return answer(explain_pair_for, who.principal, key(a), key(b), purpose, reason, sink)  # type: ignore[no-any-return]

    @router.get("/persons/{person_id}/explanation", summary="A person's records and the weights holding them together")
    def explain_person(person_id: str, who: CallerDep, purpose: Purpose = None,
                       reason: Reason = None) -> dict[str, Any]:
        if len(person_id) > 16:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such person, or not one you may see")
        purpose, sink = checked(who, VIEW, purpose, person_id)
        return answer(explain_person_for, who.principal, person_id, purpose, reason, sink)  # type: ignore[no-any-return]

    @router.get("/review", summary="Pairs waiting for a judgement, most likely match first")
    def review(who: CallerDep, purpose: Purpose = None, reason: Reason = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 20,
               offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
        purpose, sink = checked(who, REVIEW, purpose, "review queue")
        return answer(review_page, who.principal, purpose, reason, sink, limit, offset)  # type: ignore[no-any-return]

    @router.post("/review/judgements", summary="Judge a pair: same, not-same or unsure (applied at once)")
    def post_judgement(body: JudgementIn, who: CallerDep, purpose: Purpose = None,
                       reason: Reason = None) -> dict[str, Any]:
        purpose, sink = checked(who, REVIEW, purpose, f"{body.a} {body.b}")
        res = answer(judge, who.principal, body.a, body.b, body.verdict, body.why, purpose=purpose, reason=reason,
                     audit=sink)
        return {"judgement_id": res.judgement_id, "by": who.principal.id,
                "events": [{"kind": e.kind, "person_ids": e.person_ids, "records": len(e.rkeys)} for e in res.events]}

    return router
