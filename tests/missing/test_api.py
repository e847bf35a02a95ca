"""The register over HTTP (API and pages) and the command line, on SQLite: the report form and
later versions as updategrams, protocols shown at once, unidentified people matched with
explanations, refusals, statistics as SVG and CSV."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from leds.access import identity
from leds.app import create_app
from leds.config import Settings
from leds.db.engine import get_engine

from ..callers import api_client
from ..conftest import env_for
from ..factories import load, mps_records, wyp_records
from .helpers import ago, episode, send, wyp

P2 = "WYP|NICHE-RMS|person|P-2"
MISSING_SCOPES = ["view_missing", "manage_missing", "check"]
PASSWORD = "a web password long enough"
WHY = {"purpose": "missing_person_enquiry"}


@pytest.fixture
def sq(sqlite_settings: Settings) -> Settings:
    load(sqlite_settings, wyp_records() + mps_records())
    return sqlite_settings


def _coordinator(settings: Settings, force: str = "WYP") -> tuple[TestClient, dict[str, str]]:
    return api_client(settings, role="missing_persons_coordinator", force=force, scopes=MISSING_SCOPES)


def _report(client: TestClient, auth: dict[str, str], **over: Any) -> Any:
    body = {"person": P2, "reported_at": ago(hours=3), "last_seen": {"at": ago(hours=5), "place": "school gates"},
            "risk": "medium", "vulnerabilities": ["child"], "circumstances": "did not come home from school",
            "contact": "WYP MISPER team 0113 000 0000", "purpose": "missing_person_enquiry", **over}
    return client.post("/api/v1/missing/episodes", headers=auth, json=body)


def test_the_report_form_sends_an_episode_and_shows_the_persons_protocol_at_once(sq: Settings) -> None:
    client, auth = _coordinator(sq)
    r = client.post("/api/v1/missing/protocols", headers=auth, json={
        "kind": "philomena", "person": P2, "consent": "care home manager, with the local authority",
        "expires_on": "2099-01-01", "likely_places": ["Leeds bus station"], "contacts": ["care home 0113 111"], **WHY})
    assert r.status_code == 400 and "at most 3 years" in r.text
    r = client.post("/api/v1/missing/protocols", headers=auth, json={
        "kind": "philomena", "person": P2, "consent": "care home manager, with the local authority",
        "expires_on": ago(days=-365)[:10], "likely_places": ["Leeds bus station"], **WHY})
    assert r.status_code == 201, r.text
    r = _report(client, auth)
    assert r.status_code == 201, r.text
    out = r.json()
    eid = out["episode_id"]
    assert eid.startswith("WYP|LEDS-MISSING|missing_episode|MISP-")
    assert [p["kind"] for p in out["protocols"]] == ["philomena"]
    assert out["protocols"][0]["details"]["likely_places"] == ["Leeds bus station"]
    live = client.get("/api/v1/missing/episodes", headers=auth, params={"purpose": "missing_person_enquiry"}).json()
    assert [e["episode_id"] for e in live["episodes"]] == [eid] and live["episodes"][0]["protocols"] == 1
    r = client.post(f"/api/v1/missing/episodes/{eid}/versions", headers=auth,
                    json={"risk": "high", "rationale": "phone off since 18:00", **WHY})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/missing/episodes/{eid}/versions", headers=auth,
                    json={"found": {"at": ago(hours=1), "place": "Leeds bus station"}, "rationale": "found safe", **WHY})
    assert r.status_code == 201, r.text
    d = client.get(f"/api/v1/missing/episodes/{eid}", headers=auth, params={"purpose": "missing_person_enquiry"}).json()
    assert [(h["status"], h["risk"], h["rationale"]) for h in d["history"]] == [
        ("missing", "medium", None), ("missing", "high", "phone off since 18:00"), ("found", "high", "found safe")]
    assert all(h["recorded_by"] == "user:missing-persons-coordinator-wyp" for h in d["history"])
    assert d["protocols"] and d["timers"]["return_interview"]["overdue"] is False
    live = client.get("/api/v1/missing/episodes", headers=auth, params={"purpose": "missing_person_enquiry"}).json()
    assert live["episodes"] == []


@pytest.mark.parametrize(("over", "status", "says"), [
    ({"last_seen": {"at": ago(hours=1)}}, 400, "LAST_SEEN_AFTER_REPORTED"),
    ({"reported_at": "2099-01-01T00:00:00Z"}, 422, "in the future"),
    ({"purpose": None}, 422, "purpose"),
    ({"risk": "severe"}, 422, "risk"),
    ({"person": "WYP|NICHE-RMS|person|NOBODY"}, 404, "no such person"),
])
def test_a_bad_report_gets_a_clear_error_and_nothing_is_recorded(sq: Settings, over: dict[str, Any], status: int,
                                                                 says: str) -> None:
    client, auth = _coordinator(sq)
    r = _report(client, auth, **over)
    assert r.status_code == status and says in r.text, r.text
    live = client.get("/api/v1/missing/episodes", headers=auth, params={"purpose": "missing_person_enquiry"}).json()
    assert live["total"] == 0


def test_only_the_keeping_system_changes_a_force_systems_episode(sq: Settings) -> None:
    send(sq, [wyp(100, episode("MIS-1", "P-2"))])
    client, auth = _coordinator(sq)
    r = client.post("/api/v1/missing/episodes/WYP|NICHE-RMS|missing_episode|MIS-1/versions", headers=auth,
                    json={"risk": "high", "rationale": "x", **WHY})
    assert r.status_code == 409 and "NICHE-RMS" in r.text
    officer, auth = api_client(sq, role="frontline_officer", force="GMP", scopes=MISSING_SCOPES)
    assert _report(officer, auth).status_code == 403
    r = officer.get("/api/v1/missing/episodes", headers=auth, params={"purpose": "missing_person_enquiry"})
    assert r.status_code == 200 and r.json()["episodes"][0]["redacted"] == ["circumstances", "vulnerabilities"]
    assert officer.get("/api/v1/missing/episodes", headers=auth).status_code == 400  # no reason given


def test_an_unidentified_person_is_matched_with_explanations_and_a_wrong_last_seen_date_tolerated(sq: Settings) -> None:
    # Mary Jones, born 2010, reported missing; her last-seen date was entered a week late.
    send(sq, [wyp(100, episode("MIS-1", "P-2", reported=ago(days=2), seen=ago(days=3)))])
    client, auth = _coordinator(sq)
    r = client.post("/api/v1/missing/unidentified", headers=auth, json={
        "kind": "living", "found_at": ago(days=9), "place": "Euston station", "sex": "F", "age_min": 13, "age_max": 17,
        **WHY})
    assert r.status_code == 201, r.text
    out = r.json()
    assert [c["episode"]["episode_id"] for c in out["candidates"]] == ["WYP|NICHE-RMS|missing_episode|MIS-1"]
    why = {w["field"]: w for w in out["candidates"][0]["explanation"]}
    assert why["sex"]["weight"] > 0 and why["age"]["weight"] > 0
    assert why["dates"]["weight"] < 0 and "may be wrong" in why["dates"]["why"]
    again = client.get(f"/api/v1/missing/unidentified/{out['id']}", headers=auth,
                       params={"purpose": "missing_person_enquiry"}).json()
    assert again["candidates"] == out["candidates"]  # candidates only: nothing was merged or changed
    r = client.post("/api/v1/missing/unidentified", headers=auth, json={
        "kind": "remains", "found_at": ago(days=1), "sex": "M", "age_min": 60, "age_max": 70, **WHY})
    assert r.json()["candidates"] == []


def _web(settings: Settings, username: str, role: str, force: str = "WYP") -> tuple[TestClient, str]:
    identity.create_user(get_engine(settings), username, roles=[role], force=force, vetting="SC", password=PASSWORD)
    c = TestClient(create_app(settings))
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/sign-in").text).group(1)  # type: ignore[union-attr]
    c.post("/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"})
    return c, re.search(r'name="csrf_token" value="([^"]+)"', c.get("/").text).group(1)  # type: ignore[union-attr]


def test_pages_show_the_live_view_the_statistics_as_svg_and_csv_and_refuse_other_roles(sq: Settings) -> None:
    send(sq, [wyp(100, episode("MIS-1", "P-2", risk="high")),
              wyp(101, episode("MIS-2", "P-2", status="found", reported=ago(days=3), seen=ago(days=3, hours=1),
                               found={"at": ago(days=2)}))])
    c, csrf = _web(sq, "coord", "missing_persons_coordinator")
    page = c.get("/missing")
    assert page.status_code == 200 and "Mary Jones" in page.text and "Repeat (2)" in page.text
    assert 'id="count-live">1<' in page.text and "Missing persons" in c.get("/").text
    detail = c.get("/missing/episodes/WYP|NICHE-RMS|missing_episode|MIS-1")
    assert detail.status_code == 200 and "did not return home" in detail.text
    stats = c.get("/missing/stats")
    assert stats.status_code == 200 and stats.text.count('class="govuk-grid-row app-missing-chart"') == 5 and 'id="total-people">1<' in stats.text
    csv = c.get("/missing/stats.csv")
    assert csv.headers["content-type"].startswith("text/csv") and "totals,,episodes,2" in csv.text
    r = c.post("/missing/report", data={"csrf_token": csrf, "person": P2, "reported_at": ago(hours=1),
                                        "last_seen_at": ago(minutes=10), "risk": "low"})
    assert r.status_code == 400 and "last_seen_after_reported" in r.text.lower()
    r = c.post("/missing/report", data={"csrf_token": csrf, "person": P2, "reported_at": ago(hours=1), "risk": "low"})
    assert r.status_code == 200 and "Reported missing" in r.text
    officer, _ = _web(sq, "officer", "frontline_officer", "GMP")
    page = officer.get("/missing/episodes/WYP|NICHE-RMS|missing_episode|MIS-1")
    assert page.status_code == 200 and "did not return home" not in page.text and "Not shown to your role" in page.text
    person = officer.get(f"/person/{P2}", params={"change_reason": ""})
    if 'id="missing-banner"' not in person.text:  # asked for a reason first: give one
        token = re.search(r'name="csrf_token" value="([^"]+)"', person.text).group(1)  # type: ignore[union-attr]
        person = officer.get(f"/person/{P2}", params={"purpose": "incident_response", "csrf_token": token})
    assert 'id="missing-banner"' in person.text and "Reported missing by WYP" in person.text
    manager, _ = _web(sq, "manager", "offender_manager")
    assert manager.get("/missing").status_code == 403


def test_cli_prints_live_episodes_and_statistics_as_json(sq: Settings) -> None:
    send(sq, [wyp(100, episode("MIS-1", "P-2")),
              wyp(101, episode("MIS-2", "P-2", status="closed", reported=ago(days=3), seen=ago(days=3, hours=1)))])
    from leds.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["missing", "live", "--json"], env=env_for(sq))
    assert r.exit_code == 0, r.output
    assert [e["episode_id"] for e in json.loads(r.stdout)["episodes"]] == ["WYP|NICHE-RMS|missing_episode|MIS-1"]
    r = runner.invoke(app, ["missing", "stats", "--json"], env=env_for(sq))
    s = json.loads(r.stdout)
    assert (s["episodes"], s["live"], s["people"], s["found"]) == (2, 1, 1, 0)
    r = runner.invoke(app, ["missing", "live", "--risk", "severe"], env=env_for(sq))
    assert r.exit_code == 2
