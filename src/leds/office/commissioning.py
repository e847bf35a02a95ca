"""Commissioning: requests to the data office, scored against the National Prioritisation
Model by an assessor with a rationale for each criterion, put in a priority category and
decided, each step written to the request's decision log.  Before a request is submitted
the requester is shown the existing requests and services most like it (similarity.py).

The model's criteria are those the board's minutes name (strategic alignment, capability,
stakeholder engagement, feasibility, cost), each scored 1-5 (for cost, 5 is the cheapest).
The suggested category follows from the total of the five (5-25): P1 at 21 or more, P2 at
16, P3 at 11, else P4; the assessor decides the category, and may differ with a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from leds.access.policy import Principal
from leds.errors import BadRequest, Conflict, NotFound

from . import catalogue, similarity
from .maturity import now, plain, require
from .models import DecisionIn, RequestIn, ScoresIn
from .tables import office_decisions, office_requests, office_scores

CRITERIA: dict[str, dict[str, Any]] = {
    "strategic_alignment": {"title": "Strategic alignment", "min": 1, "max": 5,
                            "guide": "How closely it serves the national data and analytics strategy."},
    "capability": {"title": "Capability", "min": 1, "max": 5,
                   "guide": "How much capability it builds or uses that policing needs."},
    "stakeholder_engagement": {"title": "Stakeholder engagement", "min": 1, "max": 5,
                               "guide": "How many forces and portfolios back it, and how strongly."},
    "feasibility": {"title": "Feasibility", "min": 1, "max": 5,
                    "guide": "How likely it is to be delivered with the data, skills and time available."},
    "cost": {"title": "Cost", "min": 1, "max": 5, "guide": "5 for the cheapest, 1 for the most costly."},
}
CATEGORIES = [("P1", 21, "Critical: commission now"), ("P2", 16, "High: commission this year"),
              ("P3", 11, "Medium: when capacity allows"), ("P4", 0, "Low: signpost or decline")]


def ref(rid: int) -> str:
    return f"REQ-{rid:04d}"


def suggested(total: int | None) -> str | None:
    if total is None:
        return None
    return next(c for c, at, _ in CATEGORIES if total >= at)


def _log(conn: Connection, rid: int, event: str, note: str, actor: str) -> None:
    conn.execute(insert(office_decisions).values(request_id=rid, event=event, note=note, actor=actor, at=now()))


def similar(conn: Connection, title: str, problem: str, *, exclude: int | None = None,
            home: Path | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """The existing requests and catalogue services most like a (draft) request, best first."""
    r = office_requests.c
    rows = conn.execute(select(r.id, r.title, r.problem, r.status)).all()
    cands: list[tuple[str, str, str, str]] = [
        ("request", ref(x.id), x.title, f"{x.title}. {x.problem}") for x in rows if x.id != exclude]
    cands += [("service", s["id"], s["title"], f"{s['title']}. {s['summary']}") for s in catalogue.SERVICES]
    found = similarity.scores(f"{title}. {problem}", [c[3] for c in cands], home)
    ranked = sorted(zip(found, cands, strict=True), key=lambda x: -x[0])[:limit]
    likely = similarity.threshold(home)
    return [{"kind": kind, "id": i, "title": t, "score": s, "likely_duplicate": s >= likely}
            for s, (kind, i, t, _) in ranked if s > 0]


def submit(conn: Connection, principal: Principal, body: RequestIn) -> dict[str, Any]:
    require(principal, "request_commissioning", "submit a commissioning request")
    at = now()
    rid = conn.execute(insert(office_requests).values(
        title=body.title.strip(), problem=body.problem.strip(), requester=principal.id,
        force=principal.force or "-", portfolio=body.portfolio.strip(), priority=body.priority.value,
        evidence=body.evidence.strip(), status="submitted", created_at=at, updated_at=at,
    ).returning(office_requests.c.id)).scalar_one()
    _log(conn, int(rid), "submitted", f"priority claimed: {body.priority.value}", principal.id)
    return get(conn, int(rid))


def _row(conn: Connection, rid: int) -> Any:
    row = conn.execute(select(office_requests).where(office_requests.c.id == rid)).first()
    if row is None:
        raise NotFound(f"no request {ref(rid)}")
    return row


def score(conn: Connection, principal: Principal, rid: int, body: ScoresIn) -> dict[str, Any]:
    require(principal, "decide_commissioning", "score a request against the prioritisation model")
    row = _row(conn, rid)
    if row.status in ("approved", "rejected", "duplicate"):
        raise Conflict(f"{ref(rid)} is {row.status}: it is no longer scored")
    for s in body.scores:
        c = CRITERIA.get(s.criterion)
        if c is None:
            raise BadRequest(f"no criterion {s.criterion}: the model's are {', '.join(CRITERIA)}", field="criterion")
        if not c["min"] <= s.score <= c["max"]:
            raise BadRequest(f"{s.criterion} is scored {c['min']}-{c['max']}, not {s.score}", field="score")
        if not s.rationale.strip():
            raise BadRequest(f"{s.criterion}: a score needs its rationale", field="rationale")
    for s in body.scores:
        sc = office_scores.c
        conn.execute(office_scores.delete().where(sc.request_id == rid, sc.criterion == s.criterion))
        conn.execute(insert(office_scores).values(request_id=rid, criterion=s.criterion, score=s.score,
                                                  rationale=s.rationale.strip(), assessor=principal.id,
                                                  scored_at=now()))
        _log(conn, rid, "scored", f"{s.criterion} = {s.score}: {s.rationale.strip()}", principal.id)
    conn.execute(update(office_requests).where(office_requests.c.id == rid).values(status="assessed",
                                                                                  updated_at=now()))
    return get(conn, rid)


def decide(conn: Connection, principal: Principal, rid: int, body: DecisionIn) -> dict[str, Any]:
    require(principal, "decide_commissioning", "decide a commissioning request")
    row = _row(conn, rid)
    if row.status in ("approved", "rejected", "duplicate"):
        raise Conflict(f"{ref(rid)} was already decided: {row.status}")
    if body.decision.value == "approved":
        n = conn.execute(select(func.count()).select_from(office_scores)
                         .where(office_scores.c.request_id == rid)).scalar_one()
        if n < len(CRITERIA):
            raise Conflict(f"{ref(rid)} must be scored on all {len(CRITERIA)} criteria before it is approved")
        if body.category is None:
            raise BadRequest("an approved request needs a priority category", field="category")
    if body.decision.value == "duplicate":
        if body.duplicate_of is None or body.duplicate_of == rid:
            raise BadRequest("say which request it duplicates", field="duplicate_of")
        _row(conn, body.duplicate_of)
    values: dict[str, Any] = {"status": body.decision.value, "updated_at": now()}
    if body.category is not None:
        values["category"] = body.category.value
    if body.duplicate_of is not None:
        values["duplicate_of"] = body.duplicate_of
    conn.execute(update(office_requests).where(office_requests.c.id == rid).values(**values))
    note = body.note.strip() + (f" (category {body.category.value})" if body.category else "") + (
        f" (duplicate of {ref(body.duplicate_of)})" if body.duplicate_of else "")
    _log(conn, rid, body.decision.value, note, principal.id)
    return get(conn, rid)


def get(conn: Connection, rid: int) -> dict[str, Any]:
    row = _row(conn, rid)
    scores = [{"criterion": s.criterion, "title": CRITERIA.get(s.criterion, {}).get("title", s.criterion),
               "score": s.score, "rationale": s.rationale, "assessor": s.assessor, "scored_at": s.scored_at}
              for s in conn.execute(select(office_scores).where(office_scores.c.request_id == rid)
                                    .order_by(office_scores.c.criterion))]
    total = sum(s["score"] for s in scores) if len(scores) == len(CRITERIA) else None
    log = [{"event": d.event, "note": d.note, "actor": d.actor, "at": d.at}
           for d in conn.execute(select(office_decisions).where(office_decisions.c.request_id == rid)
                                 .order_by(office_decisions.c.id))]
    return {"id": row.id, "ref": ref(row.id), "title": row.title, "problem": row.problem,
            "requester": row.requester, "force": row.force, "portfolio": row.portfolio, "priority": row.priority,
            "evidence": row.evidence, "status": row.status, "category": row.category,
            "duplicate_of": row.duplicate_of, "created_at": row.created_at, "scores": scores, "total": total,
            "suggested_category": suggested(total), "log": log}


def list_requests(conn: Connection, *, status: str | None = None) -> list[dict[str, Any]]:
    r = office_requests.c
    q = select(r.id, r.title, r.portfolio, r.force, r.priority, r.status, r.category, r.created_at)
    if status:
        q = q.where(r.status == status)
    return [{**plain(x), "ref": ref(x.id)} for x in conn.execute(q.order_by(r.id.desc()))]


def criteria() -> dict[str, Any]:
    return {"criteria": [{"id": k, **v} for k, v in CRITERIA.items()],
            "categories": [{"id": c, "from_total": at, "meaning": m} for c, at, m in CATEGORIES]}
