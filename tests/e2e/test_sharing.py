"""The data sharing toolkit in a real browser (Chromium via Playwright) against ``leds serve``:
an investigator proposes an agreement through the wizard (an agreement without a lawful basis is
refused, with the field named), a data protection officer approves it, the investigator runs an
export under it and opens its signed manifest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from leds.access import identity
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.sharing.agreement import example

from ..factories import load
from ..serving import serving
from ..sharing.conftest import crime_docs
from .test_browser import PASSWORD, signed_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("e2e-sharing") / "home"
    settings = Settings(home=home)
    load(settings, crime_docs(force="WYP"))
    engine = get_engine(settings)
    identity.create_user(engine, "e2e-dpo", roles=["data_protection_officer"], force="WYP", vetting="SC",
                         password=PASSWORD, display_name="E2E data protection officer")
    identity.create_user(engine, "e2e-inv", roles=["investigator"], force="WYP", vetting="SC", password=PASSWORD,
                         display_name="E2E investigator")
    dispose_all()
    with serving(settings, home.parent / "serve.log") as base:
        yield base


def test_propose_approve_export_and_read_the_manifest(browser: Any, server: str) -> None:
    inv = signed_in(browser, server, "e2e-inv")
    inv.get_by_role("link", name="Data sharing").first.click()
    inv.get_by_role("heading", name="Data sharing agreements").wait_for()
    inv.locator("#app-new-agreement").click()
    inv.get_by_role("heading", name="New data sharing agreement").wait_for()
    inv.locator("#lawful_basis").fill("")
    inv.locator("#app-sharing-submit").click()
    summary = inv.locator(".govuk-error-summary")
    assert "$.lawful_basis" in summary.inner_text() and "lawful basis" in summary.inner_text()
    inv.locator("#lawful_basis").fill(json.dumps(example()["lawful_basis"]))
    inv.locator("#app-sharing-submit").click()
    inv.get_by_role("heading", name=example()["title"]).wait_for()
    assert inv.locator("#app-agreement-state").inner_text().startswith("Draft")
    assert inv.locator("#app-approve").count() == 0  # an investigator cannot approve

    dpo = signed_in(browser, server, "e2e-dpo")
    dpo.goto("/sharing/DSA-2026-001")
    dpo.locator("#app-approve").click()
    dpo.get_by_role("heading", name=example()["title"]).wait_for()
    assert dpo.locator("#app-agreement-state").inner_text().startswith("Approved")

    inv.goto("/sharing/DSA-2026-001")
    inv.locator("#app-export").click()
    inv.get_by_role("heading", name=example()["title"]).wait_for()
    row = inv.locator("#app-agreement-exports tbody tr").first
    assert "45" in row.inner_text()
    row.get_by_role("link").click()
    files = inv.locator("#app-export-files").inner_text()
    assert "event.ndjson" in files and "agreement.json" in files
    inv.goto("/sharing")
    assert "Approved" in inv.locator("#app-sharing-register").inner_text()
