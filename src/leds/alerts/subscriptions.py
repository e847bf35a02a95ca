"""Subscriptions: create (with every check of the issue's "bad input" list), list, cancel.

Each function takes the connection and a :class:`~leds.access.lookup.Lookup`; creating
one reads the subject through the access policy as the subscriber (an audited
consultation), so nobody can subscribe to what they may not see.
"""

from __future__ import annotations

from datetime import date, timedelta
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import Connection, delete, insert, or_, select, update

from leds.access.lookup import Lookup, consulting
from leds.access.policy import authorise, read_records
from leds.db.bulk import insert_rows
from leds.db.engine import write_transaction
from leds.errors import BadRequest, Conflict, NotFound
from leds.search.keys import normalise_vrm, vrm_key
from leds.search.tables import search_vehicles
from leds.standard.validators import today

from . import keys
from .models import Kind, Subscription, SubscriptionRequest
from .service import utcnow
from .tables import alert_keys, alert_subscriptions

DEFAULT_DAYS = 365
MAX_DAYS = 3 * 365
# Holding a watch on look-ups of a person (investigative interest) is its own action in
# the published rule table (leds.access.rules), as the issue requires.
WATCH_ACTION = "watch_lookups"


def webhook_allowed(url: str) -> bool:
    """https anywhere; plain http only to a loopback address (tests, a local relay)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def subscribe(conn: Connection, lookup: Lookup, req: SubscriptionRequest) -> Subscription:
    """Create a subscription for the look-up's principal, or raise (nothing created).  The
    connection must not be inside an explicit transaction: the subject is read (and the
    consultation audited) first, then the subscription is written in its own transaction."""
    kind = req.kind
    if not (lookup.reason and lookup.reason.strip()):
        raise BadRequest("a subscription needs a reason (e.g. the case reference)", field="reason")
    authorise(lookup.principal, WATCH_ACTION if kind == Kind.watch else "manage_alerts", lookup.purpose,
              lookup.reason, lookup.audit)
    expires = req.expires or (today() + timedelta(days=DEFAULT_DAYS))
    # Against today's date (the current state, which no schema can say): 409.
    if expires < today():
        raise Conflict("the expiry date is in the past", field="expires")
    if expires > today() + timedelta(days=MAX_DAYS):
        raise Conflict(f"a subscription lasts at most {MAX_DAYS} days; renew it later", field="expires")
    if req.webhook_url is not None and not webhook_allowed(req.webhook_url):
        raise BadRequest("a webhook URL must be https (plain http only to a loopback address)", field="webhook_url")
    if req.team is not None and req.team not in _roles():
        raise BadRequest(f"unknown team role {req.team!r}", field="team")
    target: str | None = None
    spec: dict[str, Any] | None = None
    index: list[str]
    if kind in (Kind.person, Kind.watch):
        assert req.person_id is not None
        target = req.person_id
        members = _visible_person(conn, lookup, req.person_id)
        index = keys.person_keys(req.person_id, members, "watch:" if kind == Kind.watch else "")
    elif kind == Kind.vehicle:
        assert req.vrm is not None
        target = normalise_vrm(req.vrm)
        _visible_vehicle(conn, lookup, target)
        index = [keys.vehicle_key(target)]
    elif kind == Kind.rule:
        assert req.rule is not None
        spec = req.rule.model_dump(exclude_none=True, exclude_defaults=True) | {"type": req.rule.type}
        index = [keys.rule_key(spec)]
    else:
        assert req.search is not None
        spec = req.search.model_dump(mode="json", exclude_none=True)
        index = [keys.search_key(spec)]
    # The subject was read (and the consultation audited) in a read transaction; the writes
    # go in their own (on SQLite a read snapshot cannot become a writer once the audit wrote).
    if conn.in_transaction():
        conn.commit()
    with write_transaction(conn):
        sid = _insert(conn, lookup, req, kind, target, spec, index, expires)
    return get(conn, lookup, sid)


def _insert(conn: Connection, lookup: Lookup, req: SubscriptionRequest, kind: Kind, target: str | None,
            spec: dict[str, Any] | None, index: list[str], expires: date) -> int:
    owner = lookup.principal.id.removeprefix("user:")
    assert lookup.reason is not None
    res = conn.execute(insert(alert_subscriptions).values(
        owner=owner, team=req.team, force=lookup.principal.force or "", kind=kind.value, target=target,
        spec=orjson.dumps(spec).decode() if spec is not None else None, purpose=lookup.purpose,
        reason=lookup.reason.strip(), created_at=utcnow(), expires_on=expires.isoformat(),
        webhook_url=req.webhook_url, email=req.email, max_per_minute=req.max_per_minute, cancelled_at=None))
    sid = int(res.inserted_primary_key[0])  # type: ignore[index]
    insert_rows(conn, alert_keys, ("key", "subscription_id"), [(k, sid) for k in dict.fromkeys(index)])
    return sid


def _roles() -> tuple[str, ...]:
    from leds.access.rules import ROLES

    return tuple(ROLES)


def _visible_person(conn: Connection, lookup: Lookup, person_id: str) -> list[str]:
    """The person's records, if the subscriber may see at least one (else: not found)."""
    from leds.persons.service import members

    recs = members(conn, person_id)
    with consulting(lookup, "alert subscription", {"person_id": person_id}) as lk:
        seen = read_records(conn, lk.principal, lk.purpose, action="view_person", reason=lk.reason, audit=lk.audit,
                            rkeys=recs, rtype="person", limit=max(1, len(recs))) if recs else []
    if not seen:
        raise NotFound("no such person, or not one you may see", field="person_id")
    return recs


