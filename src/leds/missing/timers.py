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
    at = now()
    rhi_from = iso(at - timedelta(days=365))
    q = select(*LIVE_COLUMNS).where(row_predicate(principal, E),
                                    (E.c.live.is_(True)) | ((E.c.child.is_(True)) & (E.c.status == "found")
                                                            & E.c.rhi_at.is_(None) & (E.c.found_at >= rhi_from)))
    if force:
        q = q.where(E.c.force == force)
    out = []
    for r in conn.execute(q):
        if r.live:
            due = review_due(r.risk, r.reviewed_at)
            if due < iso(at):
                out.append({"episode_id": r.rkey, "force": r.force, "kind": "risk_review", "due": due,
                            "risk": r.risk})
        elif r.found_at:
            due = iso(datetime_of(r.found_at) + timedelta(hours=RHI_HOURS))
            if due < iso(at):
                out.append({"episode_id": r.rkey, "force": r.force, "kind": "return_interview", "due": due,
                            "risk": r.risk})
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
