"""The web forms that keep benefits and delivery tracking: a benefit profile and its
measurements, an objective and its RAG, a risk with its mitigation.  Good input creates (through
the same service functions as the API), bad input gives a GOV.UK error summary with the field
highlighted and the input kept, and creates nothing; a role without manage_benefits sees no form
and its posts are refused."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from leds.config import Settings
from leds.db.engine import get_engine
from leds.office import benefits, objectives
from leds.web.render import CONTROL_MESSAGE

from ..quality.test_pages import signed_in

PROFILE = {"ref": "BEN_001", "title": "Forces onboarded to the national data service",
           "rationale": "Every force sending its data makes the national view complete.",
           "owner": "NDAO (Head of National Data)", "category": "quantitative", "measure": "Forces sending updategrams",
           "unit": "forces", "calculation": "", "baseline": "0", "target": "43", "stage": "Year 1", "rag": "amber",
           "computed": ""}
OBJECTIVE = {"ref": "3.2", "strand": "Enabling access to data", "title": "Publish open data monthly",
             "owner": "Head of Open Data", "rag": "green", "progress": "Two releases so far.",
             "due-day": "31", "due-month": "3", "due-year": "2027"}
RISK = {"description": "Disclosure control is not ready in time.", "likelihood": "4", "impact": "4",
        "mitigation": "Reuse the published statistics' rules.", "owner": "Head of Open Data"}


def _csrf(c: TestClient, path: str = "/office") -> str:
    page = c.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def _summary(page: str) -> list[tuple[str, str]]:
    """The error summary's links: (target, message)."""
    box = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert box, "no error summary on the page"
    return [(h, html.unescape(t).strip()) for h, t in re.findall(r'<a href="#([^"]+)">([^<]*)</a>', box.group(0))]


def _highlighted(page: str, field: str) -> bool:
    """The field is shown in error: its form group (or its input) carries the GOV.UK error class."""
    return bool(re.search(rf'govuk-form-group--error">(?:(?!govuk-form-group").)*?id="{re.escape(field)}"', page,
                          re.S))


def _stored(settings: Settings) -> dict[str, Any]:
    with get_engine(settings).connect() as conn:
        return {"benefits": benefits.list_benefits(conn), "objectives": objectives.list_objectives(conn)}


