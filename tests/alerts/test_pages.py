"""The alerts pages: the count on every page, the inbox page, subscribing to a vehicle, a
rule or a saved search from it, and cancelling."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from leds.access import identity
from leds.app import create_app
from leds.config import Settings
from leds.db.engine import get_engine

from ..factories import load
from ..web.test_web import csrf_of, sign_in
from .test_evaluation import change, marker_on

PASSWORD = "alerts pages password long enough"


def test_subscribe_from_the_alerts_page_see_the_count_and_cancel(sqlite_store: Settings) -> None:
    identity.create_user(get_engine(sqlite_store), "om-web", roles=["investigator"], force="WYP", vetting="SC",
                         password=PASSWORD)
    c = TestClient(create_app(sqlite_store))
    sign_in(c, "om-web", PASSWORD)
    page = c.get("/alerts")
    csrf = csrf_of(page)
    assert 'id="app-alerts-count">0<' in c.get("/").text  # the count in every page's menu
    for kind, fields in (("vehicle", {"vrm": "ab12cde"}),
                         ("rule", {"spec": '{"type": "event", "event_kind": "found"}'})):
        r = c.post("/alerts/subscribe", data={"csrf_token": csrf, "kind": kind, "reason": "op alpha", **fields},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
    bad = c.post("/alerts/subscribe", data={"csrf_token": csrf, "kind": "rule", "reason": "op alpha",
                                           "spec": '{"type": "event", "event_kind": "party"}'})
    assert bad.status_code == 400 and "not valid" in bad.text
    load(sqlite_store, [change("event", "E-90", {"kind": "found", "occurred_at": "2025-03-03T10:00:00Z"},
                               dataset="missing"), marker_on("P-2", "M-90", "WE")])
    assert 'id="app-alerts-count">1<' in c.get("/").text
    page = c.get("/alerts")
    assert "WYP|NICHE-RMS|event|E-90" in page.text
    assert 'id="app-alerts-count">0<' in c.get("/").text  # seen on the alerts page
    ids = re.findall(r'action="/alerts/subscriptions/(\d+)/cancel"', page.text)
    assert len(ids) == 2
    for i in ids:
        assert c.post(f"/alerts/subscriptions/{i}/cancel", data={"csrf_token": csrf},
                      follow_redirects=False).status_code == 303
    assert "/cancel" not in c.get("/alerts").text
