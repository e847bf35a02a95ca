"""Matching as a caller sees it: explanations and the review queue, read through the access policy.

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

Plain functions for the API and the web review page (each raises :class:`leds.errors.NotFound` for a record or
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
from typing import Any

from sqlalchemy import Connection, select

from leds.access.policy import AuditSink, Principal, RecordView, authorise, read_records
from leds.db.engine import write_transaction
from leds.errors import NotFound

from .explain import ExplainError, explain_pair_conn, explain_person_conn
from .judge import JudgementResult, apply_judgement
from .tables import match_review

VIEW = "view_person"
REVIEW = "review_matches"
# The record fields each comparison reads: withheld when a field is redacted for the caller.
COMPARED_FIELDS = {"forename": ("names",), "surname": ("names",), "dob": ("birth_dates",), "sex": ("sex",),
                   "pnc": ("pnc_id",), "cro": ("cro_number",), "height": ("height_cm",),
                   "ethnicity": ("ethnicity_officer",), "marks": ("marks",)}
NOT_FOUND = "no such record, or not one you may see"
WITHHELD = "withheld: a field this comparison reads is hidden from your role"


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
        raise NotFound(f"{a} or {b} is not a matched person record (run `leds match`)") from None
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
        raise NotFound(NOT_FOUND)
    return _pair_view(conn, a, b, views)


def explain_person_for(conn: Connection, principal: Principal, person_id: str, purpose: str, reason: str | None,
                       audit: AuditSink) -> dict[str, Any]:
    """A person's records that ``principal`` may see, and the weights between them."""
    from . import store

    authorise(principal, VIEW, purpose, reason, audit)
    members = store.members_of(conn, person_id)
    views = _visible(conn, principal, members, purpose, reason, audit, VIEW) if members else {}
    if not views:
        raise NotFound("no such person, or not one you may see")
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
                except NotFound:
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
        raise NotFound(NOT_FOUND)
    conn.rollback()  # end the read; the write transaction starts afresh
    with write_transaction(conn):
        res = apply_judgement(conn, a, b, verdict, principal.id, why)
        append(conn, [AuditEvent(action="combination", actor=principal.id, purpose=purpose, reason=reason,
                                 subjects=(a, b), detail={"kind": "judgement", "verdict": verdict,
                                                          "judgement_id": res.judgement_id,
                                                          "events": [e.kind for e in res.events]})])
    return res


