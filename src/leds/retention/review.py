"""The review schedule and the review queue: what is due, by date; review decisions
(retain with a next date, restrict = step down, dispose), each audited; ``run`` disposes
of what has been decided; re-scheduling when the rule table changes.

Who may review: the roles with ``review_retention`` in the access rules.  A force data
manager sees and decides on their own force's records; a data protection officer
(``manage_rights``) on every force's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, delete, func, or_, select

from leds.access.lookup import Lookup
from leds.access.policy import Principal, authorise, references
from leds.config import Settings
from leds.db.engine import write_transaction
from leds.errors import BadRequest, Conflict, NotFound

from . import erase as erasure
from .projector import rtype_of
from .rules import RULES, RULES_VERSION, add_years
from .tables import retention_holds, retention_restrictions, retention_reviews, retention_schedule

DECISIONS = ("retain", "restrict", "dispose")
S, R = retention_schedule.c, retention_reviews.c



def end_reads(conn: Connection) -> None:
    """End the read transaction a check began (SQLAlchemy autobegins), so the write can take the lock."""
    if conn.in_transaction():
        conn.rollback()


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def _due_on() -> Any:
    """A record's next review: the reviewer's next date after a retain or restrict, else the rule's."""
    return case((R.next_review.is_not(None), R.next_review), else_=S.review_on)


def _scope(principal: Principal) -> list[Any]:
    if principal.is_system or "manage_rights" in principal.actions():
        return []
    return force_scope(principal.force or "")


def force_scope(force: str) -> list[Any]:
    """One force's schedule rows: a range of the primary key, since a record key begins with
    its force and a bar (``make_rkey``); ``}`` is the character after ``|``."""
    return [S.rkey >= f"{force}|", S.rkey < f"{force}}}", S.force == force]


# -- what is due -------------------------------------------------------------------------------
def schedule_summary(conn: Connection, principal: Principal, *, as_of: str | None = None, days: int = 366,
                     limit: int = 100) -> dict[str, Any]:
    """``leds retention schedule --json``: what is due by ``as_of`` (overdue included) and in
    the following ``days``, counted by date and group, with the first ``limit`` items."""
    as_of = as_of or today()
    horizon = (date.fromisoformat(as_of).toordinal() + days)
    until = date.fromordinal(horizon).isoformat()
    due = _due_on().label("due_on")
    base = (select(S.rkey, S.force, S.class_key, S.review_group, S.rule, due, R.decision)
            .select_from(retention_schedule.outerjoin(retention_reviews, R.rkey == S.rkey))
            .where(or_(R.decision.is_(None), R.decision != "dispose"), *_scope(principal)))
    sub = base.subquery()
    by_date = conn.execute(select(sub.c.due_on, sub.c.review_group, func.count())
                           .where(sub.c.due_on <= until).group_by(sub.c.due_on, sub.c.review_group)
                           .order_by(sub.c.due_on)).all()
    dates: dict[str, dict[str, Any]] = {}
    for d, g, n in by_date:
        e = dates.setdefault(d, {"date": d, "count": 0, "by_group": {}})
        e["count"] += n
        e["by_group"][g] = n
    overdue = sum(e["count"] for d, e in dates.items() if d <= as_of)
    items = conn.execute(select(sub).where(sub.c.due_on <= as_of).order_by(sub.c.due_on, sub.c.rkey)
                         .limit(limit)).all()
    total = conn.execute(select(func.count()).select_from(retention_schedule).where(*_scope(principal))).scalar_one()
    awaiting = conn.execute(select(func.count()).select_from(retention_reviews.join(
        retention_schedule, S.rkey == R.rkey)).where(R.decision == "dispose", *_scope(principal))).scalar_one()
    linked = linked_groups(conn, [r.rkey for r in items if rtype_of(r.class_key) == "person"])
    return {"as_of": as_of, "until": until, "rules_version": RULES_VERSION, "scheduled": total, "due_now": overdue,
            "awaiting_disposal": awaiting, "by_date": list(dates.values()),
            "items": [_item(r, linked.get(r.rkey, {})) for r in items]}


def linked_groups(conn: Connection, persons: list[str]) -> dict[str, dict[str, int]]:
    """For each person record, the review groups of the records its links reach (how many in
    each): a person is reviewed with the offences linked to it (MoPI's clear period)."""
    if not persons:
        return {}
    links = references(conn, to=persons)
    ends = references(conn, of=sorted({r for r, _role, _t in links}))
    person_of = {r: t for r, _role, t in links}
    targets = {t for _r, _role, t in ends}
    groups = dict(conn.execute(select(S.rkey, S.review_group).where(S.rkey.in_(sorted(targets)))).all()) \
        if targets else {}
    out: dict[str, dict[str, int]] = {}
    for link, _role, target in ends:
        p = person_of.get(link)
        if p is not None and target != p and target in groups:
            g = out.setdefault(p, {})
            g[groups[target]] = g.get(groups[target], 0) + 1
    return out


_STRONGER = ("1", "2", "undetected")


def _item(r: Any, linked: dict[str, int]) -> dict[str, Any]:
    rule = RULES.get(r.rule)
    why = f"{rule.title}: {rule.disposal}" if rule else r.rule
    serious = [g for g in _STRONGER if g in linked]
    if serious:
        why += ("; linked to records in " + ", ".join(f"group {g} ({linked[g]})" for g in serious)
                + ": review with them before disposing of this record")
    return {"rkey": r.rkey, "force": r.force, "rtype": rtype_of(r.class_key), "review_group": r.review_group, "rule": r.rule,
            "due_on": r.due_on, "last_decision": r.decision, "linked_groups": linked, "why": why}


