"""The missing-persons register in real headless Chromium against a real ``leds serve``: a
coordinator reports a person missing with the report form, sees the episode in the national
live view, and an officer of another force who checks that person sees MISSING first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leds.access import identity
from leds.access.lookup import Lookup
from leds.access.policy import Principal
from leds.checks.models import PersonQuery
from leds.checks.service import person_check
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine

from ..serving import sample_store, serving
from .test_browser import PASSWORD, Sample, _pick, check_person, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Sample, str]]:
    """A small national sample with a coordinator (WYP) and a front-line officer (GMP), and the
    national person id a check of the picked person chooses."""
    home = tmp_path_factory.mktemp("e2e-missing") / "home"
    settings = sample_store(home, persons=300, seed=11)
    engine = get_engine(settings)
    identity.create_user(engine, "e2e-coordinator", roles=["missing_persons_coordinator"], force="WYP", vetting="SC",
                         password=PASSWORD, display_name="E2E coordinator")
    identity.create_user(engine, "e2e-officer-gmp", roles=["frontline_officer"], force="GMP", vetting="SC",
                         password=PASSWORD, display_name="E2E officer")
    s = _pick(home / "sample")
    lk = Lookup(Principal.system(), "missing_register", None, lambda e: 0)
    with engine.connect() as conn:
        ans = person_check(conn, lk, PersonQuery(surname=s.surname, forename=s.forename, dob=s.dob))
    dispose_all()
    yield settings, s, str(ans["candidates"][0]["person_id"])


@pytest.fixture(scope="module")
def server(register: tuple[Settings, Sample, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(register[0], tmp_path_factory.mktemp("server") / "serve.log") as base:
        yield base


def test_report_form_live_view_and_missing_banner_on_a_check(new_page: Any,
                                                               register: tuple[Settings, Sample, str]) -> None:
    _, s, person_id = register
    page = new_page()
    sign_in(page, "e2e-coordinator")
    page.goto("/missing/report")
    page.get_by_label("Person", exact=True).fill(person_id)
    page.get_by_label("Reported missing at").fill((datetime.now(UTC) - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Last seen where (optional)").fill("Leeds bus station")
    page.get_by_role("radio", name="High", exact=True).check()
    page.get_by_role("button", name="Report missing").click()
    page.locator("#reported").wait_for()
    episode_id = page.locator(".govuk-panel__body strong").inner_text()
    assert episode_id.startswith("WYP|")

    page.goto("/missing")
    body = page.content()
    assert episode_id.split("|")[-1] in body and s.surname in body, "the live view lists the new episode"

    officer = new_page()
    sign_in(officer, "e2e-officer-gmp")
    check_person(officer, s)
    banner = officer.locator("#missing-banner")
    banner.wait_for()
    assert "Reported missing by WYP" in banner.inner_text() and "high risk" in banner.inner_text()
    # MISSING comes first: above everything else the check shows.
    assert banner.bounding_box()["y"] < officer.locator("#identity").bounding_box()["y"]
