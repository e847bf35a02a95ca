"""Timers: risk reviews fall due by grade (:data:`~leds.missing.service.REVIEW_HOURS`), and a
child's return home interview within 72 hours of their return.  Overdue items are listed for
a force's coordinators, and ``leds missing timers --alert`` tells them through alerts (once
per item and due time)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select

from leds.access.lookup import Lookup
from leds.access.policy import Principal, authorise, row_predicate

from .notify import tell_coordinators
from .service import LIVE_COLUMNS, RHI_HOURS, iso, now, review_due
from .tables import missing_episodes as E


def overdue(conn: Connection, lookup: Lookup, force: str | None = None) -> list[dict[str, Any]]:
    """Overdue risk reviews and return interviews of ``force``'s episodes (the caller's own
    force by default), most overdue first."""
    authorise(lookup.principal, "view_missing", lookup.purpose, lookup.reason, lookup.audit)
    return _overdue(conn, lookup.principal, force or lookup.principal.force)


def _overdue(conn: Connection, principal: Principal, force: str | None) -> list[dict[str, Any]]:
    """Two index reads, never a scan of every episode: the live episodes (their partial covering
    index), and the children's interviews awaited within the last year (a partial index of the
    interviews not held, by force and due time)."""
    at = now()
    due_by = iso(at)
    reviews = select(*LIVE_COLUMNS).where(E.c.live.is_(True), row_predicate(principal, E))
    interviews = (select(*LIVE_COLUMNS)
                  .where(E.c.rhi_at.is_(None), E.c.rhi_due.is_not(None), row_predicate(principal, E),
                         E.c.rhi_due >= iso(at - timedelta(days=365) + timedelta(hours=RHI_HOURS)),
                         E.c.rhi_due < due_by, E.c.status == "found"))
    if force:
        reviews = reviews.where(E.c.force == force)
        interviews = interviews.where(E.c.force == force)
    out = []
    for r in conn.execute(reviews):
        due = review_due(r.risk, r.reviewed_at)
        if due < due_by:
            out.append({"episode_id": r.rkey, "force": r.force, "kind": "risk_review", "due": due, "risk": r.risk})
    for r in conn.execute(interviews):
        out.append({"episode_id": r.rkey, "force": r.force, "kind": "return_interview",
                    "due": iso(datetime_of(r.found_at) + timedelta(hours=RHI_HOURS)), "risk": r.risk})
    out.sort(key=lambda o: (o["due"], o["episode_id"]))
    return out


def datetime_of(value: str) -> Any:
    from .service import parse

    return parse(value)


def alert_overdue(conn: Connection) -> int:
    """Tell each force's coordinators of its overdue items (run by the operator or a timer);
    an item is told once per due time.  Returns the number of items."""
    items = _overdue(conn, Principal.system(), None)
    for o in items:
        tell_coordinators(conn, "missing_overdue", o["episode_id"], o["force"],
                          {"episode": o["episode_id"], "timer": o["kind"], "due": o["due"]},
                          key=f"timer:{o['kind']}:{o['episode_id']}:{o['due']}")
    return len(items)
