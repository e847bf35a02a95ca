"""Alerts in a real browser: subscribe from the person page, a change is ingested, and the
alert arrives on the alerts page (and in the menu's count) without a reload.  Headless
Chromium (Debian's) through Playwright, against a real ``leds serve`` on loopback."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from leds.access import identity
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine

from ..alerts.conftest import Receiver, make_user, receiver  # noqa: F401 (a fixture)
from ..factories import P1, load, mps_records, rec, ug, wyp_records
from ..serving import serving
from .test_browser import PASSWORD, choose_reason, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def alerts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    home = tmp_path_factory.mktemp("e2e-alerts") / "home"
    settings = Settings(home=home)
    load(settings, wyp_records() + mps_records())
    identity.create_user(get_engine(settings), "e2e-oic", roles=["investigator"], force="WYP", vetting="SC",
                         password=PASSWORD, display_name="E2E officer in the case")
    dispose_all()
    with serving(settings, home / "serve.log") as base:
        yield settings, base


def test_subscribe_from_the_person_page_and_see_a_change_arrive_without_reloading(
        alerts_server: tuple[Settings, str], browser: Any, receiver: Receiver) -> None:  # noqa: F811
    settings, base = alerts_server
    # A colleague's webhook subscription on the same person: the serving process delivers it
    # itself (the embedded worker), with no worker of its own started.
    from leds.alerts.models import SubscriptionRequest
    from leds.alerts.subscriptions import subscribe

    colleague, _ = make_user(settings, "e2e-colleague")
    with get_engine(settings).connect() as conn:
        subscribe(conn, colleague, SubscriptionRequest(reason="op alpha", person_id=P1, webhook_url=receiver.url))
    ctx = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, "e2e-oic")
    assert page.locator("#app-alerts-count").inner_text() == "0"
    page.goto("/person/" + urllib.parse.quote(P1, safe=""))
    choose_reason(page, "Investigation", "op alpha")
    page.get_by_role("button", name="Continue").click()
    page.locator("#person-name").wait_for()
    page.get_by_label("Why follow this person").fill("op alpha: offender management")
    page.get_by_role("button", name="Follow this person").click()
    page.get_by_role("heading", name="Alerts").wait_for()
    assert page.locator("#app-subscriptions").inner_text().count(P1) == 1
    assert page.locator("#app-alerts-rows tr").count() == 0
    time.sleep(1.0)  # the page's stream is open
    load(settings, [ug(500, rec("marker", "M-E2E", {"subject": {"type": "person", "ref": "P-1"}, "code": "WE",
                                                     "detail": "knife"}))])
    row = page.locator("#app-alerts-rows tr")
    row.first.wait_for(timeout=10_000)  # arrived without a reload
    assert "WYP|NICHE-RMS|marker|M-E2E" in row.first.inner_text()
    page.wait_for_function("document.getElementById('app-alerts-count').textContent === '1'", timeout=10_000)
    receiver.wait(1, timeout=15)
    assert receiver.got[0]["body"]["alert"]["rkey"] == "WYP|NICHE-RMS|marker|M-E2E"
    ctx.close()
    assert problems == [], problems
