"""ANPR Find & Profile in Chromium: an analyst profiles the known routes with a reason, sees
the ranking with its reasons, and opens a flagged vehicle: its reasons, the server-drawn map
of its reads, and its records.  A small hard week, served by a real ``leds serve``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leds.access import identity
from leds.access.lookup import Lookup
from leds.access.policy import Principal
from leds.anpr import service
from leds.anpr.ingest import ingest
from leds.anpr.synth import generate
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine

from ..serving import serving
from .test_browser import PASSWORD, choose_reason, shot, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    week = tmp_path_factory.mktemp("e2e-anpr-week")
    generate(week, seed=5, vehicles=400)
    home = tmp_path_factory.mktemp("e2e-anpr") / "home"
    settings = Settings(home=home)
    engine = get_engine(settings)
    ingest(settings, engine, week / "cameras.csv", sorted(week.glob("reads-*.csv")))
    operator = Lookup(Principal(id="os:e2e", roles=frozenset({"intelligence_analyst"})), "intelligence_development",
                      "e2e", lambda e: 0)
    service.train(settings, engine, operator, week / "labels.csv", service.load_routes(week / "routes.json"))
    identity.create_user(engine, "e2e-analyst", roles=["intelligence_analyst"], force="WYP", vetting="SC",
                         password=PASSWORD, display_name="E2E analyst")
    dispose_all()
    with serving(settings, home.parent / "serve.log") as base:
        yield base


def test_an_analyst_profiles_the_routes_and_opens_a_flagged_vehicle(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "e2e-analyst")
    page.get_by_role("link", name="ANPR").first.click()
    page.get_by_role("heading", name="ANPR Find & Profile").wait_for()
    choose_reason(page, "Intelligence development", "Op Kestrel")
    page.locator("#profile").click()
    table = page.locator("table.anpr-ranking").first
    table.wait_for()
    first = table.locator("tbody tr").first
    assert first.locator("li").count() >= 1  # the reasons
    vrm = first.locator("a").inner_text()
    shot(page, "anpr-profile")
    first.locator("a").click()
    page.get_by_role("heading", name=f"ANPR: {vrm}").wait_for()
    assert page.locator("svg.app-anpr-map circle").count() > 10
    assert page.locator("#trips tbody tr").count() >= 1
    assert page.get_by_role("heading", name="In leds's records").is_visible()
    shot(page, "anpr-vehicle")
