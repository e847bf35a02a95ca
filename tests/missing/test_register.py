"""The register's promises, on SQLite and PostgreSQL: one person across forces, found closes
one episode only, encounters on checks, re-grading keeps history, timers, bad input, the
sensitive detail kept to the roles that need it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from leds.alerts.tables import alert_inbox
from leds.checks.models import PersonQuery
from leds.checks.service import person_check
from leds.config import Settings
from leds.db.engine import get_engine, write_transaction
from leds.errors import BadRequest
from leds.matching.tables import person_ids
from leds.missing import service, stats, timers
from leds.missing.models import LiveFilters
from leds.missing.tables import missing_sightings

from ..callers import lookup
from ..factories import P1, P9, load, wyp_records
from .helpers import ago, episode, mps, send, wyp

E1 = "WYP|NICHE-RMS|missing_episode|MIS-1"
E2 = "WYP|NICHE-RMS|missing_episode|MIS-2"
E9 = "MPS|CONNECT|missing_episode|MIS-9"


def _live(settings: Settings, role: str = "missing_persons_coordinator", user_force: str = "WYP",
          **filters: Any) -> dict[str, Any]:
    lk, _ = lookup(role, user_force, purpose="missing_person_enquiry")
    with get_engine(settings).connect() as conn:
        return service.live(conn, lk, LiveFilters(**filters))


def _episode(settings: Settings, eid: str, role: str = "missing_persons_coordinator") -> dict[str, Any]:
    lk, _ = lookup(role, purpose="missing_person_enquiry")
    with get_engine(settings).connect() as conn:
        return service.episode(conn, lk, eid)


def test_one_person_missing_repeatedly_across_two_forces_is_one_person_with_several_episodes(store: Settings) -> None:
    with get_engine(store).connect() as conn, write_transaction(conn):
        # The matcher's outcome (as a judgement "same" would leave it): one national person id for both records.
        conn.execute(person_ids.insert(), [{"rkey": k, "person_id": "NP-0000000042", "features": "{}",
                                             "assigned_by": "judgement", "assigned_at": ago(hours=1)} for k in (P1, P9)])
    s = send(store, [wyp(100, episode("MIS-1", "P-1", status="found", reported=ago(days=30), seen=ago(days=31),
                                      found={"at": ago(days=29)})),
                     mps(100, episode("MIS-9", "P-9"))])
    assert s.accepted == 2, s.as_dict()
    live = _live(store)
    assert [e["episode_id"] for e in live["episodes"]] == [E9]
    e = live["episodes"][0]
    assert e["person_id"] == "NP-0000000042" and e["repeat"] and e["episodes_of_person"] == 2
    assert live["headline"]["repeat"] == 1
    detail = _episode(store, E9)
    assert [o["episode_id"] for o in detail["other_episodes"]] == [E1]
    lk, _ = lookup("missing_persons_coordinator", purpose="missing_person_enquiry")
    with get_engine(store).connect() as conn:
        st = stats.stats(conn, lk)
    assert (st["episodes"], st["people"], st["live"], st["found"], st["repeat_people"]) == (2, 1, 1, 1, 1)


def test_found_episode_leaves_the_live_view_keeps_its_history_and_never_closes_another(store: Settings) -> None:
    send(store, [wyp(100, episode("MIS-1", "P-2", reported=ago(hours=10), seen=ago(hours=11))),
                 wyp(101, episode("MIS-2", "P-2", reported=ago(hours=3), seen=ago(hours=4)))])
    assert {e["episode_id"] for e in _live(store)["episodes"]} == {E1, E2}
    send(store, [wyp(102, episode("MIS-1", "P-2", status="found", reported=ago(hours=10), seen=ago(hours=11),
                                  found={"at": ago(hours=1), "place": "Euston station", "force": "BTP"},
                                  recorded_by="PS 123 Khan", rationale="found safe and well"))])
    assert [e["episode_id"] for e in _live(store)["episodes"]] == [E2]
    d = _episode(store, E1)
    assert d["episode"]["status"] == "found" and d["episode"]["found_at"]
    assert [(h["status"], h["rationale"]) for h in d["history"]] == [("missing", None), ("found", "found safe and well")]
    with get_engine(store).connect() as conn:
        told = conn.execute(select(alert_inbox.c.kind, alert_inbox.c.team, alert_inbox.c.force, alert_inbox.c.rkey)
                            ).all()
    assert ("missing_found", "missing_persons_coordinator", "WYP", E1) in told


def test_an_older_version_arriving_late_does_not_reopen_a_found_episode(store: Settings) -> None:
    send(store, [wyp(105, episode("MIS-1", "P-2", status="found", reported=ago(hours=10), seen=ago(hours=11),
                                  found={"at": ago(hours=1)}))])
    send(store, [wyp(100, episode("MIS-1", "P-2", reported=ago(hours=10), seen=ago(hours=11)))])
    assert _live(store)["episodes"] == []
    assert [h["sequence"] for h in _episode(store, E1)["history"]] == [105, 100] or \
        sorted(h["sequence"] for h in _episode(store, E1)["history"]) == [100, 105]


def test_a_check_by_a_third_force_shows_missing_and_tells_the_reporting_force(store: Settings) -> None:
    send(store, [wyp(100, episode("MIS-1", "P-2", risk="high", vulnerabilities=["child"]))])
    lk, _ = lookup("frontline_officer", "GMP")
    with get_engine(store).connect() as conn:
        out = person_check(conn, lk, PersonQuery(surname="Jones", forename="Mary", dob="2010-01-01"))
    with get_engine(store).connect() as conn:  # a new snapshot: the sighting was written on its own connection
        sightings = conn.execute(select(missing_sightings.c.episode, missing_sightings.c.force)).all()
        told = conn.execute(select(alert_inbox.c.kind, alert_inbox.c.team, alert_inbox.c.force)).all()
    assert [(m["episode_id"], m["risk"], m["reporting_force"]) for m in out["missing"]] == [(E1, "high", "WYP")]
    assert out["missing"][0]["contact"] and out["missing"][0]["hours_missing"] >= 4
    assert sightings == [(E1, "GMP")]
    assert ("missing_sighting", "missing_persons_coordinator", "WYP") in told
    # The reporting force's own check shows MISSING too, but it is no sighting.
    lk, _ = lookup("frontline_officer", "WYP")
    with get_engine(store).connect() as conn:
        assert person_check(conn, lk, PersonQuery(surname="Jones", dob="2010-01-01"))["missing"]
    with get_engine(store).connect() as conn:
        assert len(conn.execute(select(missing_sightings.c.id)).all()) == 1


def test_a_person_check_of_someone_not_missing_carries_an_empty_missing_list(store: Settings) -> None:
    lk, _ = lookup()
    with get_engine(store).connect() as conn:
        out = person_check(conn, lk, PersonQuery(surname="Smith", forename="John", dob="1984-03-07"))
    assert out["missing"] == []


def test_regrading_keeps_every_version_with_who_when_and_why(store: Settings) -> None:
    t0, t1 = ago(hours=6), ago(hours=7)
    send(store, [wyp(100, episode("MIS-1", "P-2", risk="low", reported=t0, seen=t1, recorded_by="PC 1",
                                  rationale="known to stay with a friend")),
                 wyp(101, episode("MIS-1", "P-2", risk="high", reported=t0, seen=t1, recorded_by="Insp 7",
                                  rationale="phone switched off; friend has not seen her"))])
    d = _episode(store, E1)
    assert [(h["risk"], h["recorded_by"], h["rationale"]) for h in d["history"]] == [
        ("low", "PC 1", "known to stay with a friend"),
        ("high", "Insp 7", "phone switched off; friend has not seen her")]
    assert d["episode"]["risk"] == "high" and all(h["issued_at"] for h in d["history"])


def test_an_overdue_return_home_interview_is_flagged(store: Settings) -> None:
    send(store, [wyp(100, episode("MIS-1", "P-2", status="found", reported=ago(days=5), seen=ago(days=5, hours=2),
                                  found={"at": ago(days=4)})),
                 wyp(101, episode("MIS-2", "P-2", status="found", reported=ago(days=9), seen=ago(days=9, hours=2),
                                  found={"at": ago(days=8)}, return_interview={"at": ago(days=7)}))])
    d = _episode(store, E1)
    assert d["episode"]["child"] and d["timers"]["return_interview"]["overdue"]
    assert _episode(store, E2)["timers"]["return_interview"]["on_time"]
    lk, _ = lookup("missing_persons_coordinator", purpose="missing_person_enquiry")
    with get_engine(store).connect() as conn:
        items = timers.overdue(conn, lk)
        st = stats.stats(conn, lk)
    for _ in range(2):  # told twice: the same key, no second alert
        with get_engine(store).connect() as conn, write_transaction(conn):
            assert timers.alert_overdue(conn) == 1
    with get_engine(store).connect() as conn:
        told = conn.execute(select(alert_inbox.c.kind).where(alert_inbox.c.kind == "missing_overdue")).all()
    assert [(o["episode_id"], o["kind"]) for o in items] == [(E1, "return_interview")]
    assert st["return_interviews"] == {"due": 2, "on_time": 1, "late": 0, "not_held": 1, "on_time_rate": 0.5}
    assert len(told) == 1


def test_an_overdue_risk_review_is_flagged(store: Settings) -> None:
    doc = wyp(100, episode("MIS-1", "P-2", risk="high", reported=ago(hours=5)))
    doc["issued_at"] = ago(hours=5)  # the last review: 5 hours ago, and high risk is reviewed every 2 hours
    send(store, [doc])
    live = _live(store)
    assert live["episodes"][0]["review_overdue"] and live["headline"]["reviews_overdue"] == 1


@pytest.mark.parametrize(("what", "change", "reason"), [
    ("found before reported", {"status": "found", "found": {"at": "2025-03-01T10:00:00Z"}}, "FOUND_BEFORE_REPORTED"),
    ("last seen after reported", {"last_seen": {"at": "2025-03-03T10:00:00Z"}}, "LAST_SEEN_AFTER_REPORTED"),
    ("a time in the future", {"reported_at": "2099-01-01T00:00:00Z"}, "FUTURE_DATE"),
    ("unknown risk", {"risk": "severe"}, "INVALID_CODE"),
    ("unknown status", {"status": "lost"}, "INVALID_CODE"),
    ("found without found.at", {"status": "found"}, "FOUND_WITHOUT_TIME"),
])
def test_bad_episodes_are_quarantined_with_their_reason(sqlite_settings: Settings, what: str, change: dict[str, Any],
                                                        reason: str) -> None:
    doc = wyp(1, episode("MIS-1", "P-2", reported="2025-03-02T21:40:00Z", seen="2025-03-02T18:00:00Z"))
    doc["record"]["data"].update(change)
    s = send(sqlite_settings, [doc])
    assert s.quarantined == 1 and reason in s.by_reason, (what, s.as_dict())


def test_an_episode_whose_person_has_not_arrived_is_parked_then_completed(sqlite_settings: Settings) -> None:
    send(sqlite_settings, [wyp(1, episode("MIS-1", "P-77"))])
    e = _live(sqlite_settings)["episodes"][0]
    assert e["subject_received"] is False and e["age"] is None
    from ..factories import person

    send(sqlite_settings, [wyp(2, person("P-77", family="Late", given="Anna", dob="2012-05-05"))])
    e = _live(sqlite_settings)["episodes"][0]
    assert e["subject_received"] is True and e["name"] == "Anna Late" and e["child"] and 10 <= e["age"] <= 18


def test_sensitive_detail_only_for_the_roles_that_need_it(store: Settings) -> None:
    send(store, [wyp(100, episode("MIS-1", "P-2", vulnerabilities=["dementia"]))])
    officer = _live(store, "frontline_officer", user_force="GMP")["episodes"][0]
    assert "circumstances" not in officer["data"] and "vulnerabilities" not in officer["data"]
    assert set(officer["redacted"]) == {"circumstances", "vulnerabilities"}
    coordinator = _live(store)["episodes"][0]
    assert coordinator["data"]["circumstances"] == "did not return home" and coordinator["redacted"] == []
    assert _live(store, vulnerability="dementia")["total"] == 1
    with pytest.raises(BadRequest):
        _live(store, "frontline_officer", user_force="GMP", vulnerability="dementia")
    lk, _ = lookup("offender_manager")
    with get_engine(store).connect() as conn, pytest.raises(Exception, match="view_missing"):
        service.live(conn, lk, LiveFilters())


def test_the_live_view_filters_by_force_risk_age_and_time_missing(store: Settings) -> None:
    send(store, [wyp(100, episode("MIS-1", "P-2", risk="high", reported=ago(hours=80), seen=ago(hours=81))),
                 mps(100, episode("MIS-9", "P-9", risk="low"))])
    assert [e["episode_id"] for e in _live(store, force="MPS")["episodes"]] == [E9]
    assert [e["episode_id"] for e in _live(store, risk="high")["episodes"]] == [E1]
    assert [e["episode_id"] for e in _live(store, age_band="12-17")["episodes"]] == [E1]
    assert [e["episode_id"] for e in _live(store, min_hours=72)["episodes"]] == [E1]
    assert [e["episode_id"] for e in _live(store, max_hours=72)["episodes"]] == [E9]
    h = _live(store)["headline"]
    assert (h["live"], h["high"], h["low"], h["children"], h["over_72_hours"]) == (2, 1, 1, 1, 1)


def test_a_rebuild_from_the_log_gives_the_same_register(sqlite_settings: Settings) -> None:
    from leds.records.state import rebuild, state_digest

    load(sqlite_settings, wyp_records())
    send(sqlite_settings, [wyp(100, episode("MIS-1", "P-2", risk="low")),
                           wyp(101, episode("MIS-1", "P-2", risk="high")),
                           wyp(102, episode("MIS-2", "P-77")),
                           wyp(103, episode("MIS-3", "P-2", status="found", reported=ago(days=3),
                                            seen=ago(days=3, hours=1), found={"at": ago(days=2)}))])
    engine = get_engine(sqlite_settings)
    before = state_digest(engine)
    rebuild(engine)
    assert state_digest(engine) == before
    assert _live(sqlite_settings)["total"] == 2


def test_subscribers_to_a_person_are_told_when_their_episode_is_found(store: Settings) -> None:
    from leds.access import identity
    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.alerts import inbox, subscriptions
    from leds.alerts.models import SubscriptionRequest

    send(store, [wyp(100, episode("MIS-1", "P-2", reported=ago(hours=10), seen=ago(hours=11)))])
    user = identity.create_user(get_engine(store), "det-1", roles=["investigator"], force="WYP", vetting="SC",
                                password="a long enough password")
    lk = Lookup(Principal.from_user(user), "investigation", "case 42", lambda e: 0)
    with get_engine(store).connect() as conn:
        subscriptions.subscribe(conn, lk, SubscriptionRequest(person_id="WYP|NICHE-RMS|person|P-2",
                                                              purpose="investigation", reason="case 42"))
    send(store, [wyp(101, episode("MIS-1", "P-2", status="found", reported=ago(hours=10), seen=ago(hours=11),
                                  found={"at": ago(hours=1)}))])
    with get_engine(store).connect() as conn:
        told = inbox.inbox(conn, lk)
    assert any(a.rkey == E1 for a in told), told
