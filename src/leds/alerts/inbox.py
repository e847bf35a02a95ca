"""The in-app inbox, as each reader may see it *now*.

An entry names the record that changed; when the inbox is read, that record is read
through the access policy as the reader (an audited consultation, with the purpose the
subscription was made for), and an entry whose record the reader may not see now is not
shown, nor counted: not even "something changed".  The unread count on every page applies
the same row rule in SQL (a join to ``records`` under the reader's predicate).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy import Connection, and_, func, insert, or_, select, update

from leds.access.lookup import Lookup, consulting
from leds.access.policy import Principal, RecordView, read_records, row_predicate
from leds.db.engine import write_transaction
from leds.db.schema import records
from leds.records.models import fact

from .models import Alert
from .tables import alert_inbox, alert_reads, alert_subscriptions

READ_ACTIONS = ("manage_alerts", "view_record", "view_person")  # the first the reader holds reads alerts' records
DEFAULT_PURPOSE = "safeguarding"  # for a notification whose detail names none (needs no text)
COUNT_CAP = 99


def username(p: Principal) -> str:
    return p.id.removeprefix("user:")


def _mine(p: Principal) -> Any:
    i = alert_inbox.c
    clauses = [i.owner == username(p)]
    if p.roles and p.force:
        clauses.append(and_(i.team.in_(sorted(p.roles)), i.force == p.force))
    return or_(*clauses)


def read_action(p: Principal) -> str | None:
    return next((a for a in READ_ACTIONS if a in p.actions()), None)


def inbox(conn: Connection, lookup: Lookup, *, after: int = 0, limit: int = 50) -> list[Alert]:
    """The reader's newest alerts (or those after id ``after``, oldest first, for a live
    stream), as the reader may see them now."""
    return inbox_after(conn, lookup, after=after, limit=limit)[0]


def inbox_after(conn: Connection, lookup: Lookup, *, after: int = 0, limit: int = 50) -> tuple[list[Alert], int]:
    """:func:`inbox`, and the highest entry id looked at (shown or not): a stream carries on
    from there, so an entry the reader may not see is read (and audited) once, not on every
    turn."""
    p = lookup.principal
    action = read_action(p)
    if action is None:
        return [], after
    i = alert_inbox.c
    q = select(alert_inbox, alert_subscriptions.c.purpose, alert_subscriptions.c.reason).select_from(
        alert_inbox.outerjoin(alert_subscriptions, alert_subscriptions.c.id == i.subscription_id)).where(_mine(p))
    if after:
        q = q.where(i.id > after).order_by(i.id).limit(limit)
    else:
        q = q.order_by(i.id.desc()).limit(limit)
    rows = conn.execute(q).mappings().all()
    scanned = max([after, *[r["id"] for r in rows]])
    details = {r["id"]: orjson.loads(r["detail"]) for r in rows}
    # Each entry's records, read as the reader under the subscription's own purpose.
    wanted: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for r in rows:
        purpose = r["purpose"] or details[r["id"]].get("purpose") or DEFAULT_PURPOSE
        keys = [r["rkey"]] if r["rkey"] else [it["rkey"] for it in details[r["id"]].get("items", ()) if it.get("rkey")]
        wanted[(purpose, r["reason"] or details[r["id"]].get("reason"))] |= set(keys)
    seen: dict[str, RecordView] = {}
    for (purpose, reason), group in wanted.items():
        if not group:
            continue
        with consulting(Lookup(p, purpose, reason, lookup.audit), "alert inbox", {"entries": len(rows)}) as lk:
            for view in read_records(conn, p, purpose, action=action, reason=reason, audit=lk.audit,
                                     rkeys=sorted(group), limit=len(group)):
                seen[view.rkey] = view
    out = []
    for r in rows:
        d = details[r["id"]]
        record = None
        if r["rkey"]:
            got = seen.get(r["rkey"])
            if got is None:
                continue  # not one the reader may see now: not shown at all
            record = {**fact(got), "rtype": got.rtype, "data": got.data, "redacted": list(got.redacted)}
        elif "items" in d:
            items = [it for it in d["items"] if not it.get("rkey") or it["rkey"] in seen]
            if not items:
                continue
            d = {**d, "items": items, "folded": len(items) if len(items) < len(d["items"]) else d["folded"]}
        d.pop("reason", None)
        out.append(Alert(id=r["id"], subscription=r["subscription_id"], person_id=r["person_id"], kind=r["kind"],
                         at=r["at"], rkey=r["rkey"], detail=d, record=record))
    return out, scanned


def unread(conn: Connection, p: Principal) -> int:
    """How many alerts the reader has not seen and may see (at most COUNT_CAP + 1)."""
    if read_action(p) is None:
        return 0
    i = alert_inbox.c
    last = conn.execute(select(alert_reads.c.last_seen).where(alert_reads.c.username == username(p))).scalar() or 0
    seen = select(i.id).select_from(alert_inbox.outerjoin(records, records.c.rkey == i.rkey)).where(
        _mine(p), i.id > last, or_(i.rkey.is_(None), row_predicate(p))).limit(COUNT_CAP + 1).subquery()
    return int(conn.execute(select(func.count()).select_from(seen)).scalar_one())


def mark_seen(conn: Connection, p: Principal, upto: int) -> None:
    """The reader has seen every alert up to ``upto`` (its own write transaction)."""
    if conn.in_transaction():
        conn.commit()
    with write_transaction(conn):
        _mark(conn, username(p), upto)


def _mark(conn: Connection, name: str, upto: int) -> None:
    done = conn.execute(update(alert_reads).where(alert_reads.c.username == name, alert_reads.c.last_seen < upto)
                        .values(last_seen=upto)).rowcount
    if not done and conn.execute(select(alert_reads.c.username).where(alert_reads.c.username == name)).first() is None:
        conn.execute(insert(alert_reads).values(username=name, last_seen=upto))


def unread_for_page(engine: Any, p: Principal) -> int | None:
    """The count shown in every page's menu (None: the user has no inbox to show)."""
    if read_action(p) is None:
        return None
    with engine.connect() as conn:
        return unread(conn, p)
