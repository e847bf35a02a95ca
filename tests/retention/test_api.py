"""The retention API: the queue, decisions, requests, holds and erasure, for the roles the rule
table names."""

from __future__ import annotations

from leds.config import Settings

from ..callers import api_client
from ..factories import load
from .people import ERASED_PERSON, quixleberry_docs

SCOPES = ["review_retention", "manage_rights", "view_record"]


def test_a_data_protection_officer_reviews_handles_requests_and_erases(settings: Settings) -> None:
    load(settings, quixleberry_docs())
    client, auth = api_client(settings, role="data_protection_officer", scopes=SCOPES)
    assert client.get("/api/v1/retention/rules", headers=auth).json()["rules"][0]["group"] == "1"
    q = client.get("/api/v1/retention/queue?purpose=data_protection&limit=5", headers=auth)
    assert q.status_code == 200 and q.json()["scheduled"] == 10
    bad = client.post("/api/v1/retention/reviews", headers=auth,
                      json={"rkey": ERASED_PERSON, "decision": "dispose", "reason": " "})
    assert bad.status_code == 422
    ok = client.post("/api/v1/retention/reviews", headers=auth,
                     json={"rkey": ERASED_PERSON, "decision": "retain", "reason": "open investigation"})
    assert ok.status_code == 200 and ok.json()["next_review"]
    req = client.post("/api/v1/retention/requests", headers=auth,
                      json={"kind": "erasure", "person_id": ERASED_PERSON, "detail": "please erase my data"})
    assert req.status_code == 201 and req.json()["status"] == "open" and not req.json()["overdue"]
    hold = client.post("/api/v1/retention/holds", headers=auth,
                       json={"rkey": "WYP|RMS-R|event|EV-Q", "authority": "Op Nettle", "reason": "evidence"})
    assert hold.status_code == 201
    held = client.post("/api/v1/retention/erasures", headers=auth,
                       json={"person": ERASED_PERSON, "reason": "s47", "authority": "REQ-1"})
    assert held.status_code == 409
    unknown = client.post("/api/v1/retention/erasures", headers=auth,
                          json={"record": "WYP|RMS-R|event|NONE", "reason": "s47", "authority": "REQ-1"})
    assert unknown.status_code == 404
    one = client.post("/api/v1/retention/erasures", headers=auth,
                      json={"record": "WYP|RMS-R|location|A-Q", "reason": "s47", "authority": "REQ-1"})
    assert one.status_code == 201 and one.json()["records"] == ["WYP|RMS-R|location|A-Q"]
    assert one.json()["signature"]


def test_roles_without_the_actions_are_refused(settings: Settings) -> None:
    load(settings, quixleberry_docs())
    client, auth = api_client(settings, role="investigator", scopes=SCOPES)
    assert client.get("/api/v1/retention/queue?purpose=data_protection", headers=auth).status_code == 403
    assert client.post("/api/v1/retention/reviews", headers=auth, json={
        "rkey": ERASED_PERSON, "decision": "dispose", "reason": "x"}).status_code == 403
    assert client.post("/api/v1/retention/erasures", headers=auth, json={
        "person": ERASED_PERSON, "reason": "x", "authority": "y"}).status_code == 403
    fdm, fauth = api_client(settings, role="force_data_manager", scopes=SCOPES)
    assert fdm.get("/api/v1/retention/queue?purpose=data_protection", headers=fauth).status_code == 200
    assert fdm.get("/api/v1/retention/requests?purpose=data_protection", headers=fauth).status_code == 403
