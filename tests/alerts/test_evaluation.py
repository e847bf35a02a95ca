"""Subscriptions and their evaluation in the ingest transaction: what raises an alert, for
whom, and what never does."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from leds.alerts.inbox import inbox, unread
from leds.alerts.models import SubscriptionRequest
from leds.alerts.service import notify
from leds.alerts.subscriptions import cancel, subscribe, webhook_allowed
from leds.alerts.tables import alert_inbox, alert_keys, alert_subscriptions
from leds.config import Settings
from leds.db.engine import get_engine, write_transaction
from leds.errors import LedsError
from leds.matching.tables import person_ids

from ..factories import P1, P2, P9, john, load, rec, rec_link, ug
from .conftest import make_user

SEQ = iter(range(1000, 100_000))


def change(rtype: str, ref: str, data: dict[str, Any], *, force: str = "WYP", source: str = "NICHE-RMS",
           dataset: str = "nominal", handling: str = "OFFICIAL-SENSITIVE") -> dict[str, Any]:
    return ug(next(SEQ), rec(rtype, ref, data, dataset, handling), force=force, source=source)


def marker_on(person_ref: str, ref: str, code: str = "VI", handling: str = "OFFICIAL-SENSITIVE",
              force: str = "WYP", source: str = "NICHE-RMS") -> dict[str, Any]:
    return change("marker", ref, {"subject": {"type": "person", "ref": person_ref}, "code": code, "detail": "x"},
                  handling=handling, force=force, source=source)


def sub(settings: Settings, lk: Any, **body: Any) -> int:
    with get_engine(settings).connect() as conn:
        return subscribe(conn, lk, SubscriptionRequest(reason="op alpha", **body)).id


def alerts_of(settings: Settings, lk: Any) -> list[Any]:
    with get_engine(settings).connect() as conn:
        return inbox(conn, lk, limit=200)


def test_a_person_subscription_has_its_alert_as_soon_as_ingest_returns(store: Settings) -> None:
    lk, _ = make_user(store, "oic")
    sid = sub(store, lk, person_id=P1)
    assert alerts_of(store, lk) == []
    load(store, [marker_on("P-1", "M-NEW", "WE")])
    got = alerts_of(store, lk)
    assert [(a.subscription, a.person_id, a.kind, a.rkey) for a in got] == [
        (sid, P1, "change", "WYP|NICHE-RMS|marker|M-NEW")]
    assert got[0].record is not None and got[0].record["data"]["code"] == "WE"
    with get_engine(store).connect() as conn:
        assert unread(conn, lk.principal) == 1


def test_changes_one_hop_away_reach_the_person_subscription(sqlite_store: Settings) -> None:
    lk, _ = make_user(sqlite_store, "oic")
    sub(sqlite_store, lk, person_id=P1)
    # The arrest event already linked to P-1 (K-6) is updated: the person hears of it.
    load(sqlite_store, [change("event", "E-4", {"kind": "arrest", "occurred_at": "2024-05-01T10:00:00Z",
                                         "description": "charged"}, dataset="custody")])
    assert [a.rkey for a in alerts_of(sqlite_store, lk)] == ["WYP|NICHE-RMS|event|E-4"]


def test_bad_subscriptions_get_a_4xx_and_create_nothing(sqlite_store: Settings) -> None:
    lk, _ = make_user(sqlite_store, "oic")
    low, _ = make_user(sqlite_store, "low-vetting", vetting="NPPV1")  # sees OFFICIAL only: not P-1
    control, _ = make_user(sqlite_store, "controller", role="control_room")
    yesterday = date.today() - timedelta(days=2)
    cases: list[tuple[Any, dict[str, Any], int]] = [
        (lk, {"person_id": "NP-DOESNOTEXIST"}, 404),
        (lk, {"vrm": "ZZ99ZZZ"}, 404),
        (lk, {"person_id": P1, "expires": yesterday}, 409),  # against today's date
        (low, {"person_id": P1}, 404),  # a person the user may not see: as if there were none
        (control, {"person_id": P1}, 403),  # no role that allows alerts
        (lk.__class__(lk.principal, "investigation", "  ", lk.audit), {"person_id": P1}, 400),  # no reason
    ]
    for who, body, status in cases:
        with pytest.raises(LedsError) as refused, get_engine(sqlite_store).connect() as conn:
            subscribe(conn, who, SubscriptionRequest(reason="op alpha", **body))
        assert refused.value.status_code == status, (body, refused.value)
    for bad in ({"type": "marker", "marker": "ZZ"}, {"type": "event", "colour": "red"}, {"type": "spaceship"},
                {"type": "person", "event_kind": "arrest"}, {"type": "location", "districts": ["not a district"]}):
        with pytest.raises(ValueError):
            SubscriptionRequest(reason="op", rule=bad)
    with pytest.raises(ValueError):
        SubscriptionRequest(reason="op")  # nothing to subscribe to
    for url in ("http://example.org/hook", "ftp://127.0.0.1/hook", "https://", "http://127.0.0.1.example.org/x"):
        with pytest.raises(ValueError):
            SubscriptionRequest(reason="op", person_id=P1, webhook_url=url)
        assert not webhook_allowed(url)
    for url in ("https://hooks.example.org/leds", "http://127.0.0.1:8080/hook", "http://localhost/x"):
        assert SubscriptionRequest(reason="op", person_id=P1, webhook_url=url).webhook_url == url
        assert webhook_allowed(url)
    with get_engine(sqlite_store).connect() as conn:
        assert conn.execute(select(alert_subscriptions)).first() is None
        assert conn.execute(select(alert_keys)).first() is None


def test_a_change_the_subscriber_may_not_see_raises_nothing(store: Settings) -> None:
    lk, _ = make_user(store, "oic", vetting="NPPV2")  # up to OFFICIAL-SENSITIVE
    sub(store, lk, person_id=P1)
    load(store, [marker_on("P-1", "M-SECRET", "FI", handling="SECRET")])
    assert alerts_of(store, lk) == []
    with get_engine(store).connect() as conn:
        assert conn.execute(select(alert_inbox)).first() is None  # not even "something changed"
    load(store, [marker_on("P-1", "M-SEEN", "WE")])
    assert [a.rkey for a in alerts_of(store, lk)] == ["WYP|NICHE-RMS|marker|M-SEEN"]


def test_an_alert_is_hidden_and_uncounted_once_the_reader_may_no_longer_see_the_record(sqlite_store: Settings) -> None:
    from leds.access import identity

    lk, _ = make_user(sqlite_store, "oic")
    sub(sqlite_store, lk, person_id=P1)
    load(sqlite_store, [marker_on("P-1", "M-NEW", "WE")])
    assert len(alerts_of(sqlite_store, lk)) == 1
    identity.grant(get_engine(sqlite_store), "oic", datasets=["nominal"], revoke=True)
    lk2, _ = make_user(sqlite_store, "oic")
    assert alerts_of(sqlite_store, lk2) == []
    with get_engine(sqlite_store).connect() as conn:
        assert unread(conn, lk2.principal) == 0


def test_an_expired_or_cancelled_subscription_raises_nothing(sqlite_store: Settings) -> None:
    lk, _ = make_user(sqlite_store, "oic")
    expired = sub(sqlite_store, lk, person_id=P1)
    cancelled = sub(sqlite_store, lk, person_id=P1)
    with get_engine(sqlite_store).begin() as conn:
        conn.execute(update(alert_subscriptions).where(alert_subscriptions.c.id == expired)
                     .values(expires_on=(date.today() - timedelta(days=1)).isoformat()))
    with get_engine(sqlite_store).connect() as conn:
        cancel(conn, lk, cancelled)
    load(sqlite_store, [marker_on("P-1", "M-NEW", "WE")])
    assert alerts_of(sqlite_store, lk) == []


def _assign(settings: Settings, ids: dict[str, str]) -> None:
    with get_engine(settings).begin() as conn:
        for rkey, pid in ids.items():
            found = conn.execute(update(person_ids).where(person_ids.c.rkey == rkey).values(person_id=pid)).rowcount
            if not found:
                conn.execute(insert(person_ids).values(rkey=rkey, person_id=pid, features="{}", assigned_by="batch",
                                                       assigned_at="2026-01-01T00:00:00Z", model_version=None))


def test_a_person_subscription_follows_merges_and_splits(store: Settings) -> None:
    lk, _ = make_user(store, "oic")
    _assign(store, {P1: "NP-A", P9: "NP-B"})
    sid = sub(store, lk, person_id="NP-A")
    # A record that joins NP-A after the subscription is followed (through the id) ...
    load(store, [change("person", "P-7", john("P-7")["data"], force="WYP")])
    _assign(store, {"WYP|NICHE-RMS|person|P-7": "NP-A"})
    load(store, [change("person", "P-7", {**john("P-7")["data"], "height_cm": 181})])
    # ... NP-A is merged into NP-B: a change to NP-B's other record reaches the subscriber ...
    _assign(store, {P1: "NP-B", "WYP|NICHE-RMS|person|P-7": "NP-B"})
    load(store, [marker_on("P-9", "M-9", "WE", force="MPS", source="CONNECT")])
    # ... then split three ways: every record it followed still reaches it, under its own id.
    _assign(store, {P1: "NP-C", P9: "NP-D", "WYP|NICHE-RMS|person|P-7": "NP-E"})
    load(store, [marker_on("P-1", "M-10", "DR"), marker_on("P-9", "M-11", "DR", force="MPS", source="CONNECT"),
                 change("person", "P-7", {**john("P-7")["data"], "height_cm": 182})])
    got = [(a.person_id, a.rkey) for a in reversed(alerts_of(store, lk))]
    assert got == [("NP-A", "WYP|NICHE-RMS|person|P-7"), ("NP-B", "MPS|CONNECT|marker|M-9"),
                   ("NP-C", "WYP|NICHE-RMS|marker|M-10"), ("NP-D", "MPS|CONNECT|marker|M-11"),
                   ("NP-E", "WYP|NICHE-RMS|person|P-7")]
    assert all(a.subscription == sid for a in alerts_of(store, lk))


def test_a_vehicle_subscription_hears_of_the_vehicle_and_what_links_to_it(sqlite_store: Settings) -> None:
    lk, _ = make_user(sqlite_store, "oic")
    sub(sqlite_store, lk, vrm="ab12 cde")
    load(sqlite_store, [change("vehicle", "V-1", {"vrm": "AB12 CDE", "make": "Ford", "model": "Focus", "colour": "Red"},
                        dataset="vehicle", handling="OFFICIAL"),
                 change("link", "K-99", {"from": {"type": "person", "ref": "P-2"}, "to": {"type": "vehicle",
                                         "ref": "V-1"}, "role": "driver"}, dataset="vehicle", handling="OFFICIAL")])
    assert sorted(a.rkey for a in alerts_of(sqlite_store, lk)) == ["WYP|NICHE-RMS|link|K-99", "WYP|NICHE-RMS|vehicle|V-1"]


def test_rules_match_by_their_keys_and_filters(store: Settings) -> None:
    lk, _ = make_user(store, "om")
    firearms = sub(store, lk, rule={"type": "marker", "marker": "FI", "forces": ["WYP"]})
    found = sub(store, lk, rule={"type": "event", "event_kind": "found"})
    moved = sub(store, lk, rule={"type": "link", "link_role": "resides_at", "marker": "DR", "districts": ["LS6"]})
    load(store, [
        marker_on("P-2", "M-20", "FI"),  # matches firearms
        marker_on("P-9", "M-21", "FI", force="MPS", source="CONNECT"),  # another force: no
        change("event", "E-20", {"kind": "found", "occurred_at": "2025-03-03T10:00:00Z"}, dataset="missing"),
        change("location", "L-20", {"address": {"lines": ["2 Otley Rd"], "town": "Leeds", "postcode": "LS6 3AA"}},
               handling="OFFICIAL"),
        # P-1 (marker DR) moves to LS6: matches; P-2 (no DR marker) moves to LS6: no
        ug(next(SEQ), rec_link("K-20", ("person", "P-1"), ("location", "L-20"), "resides_at")),
        ug(next(SEQ), rec_link("K-21", ("person", "P-2"), ("location", "L-20"), "resides_at")),
        # P-1 moves to LS1 (L-1): not in the districts
        ug(next(SEQ), rec_link("K-22", ("person", "P-1"), ("location", "L-1"), "resides_at")),
    ])
    got = {(a.subscription, a.rkey) for a in alerts_of(store, lk)}
    assert got == {(firearms, "WYP|NICHE-RMS|marker|M-20"), (found, "WYP|NICHE-RMS|event|E-20"),
                   (moved, "WYP|NICHE-RMS|link|K-20")}


def test_a_saved_search_hears_of_a_new_person_who_matches_it(sqlite_store: Settings) -> None:
    lk, _ = make_user(sqlite_store, "analyst")
    sid = sub(sqlite_store, lk, search={"surname": "Jones", "forename": "Ma", "dob": "2010-01-01"})
    load(sqlite_store, [change("person", "P-30", {"names": [{"given": ["Maria"], "family": "JONES", "kind": "primary"}],
                                           "birth_dates": ["2010-01-01"], "sex": "F"}),
                 change("person", "P-31", {"names": [{"given": ["Tom"], "family": "Jones", "kind": "primary"}],
                                           "birth_dates": ["2010-01-01"], "sex": "M"})])
    assert [(a.subscription, a.rkey) for a in alerts_of(sqlite_store, lk)] == [(sid, "WYP|NICHE-RMS|person|P-30")]


def test_a_throttled_subscription_folds_the_rest_of_its_minute_into_one_digest(store: Settings) -> None:
    lk, _ = make_user(store, "oic")
    sid = sub(store, lk, person_id=P1, max_per_minute=2)
    load(store, [marker_on("P-1", f"M-T{i}", "WE") for i in range(7)])
    got = alerts_of(store, lk)
    assert sorted(a.kind for a in got) == ["change", "change", "digest"]
    digest = next(a for a in got if a.kind == "digest")
    assert digest.subscription == sid and digest.detail["folded"] == 5 and len(digest.detail["items"]) == 5


def test_a_team_subscription_reaches_every_member_of_the_team_in_the_force(sqlite_store: Settings) -> None:
    owner, _ = make_user(sqlite_store, "om-1", role="offender_manager")
    colleague, _ = make_user(sqlite_store, "om-2", role="offender_manager")
    elsewhere, _ = make_user(sqlite_store, "om-3", role="offender_manager", force="MPS")
    sub(sqlite_store, owner, person_id=P1, team="offender_manager")
    load(sqlite_store, [marker_on("P-1", "M-NEW", "WE")])
    assert len(alerts_of(sqlite_store, owner)) == len(alerts_of(sqlite_store, colleague)) == 1
    assert alerts_of(sqlite_store, elsewhere) == []


def test_notify_writes_in_the_callers_transaction_for_users_and_teams(sqlite_store: Settings) -> None:
    coord, _ = make_user(sqlite_store, "coord", role="missing_persons_coordinator")
    other, _ = make_user(sqlite_store, "coord-mps", role="missing_persons_coordinator", force="MPS")
    engine = get_engine(sqlite_store)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        notify(conn, kind="missing_found", person_id=P1, rkey="WYP|NICHE-RMS|event|E-5", detail={"n": 1},
               role="missing_persons_coordinator", force="WYP")
        raise RuntimeError("the caller's change failed")
    assert alerts_of(sqlite_store, coord) == []  # rolled back with the caller's transaction
    with engine.begin() as conn:
        ids = notify(conn, kind="missing_found", person_id=P1, rkey="WYP|NICHE-RMS|event|E-5", detail={"n": 1},
                     role="missing_persons_coordinator", force="WYP", key="found:E-5",
                     purpose="missing_person_enquiry")
        assert notify(conn, kind="missing_found", person_id=P1, rkey="WYP|NICHE-RMS|event|E-5", detail={"n": 1},
                      role="missing_persons_coordinator", force="WYP", key="found:E-5") == []  # a repeat
    got = alerts_of(sqlite_store, coord)
    assert [(a.id, a.kind, a.record["rkey"] if a.record else None) for a in got] == [
        (ids[0], "missing_found", "WYP|NICHE-RMS|event|E-5")]
    assert alerts_of(sqlite_store, other) == []


def test_a_rebuild_replays_the_log_without_raising_alerts_again(sqlite_store: Settings) -> None:
    from leds.records.state import rebuild

    lk, _ = make_user(sqlite_store, "oic")
    sub(sqlite_store, lk, person_id=P1)
    load(sqlite_store, [marker_on("P-1", "M-NEW", "WE")])
    sub(sqlite_store, lk, person_id=P1)  # made after the change: must not hear of it
    rebuild(get_engine(sqlite_store))
    assert len(alerts_of(sqlite_store, lk)) == 1


def test_a_merge_or_split_made_by_matching_is_news_to_the_persons_subscribers(store: Settings) -> None:
    """Batch matching, a judgement or an erasure's re-resolution log identity events through
    matching.store.log_events; a person's subscribers hear of a merge or a split at once, in
    the same transaction, once per event and subscription, with no record named."""
    from leds.matching import store as matching_store
    from leds.matching.clusters import IdentityEvent

    lk, _ = make_user(store, "oic")
    other, _ = make_user(store, "oic2")
    _assign(store, {P1: "NP-A", P9: "NP-B", P2: "NP-Z"})
    sid = sub(store, lk, person_id="NP-A")
    sub(store, other, person_id="NP-Z")  # not concerned: hears nothing
    with get_engine(store).connect() as conn, write_transaction(conn):
        matching_store.log_events(conn, [IdentityEvent("merge", ["NP-B", "NP-A"], [P1, P9]),
                                         IdentityEvent("new", ["NP-Q"], ["x"])], "judgement 7 (same) by DS: why",
                                  judgement_id=7)
    got = alerts_of(store, lk)
    assert [(a.subscription, a.kind, a.person_id, a.rkey) for a in got] == [(sid, "merge", "NP-A", None)]
    assert got[0].detail["person_ids"] == ["NP-B", "NP-A"] and got[0].detail["by"] == "judgement"
    assert "why" not in str(got[0].detail)  # the judge's free text is not disclosed
    _assign(store, {P1: "NP-B"})
    with get_engine(store).connect() as conn, write_transaction(conn):  # a later split, found through the records it followed
        matching_store.log_events(conn, [IdentityEvent("split", ["NP-B", "NP-C"], [P9])], "batch run 3", run_id=3)
    got = alerts_of(store, lk)
    assert [(a.kind, a.detail["by"]) for a in got] == [("split", "batch"), ("merge", "judgement")]
    assert alerts_of(store, other) == []
