"""The retention pages in a real browser (Chromium via Playwright) against ``leds serve``:
a data protection officer works the review queue and the requests list (an overdue request
flagged); an investigator has no retention menu and is refused the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leds.access import identity
from leds.access.lookup import Lookup
from leds.access.policy import Principal
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.retention import rights

from ..factories import load, rec, ug
from ..retention.people import ERASED_PERSON, quixleberry_docs
from ..serving import serving
from .test_browser import PASSWORD, signed_in

pytestmark = pytest.mark.slow
OLD_EVENT = "WYP|NICHE-RMS|event|OLD-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("e2e-retention") / "home"
    settings = Settings(home=home)
    load(settings, quixleberry_docs())
    load(settings, [ug(1, rec("event", "OLD-1", {"kind": "arrest", "occurred_at": "2001-05-01T10:00:00Z",
                                                 "description": "theft of a bicycle"}, "custody"))])
    engine = get_engine(settings)
    identity.create_user(engine, "e2e-dpo", roles=["data_protection_officer"], force="WYP", vetting="SC",
                         password=PASSWORD, display_name="E2E data protection officer")
    identity.create_user(engine, "e2e-inv", roles=["investigator"], force="WYP", vetting="SC", password=PASSWORD,
                         display_name="E2E investigator")
    dpo = Lookup(Principal(id="user:e2e-dpo", roles=frozenset({"data_protection_officer"}), force="WYP",
                           vetting="SC"), "data_protection", None, lambda e: 0)
    with engine.connect() as conn:
        rights.create_request(conn, dpo, "access", ERASED_PERSON, "a copy of my data",
                              received_at="2025-01-05T09:00:00Z")
    dispose_all()
    with serving(settings, home.parent / "serve.log") as base:
        yield base


def test_a_data_protection_officer_reviews_a_due_record_and_sees_an_overdue_request(browser: Any,
                                                                                    server: str) -> None:
    page = signed_in(browser, server, "e2e-dpo")
    page.get_by_role("link", name="Retention").first.click()
    page.get_by_role("heading", name="Retention review").wait_for()
    row = page.locator("#app-retention-queue tr", has_text=OLD_EVENT)
    assert "2007-05-01" in row.inner_text()
    row.get_by_label("Decision").select_option("retain")
    row.get_by_label("Reason").fill("linked to a live investigation")
    row.get_by_role("button", name="Record decision").click()
    page.get_by_role("heading", name="Retention review").wait_for()
    assert page.locator("#app-retention-queue tr", has_text=OLD_EVENT).count() == 0
    page.goto("/retention/requests")
    overdue = page.locator("#app-rights-requests tr", has_text=ERASED_PERSON)
    assert "Overdue" in overdue.inner_text() and "2025-02-05" in overdue.inner_text()
    form = page.locator("#app-new-request")
    form.get_by_label("Kind of request").select_option("erasure")
    form.get_by_label("National person id or person record key").fill(ERASED_PERSON)
    form.get_by_label("What the person asks").fill("erase my records")
    form.get_by_role("button", name="Log request").click()
    assert page.locator("#app-rights-requests tr", has_text="erasure").count() == 1


def test_an_investigator_has_no_retention_menu_and_is_refused(browser: Any, server: str) -> None:
    page = signed_in(browser, server, "e2e-inv")
    assert page.get_by_role("link", name="Retention").count() == 0
    resp = page.goto("/retention")
    assert resp is not None and resp.status == 403
