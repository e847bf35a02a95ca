"""The data office's portal in Chromium: from the services catalogue, complete a maturity
round with evidence, see the national dashboard, then ask the data office for something
already asked for and see the duplicate warning before submitting.  Served by a real
``leds serve``."""

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
