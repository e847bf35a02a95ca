"""The data office's portal in Chromium: from the services catalogue, complete a maturity
round with evidence, see the national dashboard, then ask the data office for something
already asked for and see the duplicate warning before submitting; and, as the data office,
add a benefit profile and an objective through the forms (a missing baseline refused on the
page first) and see them listed.  Served by a real ``leds serve``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leds.access import identity
from leds.access.policy import Principal
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.office import commissioning, maturity
from leds.office.models import Assessment, RequestIn

from ..serving import serving
from .test_browser import PASSWORD, shot, sign_in

pytestmark = pytest.mark.slow
FW = "force-data-strategy"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("e2e-office") / "home"
    settings = Settings(home=home)
    engine = get_engine(settings)
    identity.create_user(engine, "e2e-office-dm", roles=["force_data_manager"], force="WYP", vetting="SC",
                         password=PASSWORD, display_name="E2E force data manager")
    identity.create_user(engine, "e2e-office-analyst", roles=["national_data_office_analyst"], force="WYP",
                         vetting="SC", password=PASSWORD, display_name="E2E data office analyst")
    office = Principal(id="user:e2e-seed", roles=frozenset({"national_data_office_analyst"}), force="WYP")
    questions = [q["id"] for q in maturity.BUILTIN[FW]["questions"]]
    with engine.begin() as conn:
        for label, level in (("2024", 2), ("2025", 3)):
            maturity.save_round(conn, office, Assessment(framework=FW, force="MPS", label=label, submit=True, answers=[
                {"question": q, "level": level, "evidence": "board paper"} for q in questions]))
        commissioning.submit(conn, office, RequestIn(
            title="National stop and search disproportionality dashboard", portfolio="NPCC Race Action Plan",
            problem="Forces cannot compare stop and search rates by ethnicity; we need a national dashboard.",
            priority="high", evidence="HMICFRS inspection"))
    dispose_all()
    with serving(settings, home.parent / "serve.log") as base:
        yield base


def test_complete_an_assessment_see_the_dashboard_and_the_duplicate_warning(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "e2e-office-dm")
    page.get_by_role("link", name="Data office").first.click()
    page.get_by_role("heading", name="Data office services").wait_for()
    assert "Coming soon" in page.locator("#service-skills").inner_text()
    shot(page, "office-catalogue")
    page.get_by_role("link", name="Data maturity assessments").click()
    page.get_by_role("heading", name="National data maturity").wait_for()
    assert "1 forces have submitted" in page.locator("#summary").inner_text()
    page.get_by_role("link", name="Complete a maturity round").click()
    page.get_by_role("heading", name="Complete a maturity round").wait_for()
    page.get_by_label("Round").fill("2025")
    for i, q in enumerate(maturity.BUILTIN[FW]["questions"]):
        page.locator(f"input[name='level-{q['id']}'][value='{1 + i % 2}']").check()
        page.locator(f"#evidence-{q['id']}").fill(f"Evidence for {q['id']}: see the data board minutes")
    page.locator("#evidence-people-quality").fill("")
    page.get_by_role("button", name="Submit round").click()
    page.get_by_text("without evidence").first.wait_for()  # refused: a level claimed without evidence
    page.locator("#evidence-people-quality").fill("Data literacy survey, 2025")
    page.get_by_role("button", name="Submit round").click()
    page.get_by_role("heading", name="Complete a maturity round").wait_for()
    page.goto("/office/maturity?framework=force-data-strategy&force=WYP")
    page.get_by_role("heading", name="National data maturity").wait_for()
    assert "2 forces have submitted" in page.locator("#summary").inner_text()
    # WYP answered 1 (governance) and 2 (quality) in each topic; MPS 3 everywhere: nationally 2.00 and 2.50
    national = page.locator("#national-heat tbody tr").first.inner_text()
    assert "2.00" in national and "2.50" in national
    assert "Metropolitan" in page.locator("#similar").inner_text()
    assert page.get_by_role("img", name="National mean level by topic").is_visible()
    shot(page, "office-maturity-dashboard")
    page.get_by_role("link", name="Data office").first.click()
    page.get_by_role("link", name="Commissioning and prioritisation").click()
    page.get_by_role("link", name="Ask the data office").click()
    page.get_by_label("What do you need?").fill("Dashboard of stop and search disproportionality across forces")
    page.get_by_label("What problem would it solve?").fill(
        "We need one national dashboard comparing stop and search rates by ethnicity between forces.")
    page.get_by_label("Who is asking").fill("West Yorkshire Police")
    page.get_by_role("radio", name="High").check()
    page.get_by_label("Evidence of need").fill("Local scrutiny panel")
    page.get_by_role("button", name="Check for similar requests").click()
    warning = page.locator("#duplicate-warning")
    warning.wait_for()
    assert "likely duplicate" in page.locator("#similar").inner_text()
    assert "National stop and search disproportionality dashboard" in page.locator("#similar").inner_text()
    shot(page, "office-duplicate-warning")
    page.get_by_role("button", name="Submit request").click()
    page.get_by_text("Request REQ-0002: submitted").wait_for()


def test_the_data_office_adds_a_benefit_and_an_objective_through_the_forms(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "e2e-office-analyst")
    page.get_by_role("link", name="Data office").first.click()
    page.get_by_role("link", name="Add a benefit profile").click()
    page.get_by_role("heading", name="Add a benefit profile").wait_for()
    assert page.get_by_label("Reference").input_value() == "BEN_001"  # the next free one is suggested
    page.get_by_label("Benefit title").fill("Fewer duplicate requests to the data office")
    page.get_by_label("Rationale").fill("Spotting duplicates before they are submitted saves analysts' time.")
    page.get_by_label("Benefits owner").fill("NDAO (Head of Governance)")
    page.get_by_role("radio", name="Quantitative").check()
    page.get_by_label("Measure", exact=True).fill("Requests marked duplicate in a quarter")
    page.get_by_label("Unit").fill("requests")
    page.get_by_label("Target").fill("2")
    page.get_by_label("Realisation stage").fill("Year 1")
    page.get_by_role("button", name="Add benefit profile").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()  # refused on the page: a benefit without a baseline
    assert "Enter the baseline" in summary.inner_text()
    assert "govuk-input--error" in (page.locator("#baseline").get_attribute("class") or "")
    assert page.get_by_label("Benefit title").input_value() == "Fewer duplicate requests to the data office"
    shot(page, "office-benefit-form-error")
    page.get_by_label("Baseline").fill("10")
    page.get_by_role("button", name="Add benefit profile").click()
    page.get_by_text("Benefit BEN_001: added.").wait_for()
    page.get_by_role("heading", name="BEN_001: Fewer duplicate requests to the data office").wait_for()
    page.get_by_role("link", name="Record a measurement of BEN_001").click()
    page.get_by_label("Value (requests)").fill("6")
    page.get_by_role("button", name="Record measurement").click()
    page.get_by_text("Benefit BEN_001: measurement recorded.").wait_for()
    assert "(50.0% of the way)" in page.locator("main").inner_text()  # 10 -> 6, target 2

    page.get_by_role("link", name="Data office").first.click()
    page.get_by_role("link", name="Add an objective").click()
    page.get_by_label("Objective number").fill("1.1")
    page.get_by_label("Strand").fill("Setting up for success")
    page.get_by_label("Objective", exact=True).fill("Launch the services portal")
    page.get_by_label("Owner").fill("Head of Business Partnering")
    page.get_by_role("radio", name="Amber").check()
    page.get_by_label("Progress (optional)").fill("Six services are live.")
    page.get_by_role("button", name="Add objective").click()
    page.get_by_text("Objective 1.1: added.").wait_for()
    row = page.locator("[id='objective-1.1']")
    assert "Launch the services portal" in row.inner_text() and "Head of Business Partnering" in row.inner_text()
    page.get_by_role("link", name="Add a risk to objective 1.1").click()
    page.get_by_label("Risk", exact=True).fill("Guidance documents are not ready for launch.")
    page.get_by_role("radio", name="4 Likely").check()
    page.get_by_role("radio", name="4 Major").check()
    page.get_by_label("Mitigation").fill("Publish the guidance in stages.")
    page.get_by_label("Risk owner").fill("Head of Business Partnering")
    page.get_by_role("button", name="Add risk").click()
    page.get_by_text("Objective 1.1: risk added.").wait_for()
    assert "Publish the guidance in stages." in page.locator("[id='objective-1.1']").inner_text()
    page.get_by_role("link", name="Update objective 1.1").click()
    page.get_by_role("radio", name="Red").check()
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Objective 1.1: updated.").wait_for()
    assert "0 out of 1 objectives report little or no overall risk" in page.locator("#rag-summary").inner_text()
    assert "red" in page.locator("[id='objective-1.1']").inner_text()