def test_a_benefit_profile_and_its_measurements_are_kept_through_the_forms(sqlite_settings: Settings) -> None:
    c = signed_in(sqlite_settings, "analyst", "national_data_office_analyst", "WYP")
    home = c.get("/office").text
    assert 'href="/office/benefits/new"' in home and 'href="/office/objectives/new"' in home
    assert 'id="add-benefit"' in c.get("/office/benefits").text
    new = c.get("/office/benefits/new")
    assert new.status_code == 200 and 'value="BEN_001"' in new.text  # the next free reference is suggested
    csrf = _csrf(c)

    no_baseline = {**PROFILE, "baseline": "", "csrf_token": csrf}
    r = c.post("/office/benefits/new", data=no_baseline)
    assert r.status_code == 400
    assert _summary(r.text) == [("baseline", "Enter the baseline: a benefit without a baseline cannot be tracked")]
    assert _highlighted(r.text, "baseline") and not _highlighted(r.text, "target")
    assert 'value="Forces onboarded to the national data service"' in r.text  # the input is kept
    assert 'value="quantitative" checked' in r.text and "Every force sending its data" in r.text

    r = c.post("/office/benefits/new", data={**PROFILE, "baseline": "none yet", "title": "", "csrf_token": csrf})
    assert r.status_code == 400
    assert dict(_summary(r.text)) == {"title": "Enter the title",
                                      "baseline": "The baseline must be a number, like 12 or 0.5"}
    r = c.post("/office/benefits/new", data={**PROFILE, "owner": "NDAO\x00", "csrf_token": csrf})
    assert r.status_code == 400 and _summary(r.text) == [("owner", CONTROL_MESSAGE)] and "\x00" not in r.text
    r = c.post("/office/benefits/new", data={**PROFILE, "ref": "B1", "csrf_token": csrf})
    assert _summary(r.text) == [("ref", "Enter the reference in the form BEN_005")]
    r = c.post("/office/benefits/new", data={**PROFILE, "computed": "happiness", "csrf_token": csrf})
    assert r.status_code == 400  # the service's own rule, as the API gives it
    assert _summary(r.text)[0][0] == "computed" and "No computed measure happiness" in _summary(r.text)[0][1]
    assert _stored(sqlite_settings)["benefits"] == []

    r = c.post("/office/benefits/new", data={**PROFILE, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/office/benefits?done=created&ref=BEN_001")
    listed = c.get(r.headers["location"]).text
    assert "Benefit BEN_001: added." in listed and "BEN_001: Forces onboarded to the national data service" in listed
    (b,) = _stored(sqlite_settings)["benefits"]
    assert (b["baseline"], b["target"], b["owner"], b["rag"], b["computed"]) == (
        0.0, 43.0, "NDAO (Head of National Data)", "amber", None)

    again = c.post("/office/benefits/new", data={**PROFILE, "title": "Something else", "csrf_token": csrf})
    assert again.status_code == 400 and _summary(again.text)[0][0] == "ref" and "already exists" in again.text
    assert _stored(sqlite_settings)["benefits"][0]["title"] == PROFILE["title"]  # not overwritten
    edit = c.get("/office/benefits/BEN_001/edit")
    assert edit.status_code == 200 and 'value="43"' in edit.text
    r = c.post("/office/benefits/BEN_001/edit", data={**PROFILE, "ref": "BEN_999", "rag": "red", "csrf_token": csrf},
               follow_redirects=False)
    assert r.status_code == 303
    assert [(x["ref"], x["rag"]) for x in _stored(sqlite_settings)["benefits"]] == [("BEN_001", "red")]

    page = c.get("/office/benefits/BEN_001/measurements/new")
    assert page.status_code == 200 and 'name="when-year"' in page.text
    bad = {"csrf_token": csrf, "when-day": "31", "when-month": "2", "when-year": "2026", "value": ""}
    r = c.post("/office/benefits/BEN_001/measurements/new", data=bad)
    assert r.status_code == 400
    assert _summary(r.text) == [("when-day", "The date of the measurement must be a real date, like 27 3 1985"),
                                ("value", "Enter the value")]
    r = c.post("/office/benefits/BEN_001/measurements/new", data={**bad, "when-day": "28"})
    assert _summary(r.text) == [("value", "Enter the value")] and 'value="28"' in r.text
    assert _stored(sqlite_settings)["benefits"][0]["measurements"] == []
    r = c.post("/office/benefits/BEN_001/measurements/new", data={**bad, "when-day": "28", "value": "21.5",
                                                                  "note": "From the onboarding tracker"},
               follow_redirects=False)
    assert r.status_code == 303
    (b,) = _stored(sqlite_settings)["benefits"]
    assert b["measurements"] == [{"day": "2026-02-28", "value": 21.5, "source": "manual",
                                  "note": "From the onboarding tracker"}]
    assert b["progress"] == 50.0
    assert c.get("/office/benefits/BEN_404/measurements/new").status_code == 404
    assert c.post("/office/benefits/BEN_404/edit", data={**PROFILE, "csrf_token": csrf}).status_code == 404
    assert [x["ref"] for x in _stored(sqlite_settings)["benefits"]] == ["BEN_001"]  # changing never creates


def test_an_objective_its_rag_and_a_risk_are_kept_through_the_forms(sqlite_settings: Settings) -> None:
    c = signed_in(sqlite_settings, "analyst", "national_data_office_analyst", "WYP")
    assert 'id="add-objective"' in c.get("/office/objectives").text
    assert c.get("/office/objectives/new").status_code == 200
    csrf = _csrf(c)

    r = c.post("/office/objectives/new", data={**OBJECTIVE, "ref": "two", "owner": "", "rag": "",
                                               "due-month": "", "csrf_token": csrf})
    assert r.status_code == 400
    assert _summary(r.text) == [("ref", "Enter the objective number in the form 2.3"), ("owner", "Enter the owner"),
                                ("rag", "Choose the RAG status"), ("due-month", "The due date must include a month")]
    assert _highlighted(r.text, "owner") and 'value="Publish open data monthly"' in r.text
    r = c.post("/office/objectives/new", data={**OBJECTIVE, "rag": "purple", "csrf_token": csrf})
    assert _summary(r.text) == [("rag", "Choose the RAG status from the list")]
    assert _stored(sqlite_settings)["objectives"] == []

    r = c.post("/office/objectives/new", data={**OBJECTIVE, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    (o,) = _stored(sqlite_settings)["objectives"]
    assert (o["ref"], o["strand"], o["owner"], o["rag"], o["due"]) == (
        "3.2", "Enabling access to data", "Head of Open Data", "green", "2027-03-31")
    again = c.post("/office/objectives/new", data={**OBJECTIVE, "csrf_token": csrf})
    assert again.status_code == 400 and "Objective 3.2 already exists" in again.text

    edit = c.get("/office/objectives/3.2/edit")
    assert edit.status_code == 200 and 'value="green" checked' in edit.text and 'value="2027"' in edit.text
    r = c.post("/office/objectives/3.2/edit", data={**OBJECTIVE, "rag": "red", "progress": "Behind: no analyst.",
                                                   "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "Objective 3.2: updated." in page and "0 out of 1 objectives report little or no overall risk" in page

    assert c.get("/office/objectives/3.2/risks/new").status_code == 200
    r = c.post("/office/objectives/3.2/risks/new", data={**RISK, "likelihood": "9", "mitigation": "",
                                                        "csrf_token": csrf})
    assert r.status_code == 400
    assert dict(_summary(r.text)) == {"likelihood": "The likelihood must be at most 5",
                                      "mitigation": "Enter the mitigation"}
    assert "Disclosure control is not ready in time." in r.text
    assert _stored(sqlite_settings)["objectives"][0]["risks"] == []
    r = c.post("/office/objectives/3.2/risks/new", data={**RISK, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    (risk,) = _stored(sqlite_settings)["objectives"][0]["risks"]
    assert (risk["score"], risk["rating"], risk["mitigation"]) == (16, "red", RISK["mitigation"])
    page = c.get("/office/objectives").text
    assert "Disclosure control is not ready in time." in page and "Reuse the published statistics" in page
    assert c.post("/office/objectives/9.9/risks/new", data={**RISK, "csrf_token": csrf}).status_code == 404
    assert c.post("/office/objectives/9.9/edit", data={**OBJECTIVE, "csrf_token": csrf}).status_code == 404
    assert [o["ref"] for o in _stored(sqlite_settings)["objectives"]] == ["3.2"]


FORMS = ["/office/benefits/new", "/office/benefits/BEN_001/edit", "/office/benefits/BEN_001/measurements/new",
         "/office/objectives/new", "/office/objectives/1.1/edit", "/office/objectives/1.1/risks/new"]


def test_only_the_roles_that_manage_benefits_see_the_forms_and_may_post_them(sqlite_settings: Settings) -> None:
    from leds.office.models import BenefitIn, ObjectiveIn

    from ..callers import principal

    office = principal("national_data_office_analyst", "WYP")
    with get_engine(sqlite_settings).begin() as conn:
        benefits.save(conn, office, BenefitIn.model_validate({**PROFILE, "computed": None}))
        objectives.save(conn, office, ObjectiveIn(ref="1.1", strand="Setting up for success", title="Launch the portal",
                                                  owner="Head of Business Partnering", rag="green"))
    before = _stored(sqlite_settings)
    posts: dict[str, dict[str, str]] = {
        FORMS[0]: {**PROFILE, "ref": "BEN_002"}, FORMS[1]: {**PROFILE, "rag": "red"},
        FORMS[2]: {"when-day": "1", "when-month": "4", "when-year": "2026", "value": "40"},
        FORMS[3]: OBJECTIVE, FORMS[4]: {**OBJECTIVE, "ref": "1.1", "rag": "red"}, FORMS[5]: RISK}
    for username, role in (("dm", "force_data_manager"), ("fo", "frontline_officer")):
        c = signed_in(sqlite_settings, username, role, "WYP")
        if role == "force_data_manager":  # may view the portal, not keep benefits
            home = c.get("/office").text
            assert 'href="/office/benefits/new"' not in home and 'href="/office/objectives/new"' not in home
            assert 'href="/office/commissioning/new"' in home  # the forms its role does have
            for page, marks in (("/office/benefits", ("add-benefit", "/measurements/new", "/edit", 'id="refresh"')),
                                ("/office/objectives", ("add-objective", "/risks/new", "/edit"))):
                text = c.get(page).text
                assert "BEN_001" in text or "1.1" in text
                assert not [m for m in marks if m in text], page
        csrf = _csrf(c, "/")
        for path in FORMS:
            assert c.get(path).status_code == 403, path
            r = c.post(path, data={**posts[path], "csrf_token": csrf}, follow_redirects=False)
            assert r.status_code == 403, (role, path)
            assert "manage_benefits" in r.text or "Your role" in r.text
    analyst = signed_in(sqlite_settings, "analyst", "national_data_office_analyst", "WYP")
    for path in FORMS:  # a form not sent from our own page
        assert analyst.post(path, data={**posts[path], "csrf_token": "forged"}).status_code == 403, path
    assert _stored(sqlite_settings) == before
    for path in FORMS:  # and the same posts from the data office do write
        r = analyst.post(path, data={**posts[path], "csrf_token": _csrf(analyst)}, follow_redirects=False)
        assert r.status_code == 303, (path, r.text[:2000])
    after = _stored(sqlite_settings)
    assert [b["ref"] for b in after["benefits"]] == ["BEN_001", "BEN_002"]
    assert after["benefits"][0]["rag"] == "red" and after["benefits"][0]["latest"] == 40
    assert [(o["ref"], o["rag"], len(o["risks"])) for o in after["objectives"]] == [("1.1", "red", 1), ("3.2", "green", 0)]
