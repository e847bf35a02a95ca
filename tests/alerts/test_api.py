"""The alerts API: subscriptions, the inbox and the live stream, with the one error body."""

from __future__ import annotations

from leds.config import Settings

from ..callers import api_client
from ..factories import P1, load
from .test_evaluation import marker_on

SCOPES = ["manage_alerts", "check", "view_person", "view_record"]


def test_subscribe_list_read_the_inbox_and_cancel_over_the_api(store: Settings) -> None:
    client, auth = api_client(store, "investigator", scopes=SCOPES)
    r = client.post("/api/v1/alerts/subscriptions", headers=auth,
                    json={"person_id": P1, "purpose": "investigation", "reason": "op alpha"})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert [s["id"] for s in client.get("/api/v1/alerts/subscriptions", headers=auth).json()["subscriptions"]] == [sid]
    load(store, [marker_on("P-1", "M-NEW", "WE")])
    body = client.get("/api/v1/alerts/inbox?seen=true", headers=auth).json()
    assert [(a["subscription"], a["person_id"], a["kind"]) for a in body["alerts"]] == [(sid, P1, "change")]
    assert {"id", "subscription", "person_id", "kind", "at"} <= set(body["alerts"][0])
    assert client.get("/api/v1/alerts/inbox", headers=auth).json()["unread"] == 0  # marked seen
    assert client.delete(f"/api/v1/alerts/subscriptions/{sid}", headers=auth).status_code == 204
    assert client.delete(f"/api/v1/alerts/subscriptions/{sid}", headers=auth).status_code == 404
    assert client.get("/api/v1/alerts/subscriptions", headers=auth).json()["subscriptions"] == []


def test_bad_subscriptions_are_refused_over_the_api(sqlite_store: Settings) -> None:
    client, auth = api_client(sqlite_store, "investigator", scopes=SCOPES)
    bad = [
        ({"person_id": P1, "purpose": "investigation"}, 422),  # no reason
        ({"person_id": "NP-NOBODY", "purpose": "investigation", "reason": "op"}, 404),
        ({"vrm": "ZZ99ZZZ", "purpose": "investigation", "reason": "op"}, 404),
        ({"rule": {"type": "marker", "marker": "QQ"}, "purpose": "investigation", "reason": "op"}, 422),
        ({"rule": {"type": "event", "when": "now"}, "purpose": "investigation", "reason": "op"}, 422),
        ({"person_id": P1, "purpose": "investigation", "reason": "op", "expires": "2001-01-01"}, 409),
        ({"person_id": P1, "purpose": "investigation", "reason": "op", "webhook_url": "http://example.org/x"}, 422),
        ({"person_id": P1, "purpose": "investigation", "reason": "   "}, 422),
        ({"person_id": P1, "vrm": "AB12CDE", "purpose": "investigation", "reason": "op"}, 422),
    ]
    for body, status in bad:
        r = client.post("/api/v1/alerts/subscriptions", headers=auth, json=body)
        assert r.status_code == status, (body, r.text)
        assert "detail" in r.json()
    assert client.get("/api/v1/alerts/subscriptions", headers=auth).json()["subscriptions"] == []
    other, other_auth = api_client(sqlite_store, "investigator", scopes=["check"])
    assert other.get("/api/v1/alerts/subscriptions", headers=other_auth).status_code == 403


def test_the_stream_sends_new_alerts_as_server_sent_events(sqlite_store: Settings) -> None:
    client, auth = api_client(sqlite_store, "investigator", scopes=SCOPES)
    client.post("/api/v1/alerts/subscriptions", headers=auth,
                json={"person_id": P1, "purpose": "investigation", "reason": "op alpha"})
    load(sqlite_store, [marker_on("P-1", "M-NEW", "WE")])
    r = client.get("/api/v1/alerts/stream?after=0&timeout=0.5", headers=auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert "event: alert" in r.text and "WYP|NICHE-RMS|marker|M-NEW" in r.text
    assert "event: unread\ndata: 1" in r.text


def test_the_stream_reads_an_alert_its_reader_may_not_see_once_and_shows_nothing(sqlite_store: Settings) -> None:
    from sqlalchemy import func, select

    from leds.access import identity
    from leds.audit import close_writers
    from leds.audit.tables import audit_entries
    from leds.db.engine import get_engine

    client, auth = api_client(sqlite_store, "investigator", scopes=SCOPES)
    client.post("/api/v1/alerts/subscriptions", headers=auth,
                json={"person_id": P1, "purpose": "investigation", "reason": "op alpha"})
    load(sqlite_store, [marker_on("P-1", "M-NEW", "WE")])
    identity.grant(get_engine(sqlite_store), "investigator-wyp", datasets=["nominal"], revoke=True)
    r = client.get("/api/v1/alerts/stream?after=0&timeout=1.5", headers=auth)
    assert "event: alert" not in r.text and "event: unread\ndata: 0" in r.text
    close_writers()
    with get_engine(sqlite_store).connect() as conn:
        reads = conn.execute(select(func.count()).select_from(audit_entries)
                             .where(audit_entries.c.kind == "alert inbox")).scalar_one()
    assert reads == 1  # six turns of the stream, one read of the hidden entry
