"""Delivery workers: they consume the outbox and deliver on the external channels.

The outbox table is the truth; a worker only ever moves a row forward under a condition
(``pending`` -> ``sending`` -> ``delivered``, or back to ``pending`` with a later
``next_at``, or to ``dead``), so any number of workers may run:

* **embedded** (no broker): one worker reads due rows from the outbox itself;
* **Redis Streams** (``LEDS_BROKER_URL`` / ``--broker``): each worker relays due rows onto
  one stream and reads it through one consumer group, so several processes share the
  work; a row relayed but not delivered within ``relay_s`` (Redis lost its stream, a
  worker died) is relayed again, and a consumer's unacknowledged entries are claimed by
  another after ``lease_s``.

A worker killed at any instant loses nothing: a row it had claimed (``sending``) returns
to ``pending`` after ``lease_s``.  The one repeat possible is a delivery sent but not yet
marked when the worker died: it is sent again with the same idempotency key.

Each delivery is decided at delivery time: the subscription must still be live, its owner
enabled and allowed alerts, and the changed record one the owner may see now (read through
the access policy); otherwise nothing is sent (the row ends ``withheld``).  Each delivery
is audited as a disclosure before it is sent (if the audit cannot be written, nothing is).
The worker also runs the watch follower (:mod:`.watches`).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import Connection, Engine, and_, or_, select, update

from leds.access.policy import read_records
from leds.audit import AuditEvent, get_writer
from leds.config import Settings
from leds.db.engine import get_engine, write_transaction
from leds.records.models import fact
from leds.standard.validators import today

from . import channels, watches
from .service import principals, utcnow
from .tables import alert_inbox, alert_outbox, alert_subscriptions

log = logging.getLogger("leds.alerts.worker")

STREAM = "leds:alerts:outbox"
GROUP = "leds-alert-workers"


@dataclass(frozen=True)
class Pace:
    """Retry back-off and the timeouts that make a crash harmless."""

    base_s: float = 1.0  # first retry after this; doubling each time
    max_s: float = 300.0
    max_attempts: int = 6  # then the dead-letter list
    lease_s: float = 30.0  # a claim older than this was a worker that died
    relay_s: float = 10.0  # a relayed row not delivered by then is relayed again
    poll_s: float = 0.1  # how often an idle worker looks for due rows
    idle_s: float = 1.0  # on SQLite, a turn runs at least this often even when nothing was committed


def _at(delta_s: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=delta_s)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def due_ids(conn: Connection, limit: int = 200) -> list[int]:
    o = alert_outbox.c
    return [r[0] for r in conn.execute(select(o.id).where(o.state == "pending", o.next_at <= utcnow())
                                       .order_by(o.id).limit(limit))]


class Worker:
    def __init__(self, settings: Settings, *, engine: Engine | None = None, broker_url: str | None = None,
                 consumer: str | None = None, pace: Pace = Pace(), follow_watches: bool = True):
        self.settings = settings
        self.engine = engine or get_engine(settings)
        self.broker_url = broker_url if broker_url is not None else settings.broker_url
        self.consumer = consumer or f"{socket.gethostname()}-{threading.get_native_id()}"
        self.pace = pace
        self.follow_watches = follow_watches
        self.http = httpx.Client()
        self.writer = get_writer(settings)
        self.counts: dict[str, int] = {}
        self._redis: Any = None
        self._last_reap = 0.0
        self._probe: Any = None  # SQLite: a connection kept to read PRAGMA data_version
        self._seen_version: int | None = None
        self._last_turn = 0.0

    # -- deliveries -------------------------------------------------------------------------
    def deliver(self, outbox_id: int) -> str:
        """Claim, decide, audit, send and mark one outbox row; what became of it."""
        return self.deliver_batch([outbox_id]).get(outbox_id, "skipped")

    def deliver_batch(self, ids: list[int]) -> dict[int, str]:
        """Claim these rows (those still pending and due: another worker may have them), then
        decide, audit, send and mark each: one claim and one audit commit for the batch (the
        audit writer's group commit), then each delivery marked as soon as it is sent."""
        if not ids:
            return {}
        now = utcnow()
        o = alert_outbox.c
        with self.engine.connect() as conn, write_transaction(conn):
            rows = conn.execute(update(alert_outbox).where(o.id.in_(ids), o.state == "pending", o.next_at <= now)
                                .values(state="sending", claimed_at=now).returning(*alert_outbox.c)).mappings().all()
        if not rows:
            return {}
        with self.engine.connect() as conn:
            plans = [(row, *self._payload(conn, row)) for row in rows]
        outcome: dict[int, str] = {}
        errors: dict[int, str] = {}
        audited = {}
        for row, payload, subjects, purpose, owner in plans:
            if payload is None:
                outcome[row["id"]] = "withheld"
                continue
            try:  # fail closed: nothing is sent whose disclosure is not in the audit trail
                audited[row["id"]] = self.writer.submit(AuditEvent(
                    action="disclosure", actor="system", purpose=purpose, subjects=tuple(subjects[:1000]),
                    detail={"kind": "alert delivery", "partner": row["destination"][:128], "channel": row["channel"],
                            "recipient": f"user:{owner}", "idempotency_key": row["idempotency_key"],
                            "subscription": row["subscription_id"], "attempt": row["attempts"] + 1}))
            except Exception as exc:
                errors[row["id"]] = f"audit: {exc}"[:500]
        for row, payload, _subjects, _purpose, _owner in plans:
            i = row["id"]
            if i not in audited:
                continue
            assert payload is not None
            try:
                audited[i].result(60)
                if row["channel"] == "webhook":
                    channels.send_webhook(row["destination"],
                                          channels.webhook_secret(self.settings, row["subscription_id"]),
                                          row["idempotency_key"], payload, self.http)
                else:
                    channels.send_email(self.settings.smtp_url, row["destination"], row["idempotency_key"], payload)
            except Exception as exc:  # the receiver, the network or the audit: retry later
                errors[i] = str(exc)[:500]
                continue
            # Marked at once: a worker killed now repeats at most the one delivery in flight.
            self._mark({i: "delivered"}, {}, {})
            outcome[i] = "delivered"
        self._mark({i: st for i, st in outcome.items() if st != "delivered"}, errors,
                   {row["id"]: row for row in rows}, outcome)
        return outcome

    def _mark(self, states: dict[int, str], errors: dict[int, str], rows: dict[int, Any],
              outcome: dict[int, str] | None = None) -> None:
        if not states and not errors:
            return
        o = alert_outbox.c
        done = utcnow()
        with self.engine.connect() as conn, write_transaction(conn):
            for i, state in states.items():
                conn.execute(update(alert_outbox).where(o.id == i, o.state == "sending")
                             .values(state=state, delivered_at=done, last_error=None))
            for i, error in errors.items():
                result = self._failed(conn, rows[i], error)
                if outcome is not None:
                    outcome[i] = result

    def _failed(self, conn: Connection, row: Any, error: str) -> str:
        attempts = row["attempts"] + 1
        dead = attempts >= self.pace.max_attempts
        wait = min(self.pace.max_s, self.pace.base_s * 2 ** (attempts - 1))
        o = alert_outbox.c
        conn.execute(update(alert_outbox).where(o.id == row["id"], o.state == "sending").values(
            state="dead" if dead else "pending", attempts=attempts, next_at=_at(wait), relayed_at=None,
            claimed_at=None, last_error=error))
        return "dead" if dead else "retry"

    def _payload(self, conn: Connection, row: Any) -> tuple[dict[str, Any] | None, list[str], str, str]:
        inbox = conn.execute(select(alert_inbox).where(alert_inbox.c.id == row["inbox_id"])).mappings().first()
        sub = conn.execute(select(alert_subscriptions).where(alert_subscriptions.c.id == row["subscription_id"])
                           ).mappings().first()
        if inbox is None or sub is None or sub["cancelled_at"] is not None or sub["expires_on"] < today().isoformat():
            return None, [], "", ""
        p = principals(conn, [sub["owner"]]).get(sub["owner"])
        if p is None or "manage_alerts" not in p.actions():
            return None, [], sub["purpose"], sub["owner"]  # access withdrawn since subscribing
        detail = orjson.loads(inbox["detail"])
        keys = [inbox["rkey"]] if inbox["rkey"] else [i["rkey"] for i in detail.get("items", ()) if i.get("rkey")]
        # Read as the owner now; the disclosure entry below is this delivery's audit.
        seen = {v.rkey: v for v in read_records(conn, p, sub["purpose"], action="manage_alerts", reason=sub["reason"],
                                                audit=lambda e: 0, rkeys=keys, limit=max(1, len(keys)))} \
            if keys else {}
        record = None
        if inbox["rkey"]:
            v = seen.get(inbox["rkey"])
            if v is None:
                return None, [], sub["purpose"], sub["owner"]
            record = {**fact(v), "rtype": v.rtype, "data": v.data, "redacted": list(v.redacted)}
        elif "items" in detail:
            items = [i for i in detail["items"] if not i.get("rkey") or i["rkey"] in seen]
            if not items:
                return None, [], sub["purpose"], sub["owner"]
            detail = {**detail, "items": items, "folded": len(items) if len(items) < len(detail["items"])
                      else detail["folded"]}
        subjects = [s for s in [inbox["person_id"], *seen] if s]
        alert = {"id": inbox["id"], "subscription": inbox["subscription_id"], "person_id": inbox["person_id"],
                 "kind": inbox["kind"], "at": inbox["at"], "rkey": inbox["rkey"], "detail": detail, "record": record}
        return {"idempotency_key": row["idempotency_key"], "alert": alert}, subjects, sub["purpose"], sub["owner"]

    # -- housekeeping -----------------------------------------------------------------------
    def reap(self) -> int:
        """Claims older than the lease were workers that died: their rows are pending again."""
        o = alert_outbox.c
        stale = and_(o.state == "sending", o.claimed_at < _at(-self.pace.lease_s))
        with self.engine.connect() as conn:
            if conn.execute(select(o.id).where(stale).limit(1)).first() is None:
                return 0  # the usual case: no write transaction
        with self.engine.connect() as conn, write_transaction(conn):
            return int(conn.execute(update(alert_outbox).where(stale)
                                    .values(state="pending", claimed_at=None, relayed_at=None)).rowcount)

    def _housekeeping(self) -> None:
        if time.monotonic() - self._last_reap >= min(1.0, self.pace.lease_s / 4):
            self._last_reap = time.monotonic()
            self.reap()
        if self.follow_watches:
            watches.follow(self.engine)

    # -- embedded ---------------------------------------------------------------------------
    def run_once(self) -> int:
        """Deliver every due row once (embedded mode); how many were taken."""
        self._housekeeping()
        with self.engine.connect() as conn:
            ids = due_ids(conn)
        for outcome in self.deliver_batch(ids).values():
            self._count(outcome)
        return len(ids)

    def _count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def _unchanged(self) -> bool:
        """SQLite only: nobody has committed anything since the last turn (``PRAGMA data_version``
        on a connection that never writes), and a turn ran within ``idle_s`` (or the retry
        back-off, if shorter), so retries falling due and stale claims are still seen in time.
        An idle serving process then costs a pragma every ``poll_s`` instead of a turn's five
        queries.  Anything committed (an outbox row, an audit entry a watch may care about)
        changes the version, and the next poll runs a turn."""
        if self.engine.dialect.name != "sqlite":
            return False
        if self._probe is None:
            self._probe = self.engine.raw_connection()
        version = self._probe.cursor().execute("PRAGMA data_version").fetchone()[0]
        fresh = time.monotonic() - self._last_turn < min(self.pace.idle_s, self.pace.base_s)
        if version == self._seen_version and fresh:
            return True
        self._seen_version = version
        self._last_turn = time.monotonic()
        return False

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                if not self.broker_url and self._unchanged():
                    stop.wait(self.pace.poll_s)
                    continue
                busy = self.run_once_broker() if self.broker_url else self.run_once()
            except Exception:  # the store or the broker is away: keep trying, lose nothing
                log.exception("alert worker: will retry")
                self._redis = None
                busy = 0
            if not busy:
                stop.wait(self.pace.poll_s)
        if self._probe is not None:
            self._probe.close()
            self._probe = None

    # -- Redis Streams ------------------------------------------------------------------------
    def _r(self) -> Any:
        if self._redis is None:
            import redis

            assert self.broker_url is not None
            r = redis.Redis.from_url(self.broker_url, socket_timeout=5, socket_connect_timeout=2)
            with contextlib.suppress(redis.ResponseError):  # BUSYGROUP: it exists
                r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
            self._redis = r
        return self._redis

    def relay(self) -> int:
        """Put due rows on the stream (each once, unless it has not been delivered within relay_s)."""
        r = self._r()
        o = alert_outbox.c
        stale = _at(-self.pace.relay_s)
        fresh = or_(o.relayed_at.is_(None), o.relayed_at < stale)
        with self.engine.connect() as conn:
            ids = [x[0] for x in conn.execute(select(o.id).where(o.state == "pending", o.next_at <= utcnow(), fresh)
                                              .order_by(o.id).limit(500))]
        if not ids:
            return 0
        with self.engine.connect() as conn, write_transaction(conn):
            took = [x[0] for x in conn.execute(update(alert_outbox).where(o.id.in_(ids), o.state == "pending", fresh)
                                               .values(relayed_at=utcnow()).returning(o.id))]
        pipe = r.pipeline(transaction=False)
        for i in took:
            pipe.xadd(STREAM, {"id": str(i)})
        pipe.execute()
        return len(took)

    def run_once_broker(self) -> int:
        """Relay, then read this consumer's share of the stream (and claim a dead consumer's)."""
        self._housekeeping()
        self.relay()
        r = self._r()
        got = r.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=50, block=int(self.pace.poll_s * 1000)) or []
        entries = [e for _, es in got for e in es]
        claimed = r.xautoclaim(STREAM, GROUP, self.consumer, min_idle_time=int(self.pace.lease_s * 1000),
                               start_id="0-0", count=50)
        entries += claimed[1] if claimed else []
        ids = [int(f.get(b"id") or f.get("id")) for _, f in entries if f]
        for outcome in self.deliver_batch(ids).values():
            self._count(outcome)
        if entries:
            r.xack(STREAM, GROUP, *[e for e, _ in entries])
        return len(entries)