def queue(conn: Connection, lookup: Lookup, *, as_of: str | None = None, limit: int = 100) -> dict[str, Any]:
    """The review queue for a reviewer: records due, with what the rule says and why."""
    authorise(lookup.principal, "review_retention", lookup.purpose, lookup.reason, lookup.audit)
    out = schedule_summary(conn, lookup.principal, as_of=as_of, days=0, limit=limit)
    lookup.audit(erasure_event("consultation", lookup, [i["rkey"] for i in out["items"]],
                               {"kind": "retention_queue", "returned": len(out["items"])}))
    return out


def erasure_event(action: str, lookup: Lookup, subjects: list[str], detail: dict[str, Any]) -> Any:
    from leds.audit import AuditEvent

    return AuditEvent(action=action, actor=lookup.principal.id, purpose=lookup.purpose, reason=lookup.reason,
                      subjects=tuple(subjects[:1000]), detail=detail)


# -- decisions ---------------------------------------------------------------------------------
def decide(conn: Connection, lookup: Lookup, rkey: str, decision: str, reason: str,
           next_review: str | None = None) -> dict[str, Any]:
    """Record a review decision (audited).  ``retain`` sets the next review (given, or the
    rule's interval from today); ``restrict`` steps the record down: hidden from every role
    without ``view_restricted``, nothing deleted; ``dispose`` marks it for ``run``."""
    p = lookup.principal
    authorise(p, "review_retention", lookup.purpose, lookup.reason, lookup.audit)
    if decision not in DECISIONS:
        raise BadRequest(f"a decision is one of {', '.join(DECISIONS)}")
    if not reason or not reason.strip():
        raise BadRequest("a review decision needs a reason")
    if len(reason) > 2000:
        raise BadRequest("the reason is longer than 2000 characters")
    row = conn.execute(select(S.rkey, S.force, S.rule).where(S.rkey == rkey, *_scope(p))).first()
    if row is None:
        raise NotFound("no such record is scheduled for review (or it is not your force's)")
    if next_review is not None:
        try:
            past = date.fromisoformat(next_review).isoformat() <= today()
        except ValueError as exc:
            raise BadRequest("the next review date is YYYY-MM-DD") from exc
        if past:
            raise Conflict("the next review date must be after today")
    if decision == "dispose" and conn.execute(select(retention_holds.c.rkey).where(
            retention_holds.c.rkey == rkey)).first():
        raise Conflict("the record is under a legal hold; it cannot be disposed of")
    if decision in ("retain", "restrict") and next_review is None:
        next_review = add_years(today(), RULES[row.rule].review_years if row.rule in RULES else 6)
    if decision == "dispose":
        next_review = None
    at = erasure.now()
    end_reads(conn)
    with write_transaction(conn):
        conn.execute(delete(retention_reviews).where(R.rkey == rkey))
        conn.execute(retention_reviews.insert().values(rkey=rkey, decision=decision, reason=reason,
                                                       next_review=next_review, decided_by=p.id, decided_at=at))
        if decision == "restrict":
            conn.execute(delete(retention_restrictions).where(retention_restrictions.c.rkey == rkey))
            conn.execute(retention_restrictions.insert().values(rkey=rkey, grounds="step_down", since=at, by=p.id))
        else:  # retain or dispose lifts a step-down (a disputed-accuracy restriction stays)
            conn.execute(delete(retention_restrictions).where(retention_restrictions.c.rkey == rkey,
                                                              retention_restrictions.c.grounds == "step_down"))
    lookup.audit(erasure_event("alteration", lookup, [rkey], {
        "kind": "retention_review", "decision": decision, "next_review": next_review, "rule": row.rule}))
    return {"rkey": rkey, "decision": decision, "reason": reason, "next_review": next_review, "decided_by": p.id,
            "decided_at": at}


def run(engine: Engine, settings: Settings, *, actor: str) -> dict[str, Any]:
    """``leds retention run``: dispose of every record whose latest decision is ``dispose``
    (a record placed under a legal hold since is skipped and reported), with one receipt."""
    with engine.connect() as conn:
        decided = [r[0] for r in conn.execute(select(R.rkey).where(R.decision == "dispose").order_by(R.rkey))]
        held = {r[0] for r in conn.execute(select(retention_holds.c.rkey).where(retention_holds.c.rkey.in_(decided)))} \
            if decided else set()
    todo = [k for k in decided if k not in held]
    if not todo:
        return {"disposed": 0, "held": sorted(held), "receipt": None}
    erased = erasure.erase_records(engine, settings, todo, reason="disposal: retention review")
    body = erasure.receipt_body("disposal", erased, actor=actor, reason="disposal after retention review",
                                authority="MoPI review decision", person=None)
    receipt = erasure.sign_and_record(engine, settings, body, todo)
    return {"disposed": len(todo), "held": sorted(held), "receipt": receipt, "seconds": round(erased.seconds, 3)}


def review_of(conn: Connection, rkey: str) -> dict[str, Any] | None:
    r = conn.execute(select(retention_reviews).where(R.rkey == rkey)).mappings().first()
    return dict(r) if r else None