def _visible_vehicle(conn: Connection, lookup: Lookup, vrm: str) -> None:
    found = [r[0] for r in conn.execute(select(search_vehicles.c.rkey)
                                        .where(search_vehicles.c.vrm_key == vrm_key(vrm)).limit(50))]
    with consulting(lookup, "alert subscription", {"vrm": vrm}) as lk:
        seen = read_records(conn, lk.principal, lk.purpose, action="check", reason=lk.reason, audit=lk.audit,
                            rkeys=found, rtype="vehicle", limit=max(1, len(found))) if found else []
    if not seen:
        raise NotFound("no such vehicle, or not one you may see", field="vrm")


def _answer(r: Any) -> Subscription:
    return Subscription(id=r["id"], owner=r["owner"], team=r["team"], kind=Kind(r["kind"]), target=r["target"],
                        spec=orjson.loads(r["spec"]) if r["spec"] else None, purpose=r["purpose"],
                        reason=r["reason"], created_at=r["created_at"], expires=r["expires_on"],
                        webhook_url=r["webhook_url"], email=r["email"], max_per_minute=r["max_per_minute"],
                        live=r["cancelled_at"] is None and r["expires_on"] >= today().isoformat(), webhook_secret=None)


def _mine(lookup: Lookup) -> Any:
    p = lookup.principal
    owner = p.id.removeprefix("user:")
    team = [alert_subscriptions.c.team.in_(sorted(p.roles)) & (alert_subscriptions.c.force == p.force)] \
        if p.roles else []
    return or_(alert_subscriptions.c.owner == owner, *team)


def get(conn: Connection, lookup: Lookup, sid: int) -> Subscription:
    r = conn.execute(select(alert_subscriptions).where(alert_subscriptions.c.id == sid, _mine(lookup),
                                                       alert_subscriptions.c.cancelled_at.is_(None))).mappings().first()
    if r is None:
        raise NotFound("no such subscription, or not one of yours")
    return _answer(r)


def list_subscriptions(conn: Connection, lookup: Lookup) -> list[Subscription]:
    """The caller's subscriptions and their teams', newest first (cancelled ones are gone)."""
    return [_answer(r) for r in conn.execute(
        select(alert_subscriptions).where(_mine(lookup), alert_subscriptions.c.cancelled_at.is_(None))
        .order_by(alert_subscriptions.c.id.desc()).limit(1000)).mappings()]


def cancel(conn: Connection, lookup: Lookup, sid: int) -> None:
    """Cancel one of the caller's own subscriptions: it leaves the index at once (the
    connection must not be inside a transaction: this opens its own write)."""
    owner = lookup.principal.id.removeprefix("user:")
    with write_transaction(conn):
        done = conn.execute(update(alert_subscriptions).where(
            alert_subscriptions.c.id == sid, alert_subscriptions.c.owner == owner,
            alert_subscriptions.c.cancelled_at.is_(None)).values(cancelled_at=utcnow())).rowcount
        if done:
            conn.execute(delete(alert_keys).where(alert_keys.c.subscription_id == sid))
    if not done:
        raise NotFound("no such subscription, or not one of yours")


def expiry_default() -> date:
    return today() + timedelta(days=DEFAULT_DAYS)
