"""ANPR Find & Profile in Chromium: an analyst profiles the known routes with a reason, sees
the ranking with its reasons, and opens a flagged vehicle: its reasons, the server-drawn map
of its reads, and its records.  A small hard week, served by a real ``leds serve``."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
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

from ..conftest import env_for
from .test_browser import PASSWORD, _free_port, browser, choose_reason, new_page, shot, sign_in

pytestmark = pytest.mark.slow
__all__ = ["browser", "new_page"]  # fixtures used here


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
    port = _free_port()
    env = {**env_for(settings), "LEDS_COOKIE_SECURE": "0"}
    log = home.parent / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("leds")), "serve", "--port", str(port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError(f"leds serve stopped: {log.read_text()[-2000:]}") from None
                time.sleep(0.5)
        else:
            raise AssertionError("leds serve did not answer within 60 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


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
