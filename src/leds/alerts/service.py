"""Alerts' service functions: notify, the inbox, and the writing of one alert.

**For other domains** (e.g. the missing-persons register): :func:`notify` tells users
something in the caller's own transaction, so the entry exists exactly when the change
that caused it is committed::

    from leds.alerts.service import notify

    with engine.begin() as conn:
        ...  # the change
        notify(conn, kind="missing_found", person_id="NP-00000001",
               rkey="WYP|NICHE-RMS|event|E-5",  # the record the alert is about
               detail={"summary": "reported found by WYP"},
               role="missing_persons_coordinator", force="WYP")  # a team ...
        notify(conn, kind="missing_found", person_id=..., users=["jsmith"], detail={...})  # ... or users

``kind`` is a short word of yours (at most 24 characters).  ``detail`` is a small JSON
object that must hold no record data (names, descriptions): what a reader may see of the
record is decided when the inbox is read, through the access policy, from ``rkey``; a
reader who may not see ``rkey`` is not shown the entry at all (nor counted).  Give
``key`` (at most 100 characters) to make a repeat of the same notification a no-op (e.g.
``f"found:{rkey}:{sequence}"``).  ``purpose`` (default ``safeguarding``) is the reason code
under which a reader's view of ``rkey`` is read and audited.  Returns the new inbox ids.
Readers see notifications in ``leds alerts inbox``, ``GET /api/v1/alerts/inbox``, the live
stream and the unread count on every page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from leds.access.policy import Principal
from leds.db.bulk import insert_rows, select_in, update_rows
from leds.db.schema import users
from leds.errors import BadRequest

from .tables import alert_inbox, alert_outbox, alert_throttle

KIND_MAX = 24


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _minute(at: str) -> str:
    return at[:16]  # YYYY-MM-DDTHH:MM


def _minute_end(window: str) -> str:
    t = datetime.strptime(window, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC) + timedelta(minutes=1)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def notify(conn: Connection, *, kind: str, detail: dict[str, Any], person_id: str | None = None,
           rkey: str | None = None, users: Sequence[str] = (), role: str | None = None, force: str | None = None,
           key: str | None = None, purpose: str = "safeguarding") -> list[int]:
    """Write in-app alerts for ``users`` and/or the team (``role`` in ``force``), in the
    caller's transaction (see the module docstring).  ``purpose`` (a reason code) is the
    purpose under which a reader's view of ``rkey`` is read and audited."""
    if not kind or len(kind) > KIND_MAX:
        raise BadRequest(f"an alert's kind is 1-{KIND_MAX} characters")
    if not users and not role:
        raise BadRequest("notify whom? give users or a role and a force")
    if role and not force:
        raise BadRequest("a team is a role in a force: give force")
    if key is not None and len(key) > 100:
        raise BadRequest("a notification key is at most 100 characters")
    at = utcnow()
    base = key or hashlib.sha256(orjson.dumps([kind, person_id, rkey, detail, at])).hexdigest()[:40]
    targets: list[tuple[str | None, str | None, str | None]] = [(u, None, None) for u in users]
    if role:
        targets.append((None, role, force))
    ids = []
    for owner, team, tforce in targets:
        ikey = f"n:{kind}:{owner or f'{team}@{tforce}'}:{base}"[:120]
        if conn.execute(select(alert_inbox.c.id).where(alert_inbox.c.idempotency_key == ikey)).first():
            continue
        res = conn.execute(insert(alert_inbox).values(
            subscription_id=None, owner=owner, team=team, force=tforce, kind=kind, person_id=person_id, rkey=rkey,
            at=at, detail=orjson.dumps({**detail, "purpose": purpose}).decode(), idempotency_key=ikey))
        ids.append(int(res.inserted_primary_key[0]))  # type: ignore[index]
    return ids


# -- who is told, and what they may see ------------------------------------------------------
def principals(conn: Connection, usernames: Iterable[str]) -> dict[str, Principal]:
    """The principal of each enabled user named (a disabled or unknown user has none)."""
    names = sorted(set(usernames))
    if not names:
        return {}
    out = {}
    for r in conn.execute(select(users).where(users.c.username.in_(names), users.c.disabled.is_(False))).mappings():
        out[r["username"]] = Principal(
            id=f"user:{r['username']}", roles=frozenset(orjson.loads(r["roles"])), force=r["force"],
            vetting=r["vetting"], datasets=frozenset(orjson.loads(r["datasets"])), surname=r["surname"],
            postcode=r["postcode"])
    return out


@dataclass
class Sub:
    """A live subscription, as the projector and the worker need it."""

    id: int
    owner: str
    team: str | None
    force: str
    kind: str
    target: str | None
    spec: dict[str, Any] | None
    purpose: str
    expires_on: str
    webhook_url: str | None
    email: str | None
    max_per_minute: int

    @classmethod
    def from_row(cls, r: Any) -> Sub:
        return cls(r["id"], r["owner"], r["team"], r["force"], r["kind"], r["target"],
                   orjson.loads(r["spec"]) if r["spec"] else None, r["purpose"], r["expires_on"], r["webhook_url"],
                   r["email"], r["max_per_minute"])


