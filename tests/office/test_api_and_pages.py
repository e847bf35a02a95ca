"""The office's API (routes, scopes, roles, the published schemas, bad input answered 400/422)
and its pages (the catalogue, the dashboard, an assessment and a request with its duplicate
warning), over HTTP."""

from __future__ import annotations

import re

from leds.config import Settings

from ..callers import api_client
from ..quality.test_pages import signed_in
from .test_maturity import FW, ROUNDS, _answers

OFFICE_SCOPES = ["view_office", "assess_maturity", "request_commissioning", "decide_commissioning",
                 "manage_benefits"]


def test_api_rounds_dashboard_requests_benefits_and_objectives(settings: Settings) -> None:
    client, auth = api_client(settings, "national_data_office_analyst", "WYP", scopes=OFFICE_SCOPES)
    with client:
        schema = client.get("/api/v1/maturity/schemas/assessment", headers=auth).json()
        assert schema["additionalProperties"] is False and "answers" in schema["properties"]
        assert client.get("/api/v1/maturity/schemas/framework", headers=auth).status_code == 200
        fws = {f["id"] for f in client.get("/api/v1/maturity/frameworks", headers=auth).json()["frameworks"]}
        assert fws == {"force-data-strategy", "cddo-dma"}
        for force, rounds in ROUNDS.items():
            for label, levels in rounds.items():
                r = client.post("/api/v1/maturity/rounds", headers=auth, json={
                    "framework": FW, "force": force, "label": label, "answers": _answers(levels), "submit": True})
                assert r.status_code == 200, r.text
        d = client.get("/api/v1/maturity/dashboard", params={"framework": FW}, headers=auth).json()
        assert d["national"]["topics"]["processes"] == 2.67 and d["change"]["forces_with_two_rounds"] == 3
        bad = client.post("/api/v1/maturity/rounds", headers=auth, json={
            "framework": FW, "force": "WYP", "label": "2026", "answers": [{"question": "people-quality", "level": 3}]})
        assert bad.status_code == 422 and "without evidence" in bad.text
        bad = client.post("/api/v1/maturity/rounds", headers=auth, json={
            "framework": FW, "force": "WYP", "label": "2026", "answers": [
                {"question": "people-quality", "level": 7, "evidence": "x"}]})
        assert bad.status_code == 409 and "outside" in bad.json()["detail"]["message"]
        body = {"title": "Stop and search disproportionality dashboard", "portfolio": "NPCC", "priority": "high",
                "problem": "A national dashboard of stop and search rates by ethnicity for every force.",
                "evidence": "HMICFRS disproportionality inspection"}
        first = client.post("/api/v1/commissioning/requests", headers=auth, json=body)
        assert first.status_code == 201, first.text
        sim = client.post("/api/v1/commissioning/similar", headers=auth, json={
            "title": "Dashboard of stop and search disproportionality",
            "problem": "National dashboard of stop and search rates by ethnicity across all forces."}).json()
        assert sim["similar"][0]["id"] == first.json()["ref"] and sim["similar"][0]["likely_duplicate"]
        rid = first.json()["id"]
        bad = client.post(f"/api/v1/commissioning/requests/{rid}/scores", headers=auth, json={
            "scores": [{"criterion": "feasibility", "score": 9, "rationale": "easy"}]})
        assert bad.status_code == 422 and "less than or equal to 5" in bad.text
        bad = client.post("/api/v1/benefits", headers=auth, json={
            "ref": "BEN_009", "title": "t", "rationale": "r", "owner": "o", "category": "quantitative",
            "measure": "m", "unit": "u", "target": 5, "stage": "Year 1"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "baseline"]
        report = client.get("/api/v1/objectives/report", params={"quarter": "2026-Q1"}, headers=auth).json()
        assert report["quarter"] == "2026-Q1" and report["summary"]["objectives"] == 0
    officer, auth2 = api_client(settings, "frontline_officer", "WYP", scopes=["check", *OFFICE_SCOPES])
    with officer:
        assert officer.get("/api/v1/maturity/dashboard", headers=auth2).status_code == 403
        r = officer.post(f"/api/v1/commissioning/requests/{rid}/decision", headers=auth2,
                         json={"decision": "approved", "category": "P1", "note": "mine now"})
        assert r.status_code == 403
    dm, auth3 = api_client(settings, "force_data_manager", "MPS", scopes=["view_office"])
    with dm:  # the role may assess, but the token was not given the scope
        r = dm.post("/api/v1/maturity/rounds", headers=auth3, json={"framework": FW, "force": "MPS", "label": "x"})
        assert r.status_code == 403 and "scopes" in r.json()["detail"]


def test_pages_catalogue_assessment_dashboard_and_duplicate_warning(sqlite_settings: Settings) -> None:
    c = signed_in(sqlite_settings, "dm", "force_data_manager", "WYP")
    home = c.get("/office")
    assert home.status_code == 200 and "Coming soon" in home.text and "Data maturity assessments" in home.text
    assert 'href="/office"' in home.text  # the menu entry
    page = c.get("/office/maturity/assess", params={"framework": FW, "label": "2025"})
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf, "framework": FW, "force": "WYP", "label": "2025", "action": "submit"}
    for a in _answers(ROUNDS["WYP"]["2025"]):
        form[f"level-{a['question']}"] = str(a["level"])
        form[f"evidence-{a['question']}"] = str(a["evidence"])
    missing = {**form, "evidence-people-quality": ""}
    r = c.post("/office/maturity/assess", data=missing, follow_redirects=False)
    assert r.status_code == 400 and "without evidence" in r.text
    r = c.post("/office/maturity/assess", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    d = c.get("/office/maturity", params={"framework": FW, "force": "WYP"})
    assert d.status_code == 200 and "1 forces have submitted" in d.text
    assert re.search(r"Our platforms: safe and secure data systems</th>\s*<td[^>]*><strong[^>]*>2.00</strong>",
                     d.text)
    new = c.get("/office/commissioning/new")
    body = {"csrf_token": csrf, "title": "Stop and search disproportionality dashboard", "portfolio": "NPCC",
            "problem": "A national dashboard of stop and search rates by ethnicity for every force.",
            "priority": "high", "evidence": "HMICFRS inspection"}
    assert new.status_code == 200
    r = c.post("/office/commissioning/new", data={**body, "action": "check"})
    assert r.status_code == 200 and "duplicate-warning" not in r.text and 'name="checked"' in r.text
    r = c.post("/office/commissioning/new", data={**body, "action": "submit", "checked": "1"}, follow_redirects=False)
    assert r.status_code == 303
    r = c.post("/office/commissioning/new", data={**body, "title": "Dashboard: stop & search disproportionality",
                                                  "action": "check"})
    assert "duplicate-warning" in r.text and "REQ-0001" in r.text
    assert c.get("/office/benefits").status_code == 200
    assert c.get("/office/objectives").status_code == 200
    officer = signed_in(sqlite_settings, "fo", "frontline_officer", "WYP")
    assert officer.get("/office/maturity").status_code == 403


def test_the_assessor_scores_and_decides_on_the_request_page(sqlite_settings: Settings) -> None:
    from leds.db.engine import get_engine
    from leds.office import benefits, commissioning, objectives
    from leds.office.models import RequestIn

    from ..callers import principal

    office = principal("national_data_office_analyst", "WYP")
    with get_engine(sqlite_settings).begin() as conn:
        rid = commissioning.submit(conn, principal("force_data_manager", "MPS"), RequestIn(
            title="Repeat victims indicator", problem="Repeat domestic abuse victims within a year, by force.",
            portfolio="VAWG", priority="medium", evidence="Board decision"))["id"]
        benefits.seed_examples(conn, office)
        objectives.seed_examples(conn, office)
    c = signed_in(sqlite_settings, "analyst", "national_data_office_analyst", "WYP")
    page = c.get(f"/office/commissioning/{rid}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf, "action": "score"}
    for crit in ("strategic_alignment", "capability", "stakeholder_engagement", "feasibility", "cost"):
        form[f"score-{crit}"] = "3"
        form[f"rationale-{crit}"] = f"{crit}: fair"
    bad = c.post(f"/office/commissioning/{rid}", data={**form, "rationale-cost": ""})
    assert bad.status_code == 400 and "rationale" in bad.text
    assert c.post(f"/office/commissioning/{rid}", data=form, follow_redirects=False).status_code == 303
    page = c.get(f"/office/commissioning/{rid}").text
    assert "15" in re.search(r'id="total">([^<]*)<', page).group(1)  # type: ignore[union-attr]
    decided = c.post(f"/office/commissioning/{rid}", data={"csrf_token": csrf, "action": "decide",
                                                           "decision": "approved", "category": "P3",
                                                           "note": "Approved for the next quarter"})
    assert decided.status_code == 200 and "approved · category P3" in decided.text
    assert "Approved for the next quarter (category P3)" in decided.text
    b = c.get("/office/benefits").text
    assert "BEN_001: Increased scale of data sharing" in b and "computed by leds" in b
    assert c.post("/office/benefits/refresh", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert "87.5" in c.get("/office/benefits").text  # 7 of 8 key services in the catalogue
    o = c.get("/office/objectives").text
    assert "2 out of 4 objectives report little or no overall risk" in o
    md = c.get("/office/objectives/report.md")
    assert md.headers["content-type"].startswith("text/markdown") and "## 2. Delivery plan risk assessment" in md.text