# -- the dead-letter list ---------------------------------------------------------------------
def dead_letters(conn: Connection, limit: int = 500) -> list[dict[str, Any]]:
    o = alert_outbox.c
    return [dict(r) for r in conn.execute(
        select(o.id, o.subscription_id.label("subscription"), o.channel, o.destination, o.idempotency_key, o.attempts,
               o.last_error, o.created_at).where(o.state == "dead").order_by(o.id).limit(limit)).mappings()]


def replay(conn: Connection, ids: list[int] | None = None) -> int:
    """Send dead letters again (all of them, or those named), with their own idempotency keys."""
    o = alert_outbox.c
    q = update(alert_outbox).where(o.state == "dead")
    if ids:
        q = q.where(o.id.in_(ids))
    return int(conn.execute(q.values(state="pending", attempts=0, next_at=utcnow(), relayed_at=None,
                                     claimed_at=None)).rowcount)


def start_in_process(settings: Settings, pace: Pace = Pace()) -> tuple[Worker, threading.Event, threading.Thread]:
    """The embedded worker on a daemon thread (stop it by setting the event)."""
    w = Worker(settings, pace=pace)
    stop = threading.Event()
    t = threading.Thread(target=w.run, args=(stop,), name="leds-alerts-worker", daemon=True)
    t.start()
    return w, stop, t
