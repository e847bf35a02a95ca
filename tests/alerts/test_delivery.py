"""Delivery on the external channels: signed webhooks, e-mail over a real SMTP server,
retries with back-off, the dead-letter list and its replay, access at delivery time, and
each delivery audited as a disclosure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from leds.alerts.channels import webhook_secret
from leds.alerts.models import SubscriptionRequest
from leds.alerts.subscriptions import subscribe
from leds.alerts.tables import alert_outbox
from leds.alerts.worker import Pace, Worker, dead_letters, replay
from leds.audit import close_writers
from leds.audit.tables import audit_entries
from leds.config import Settings
from leds.db.engine import get_engine

from ..factories import P1, load
from .conftest import Receiver, make_user, verify_signature
from .test_evaluation import marker_on

FAST = Pace(base_s=0.01, max_s=0.05, max_attempts=3, lease_s=0.5, relay_s=0.5, poll_s=0.02)


def _sub(settings: Settings, user: str = "oic", vetting: str = "SC", **body: Any) -> int:
    lk, _ = make_user(settings, user, vetting=vetting)
    with get_engine(settings).connect() as conn:
        return subscribe(conn, lk, SubscriptionRequest(reason="op alpha", person_id=P1, **body)).id


def _drain(settings: Settings, worker: Worker, rounds: int = 50) -> None:
    import time

    for _ in range(rounds):
        worker.run_once()
        with get_engine(settings).connect() as conn:
            left = conn.execute(select(alert_outbox.c.id).where(alert_outbox.c.state.in_(("pending", "sending")))
                                ).first()
        if left is None:
            return
        time.sleep(0.03)


def test_a_webhook_is_signed_and_carries_its_idempotency_key(store: Settings, receiver: Receiver) -> None:
    from ..callers import api_client

    client, auth = api_client(store, "investigator", scopes=["manage_alerts"])
    made = client.post("/api/v1/alerts/subscriptions", headers=auth, json={
        "person_id": P1, "purpose": "investigation", "reason": "op alpha", "webhook_url": receiver.url}).json()
    sid, secret = made["id"], made["webhook_secret"]
    assert secret == webhook_secret(store, sid)
    assert client.get("/api/v1/alerts/subscriptions", headers=auth).json()["subscriptions"][0]["webhook_secret"] is None
    load(store, [marker_on("P-1", "M-NEW", "WE")])
    w = Worker(store, pace=FAST)
    _drain(store, w)
    assert len(receiver.got) == 1
    got = receiver.got[0]
    assert verify_signature(secret, got)
    assert not verify_signature("another secret", got)
    assert got["key"] == got["body"]["idempotency_key"]
    assert got["key"].startswith(f"s:{sid}:WYP|NICHE-RMS|") and got["key"].endswith(":webhook")
    assert got["body"]["alert"]["record"]["data"]["code"] == "WE"
    close_writers()
    with get_engine(store).connect() as conn:
        disclosed = conn.execute(select(audit_entries.c.partner, audit_entries.c.kind)
                                 .where(audit_entries.c.action == "disclosure")).all()
    assert [tuple(d) for d in disclosed] == [(receiver.url, "alert delivery")]


def test_a_failing_receiver_is_retried_with_back_off_then_dead_lettered_and_replayed(
        sqlite_store: Settings, receiver: Receiver) -> None:
    settings = sqlite_store
    _sub(settings, webhook_url=receiver.url)
    load(settings, [marker_on("P-1", "M-NEW", "WE")])
    receiver.fail_first = 2
    w = Worker(settings, pace=FAST)
    _drain(settings, w)
    assert len(receiver.got) == 1 and w.counts == {"retry": 2, "delivered": 1}
    receiver.fail_first = 10
    load(settings, [marker_on("P-1", "M-NEW-2", "WE")])
    _drain(settings, w)
    with get_engine(settings).connect() as conn:
        dead = dead_letters(conn)
    assert [d["attempts"] for d in dead] == [3] and "500" in dead[0]["last_error"]
    receiver.fail_first = 0
    with get_engine(settings).begin() as conn:
        assert replay(conn) == 1
    _drain(settings, w)
    assert len(receiver.got) == 2 and receiver.got[1]["key"] == dead[0]["idempotency_key"]


def test_email_goes_over_smtp_with_its_idempotency_key(sqlite_store: Settings, smtp: tuple[str, list[Any]]) -> None:
    url, got = smtp
    settings = sqlite_store.model_copy(update={"smtp_url": url})
    _sub(settings, email="oic@wyp.example")
    load(settings, [marker_on("P-1", "M-NEW", "WE")])
    _drain(settings, Worker(settings, pace=FAST))
    assert len(got) == 1
    msg = got[0]
    assert msg["To"] == "oic@wyp.example" and msg["X-Leds-Idempotency-Key"].endswith(":email")
    assert "M-NEW" in msg.get_payload()


def test_nothing_is_sent_when_access_was_withdrawn_before_delivery(sqlite_store: Settings, receiver: Receiver) -> None:
    from leds.access import identity

    settings = sqlite_store
    _sub(settings, webhook_url=receiver.url)
    load(settings, [marker_on("P-1", "M-NEW", "WE")])
    identity.set_disabled(get_engine(settings), "oic", True)
    _drain(settings, Worker(settings, pace=FAST))
    assert receiver.got == []
    with get_engine(settings).connect() as conn:
        assert conn.execute(select(alert_outbox.c.state)).scalars().all() == ["withheld"]


def test_a_throttled_subscription_sends_one_digest_when_its_minute_ends(sqlite_store: Settings,
                                                                       receiver: Receiver) -> None:
    settings = sqlite_store
    _sub(settings, webhook_url=receiver.url, max_per_minute=2)
    load(settings, [marker_on("P-1", f"M-T{i}", "WE") for i in range(6)])
    w = Worker(settings, pace=FAST)
    _drain(settings, w, rounds=3)
    assert len(receiver.got) == 2  # the digest waits for the end of the minute
    with get_engine(settings).begin() as conn:  # ... which this test does not wait for
        conn.execute(update(alert_outbox).where(alert_outbox.c.state == "pending")
                     .values(next_at="2000-01-01T00:00:00.000000Z"))
    _drain(settings, w)
    kinds = [g["body"]["alert"]["kind"] for g in receiver.got]
    assert kinds == ["change", "change", "digest"]
    assert receiver.got[2]["body"]["alert"]["detail"]["folded"] == 4


def test_an_idle_embedded_worker_skips_its_queries_until_something_is_committed(
        sqlite_store: Settings, receiver: Receiver) -> None:
    """SQLite: the worker reads PRAGMA data_version between turns; a commit by anyone (here an
    ingest that raises an alert) wakes it at the next poll, and an idle interval still runs a
    turn now and then (retries falling due)."""
    import threading

    settings = sqlite_store
    _sub(settings, webhook_url=receiver.url)
    w = Worker(settings, pace=Pace(idle_s=60.0, base_s=60.0, poll_s=0.01))
    assert not w._unchanged()  # the first look always runs a turn
    w.run_once()  # which commits (the watch follower's cursor starts)
    assert not w._unchanged()
    w.run_once()  # which commits nothing
    assert w._unchanged() and w._unchanged()  # nothing committed since: no turn
    load(settings, [marker_on("P-1", "M-NEW", "WE")])
    assert not w._unchanged()  # the ingest's commit wakes it
    w.run_once()
    assert len(receiver.got) == 1
    stop = threading.Event()
    t = threading.Thread(target=w.run, args=(stop,))
    t.start()  # the loop itself: a second alert arrives while it polls
    load(settings, [marker_on("P-1", "M-NEWER", "FI")])
    import time

    for _ in range(300):
        if len(receiver.got) == 2:
            break
        time.sleep(0.01)
    stop.set()
    t.join()
    assert len(receiver.got) == 2
    w2 = Worker(settings, pace=Pace(idle_s=0.0, base_s=60.0))
    w2._unchanged()
    assert not w2._unchanged()  # idle_s elapsed: a turn runs even with nothing committed