@dataclass
class NewAlert:
    sub: Sub
    kind: str
    person_id: str | None
    rkey: str | None
    detail: dict[str, Any]
    key: str  # unique for the subscription (e.g. the updategram's force|source|sequence)


def write_alert(conn: Connection, sub: Sub, *, kind: str, person_id: str | None, rkey: str | None,
                detail: dict[str, Any], key: str, at: str | None = None) -> None:
    """One alert of ``sub`` (see :func:`write_alerts`)."""
    write_alerts(conn, [NewAlert(sub, kind, person_id, rkey, detail, key)], at)


_INBOX_COLUMNS = ("subscription_id", "owner", "team", "force", "kind", "person_id", "rkey", "at", "detail",
                  "idempotency_key")


def write_alerts(conn: Connection, alerts: list[NewAlert], at: str | None = None) -> int:
    """Alerts, in the caller's transaction: an inbox row each, and an outbox row per external
    channel of its subscription; past a subscription's limit for this minute, the rest are
    folded into the minute's digest (one inbox row, delivered on the external channels when
    the minute ends).  The throttle state is read once for the batch and inbox rows without
    an external channel are written in one statement.  Returns the inbox rows written
    (digests included, folds not).  A repeated ``key`` fails on the inbox's unique key."""
    if not alerts:
        return 0
    at = at or utcnow()
    window = _minute(at)
    subs = {a.sub.id: a.sub for a in alerts}
    stored = {int(r[0]): r[1:] for r in select_in(conn, alert_throttle, ("subscription_id", "minute", "sent",
                                                                         "digest_id"), "subscription_id", sorted(subs))}
    now: dict[int, list[Any]] = {sid: ([st[1], st[2]] if (st := stored.get(sid)) and st[0] == window else [0, None])
                                 for sid in subs}
    bulk: list[tuple[Any, ...]] = []
    written = 0
    for a in alerts:
        sub, state = a.sub, now[a.sub.id]
        ikey = f"s:{sub.id}:{a.key}"[:120]
        if state[0] < sub.max_per_minute:
            state[0] += 1
            written += 1
            if sub.webhook_url or sub.email:
                inbox_id = _insert_inbox(conn, sub, a.kind, a.person_id, a.rkey, a.detail, ikey, at)
                _outbox(conn, sub, inbox_id, ikey, at, at)
            else:
                bulk.append((sub.id, sub.owner, sub.team, sub.force if sub.team else None, a.kind, a.person_id, a.rkey,
                             at, orjson.dumps(a.detail).decode(), ikey))
            continue
        item = {"person_id": a.person_id, "rkey": a.rkey, "kind": a.kind, "at": at, "key": ikey}
        if state[1] is not None:
            row = conn.execute(select(alert_inbox.c.detail).where(alert_inbox.c.id == state[1])).first()
            if row is not None:
                d = orjson.loads(row.detail)
                d["folded"] += 1
                if len(d["items"]) < DIGEST_ITEMS:
                    d["items"].append(item)
                conn.execute(update(alert_inbox).where(alert_inbox.c.id == state[1])
                             .values(detail=orjson.dumps(d).decode()))
                continue
        dkey = f"d:{sub.id}:{window}"
        state[1] = _insert_inbox(conn, sub, "digest", sub.target if sub.kind in ("person", "watch") else None, None,
                                 {"window": window, "limit": sub.max_per_minute, "folded": 1, "items": [item]},
                                 dkey, at)
        _outbox(conn, sub, state[1], dkey, at, _minute_end(window))
        written += 1
    insert_rows(conn, alert_inbox, _INBOX_COLUMNS, bulk)
    update_rows(conn, alert_throttle, ("minute", "sent", "digest_id"), "subscription_id = ?",
                [(window, st[0], st[1], sid) for sid, st in now.items() if sid in stored])
    insert_rows(conn, alert_throttle, ("subscription_id", "minute", "sent", "digest_id"),
                [(sid, window, st[0], st[1]) for sid, st in now.items() if sid not in stored])
    return written


DIGEST_ITEMS = 200  # changes listed in a digest (all are counted)


def _insert_inbox(conn: Connection, sub: Sub, kind: str, person_id: str | None, rkey: str | None,
                  detail: dict[str, Any], ikey: str, at: str) -> int:
    res = conn.execute(insert(alert_inbox).values(
        subscription_id=sub.id, owner=sub.owner, team=sub.team, force=sub.force if sub.team else None, kind=kind,
        person_id=person_id, rkey=rkey, at=at, detail=orjson.dumps(detail).decode(), idempotency_key=ikey))
    return int(res.inserted_primary_key[0])  # type: ignore[index]


def _outbox(conn: Connection, sub: Sub, inbox_id: int, ikey: str, at: str, not_before: str) -> None:
    for channel, dest in (("webhook", sub.webhook_url), ("email", sub.email)):
        if dest:
            conn.execute(insert(alert_outbox).values(
                inbox_id=inbox_id, subscription_id=sub.id, channel=channel, destination=dest,
                idempotency_key=f"{ikey}:{channel}"[:120], state="pending", attempts=0, next_at=not_before,
                created_at=at))
