"""Investigative interest: the officer holding a watch is told when another user looks the
person up; the person looking sees exactly what they would have seen without it."""

from __future__ import annotations

from typing import Any

from leds.access.lookup import Lookup
from leds.alerts.inbox import inbox
from leds.alerts.models import SubscriptionRequest
from leds.alerts.subscriptions import subscribe
from leds.alerts.watches import follow
from leds.audit import get_writer
from leds.checks.models import PersonQuery
from leds.checks.service import person_check
from leds.config import Settings
from leds.db.engine import get_engine
from leds.errors import LedsError

from ..factories import P1
from .conftest import make_user


def _check(settings: Settings, lk: Lookup) -> dict[str, Any]:
    real = Lookup(lk.principal, "incident_response", None, get_writer(settings).record)
    with get_engine(settings).connect() as conn:
        return person_check(conn, real, PersonQuery(surname="Smith", forename="John", dob="1984-03-07"))


def test_the_watcher_is_told_of_a_look_up_and_the_checker_sees_nothing_different(store: Settings) -> None:
    engine = get_engine(store)
    oic, _ = make_user(store, "oic")
    checker, _ = make_user(store, "pc-1", role="frontline_officer")
    follow(engine)  # the follower starts from now
    before = _check(store, checker)
    with engine.connect() as conn:
        sid = subscribe(conn, oic, SubscriptionRequest(reason="op alpha", person_id=P1, watch=True)).id
    assert follow(engine) == 0  # the subscription's own read of the person is not a look-up by another
    after = _check(store, checker)
    assert after == before  # the checker's answer is exactly what it was
    assert follow(engine) == 1
    with engine.connect() as conn:
        told = inbox(conn, oic)
        assert inbox(conn, checker) == []  # the checker is told nothing
    assert [(a.subscription, a.kind, a.person_id, a.detail["looked_up_by"]) for a in told] == [
        (sid, "lookup", P1, "user:pc-1")]
    _check(store, oic)  # the watcher's own look-up
    with engine.connect() as conn:
        inbox(conn, oic)  # and reading the inbox (a consultation of the person) ...
    assert follow(engine) == 0  # ... tell nobody


def test_only_roles_the_rule_table_allows_may_hold_a_watch(sqlite_store: Settings) -> None:
    from leds.access.rules import ROLES

    om, _ = make_user(sqlite_store, "om", role="offender_manager")
    assert "watch_lookups" not in ROLES["offender_manager"]["actions"]  # type: ignore[operator]
    assert "watch_lookups" in ROLES["investigator"]["actions"]  # type: ignore[operator]
    try:
        with get_engine(sqlite_store).connect() as conn:
            subscribe(conn, om, SubscriptionRequest(reason="op alpha", person_id=P1, watch=True))
    except LedsError as exc:
        assert exc.status_code == 403
    else:
        raise AssertionError("an offender manager was allowed a watch")
