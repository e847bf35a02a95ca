"""Data quality and reports in Chromium: the scorecard with its chart and table, a drill-down
from a cell to the failing records, the framework's league table, and the stop and search
report over a real data.police.uk file.  Served by a real ``leds serve``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leds.access import identity
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.ingest.pipeline import Ingestor
from leds.opendata.importer import import_file

from ..quality.planted import planted_lines
from ..serving import serving
from .test_browser import PASSWORD, shot, sign_in

pytestmark = pytest.mark.slow
MET = Path("/work/shared/data/police-uk/2022-08-metropolitan-stop-and-search.csv")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("e2e-quality") / "home"
    settings = Settings(home=home)
    lines = [(i, line) for i, line in enumerate(planted_lines().splitlines(), 1)]
    Ingestor(settings).ingest_lines(iter(lines), "e2e")
    engine = get_engine(settings)
    import_file(engine, MET)
    identity.create_user(engine, "e2e-dm", roles=["force_data_manager"], force="DER", vetting="SC",
                         password=PASSWORD, display_name="E2E data manager")
    identity.create_user(engine, "e2e-analyst", roles=["national_data_office_analyst"], force="WYP", vetting="SC",
                         password=PASSWORD, display_name="E2E analyst")
    dispose_all()
    with serving(settings, home.parent / "serve.log") as base:
        yield base


def test_scorecard_and_drill_down_to_the_failing_records(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "e2e-dm")
    page.get_by_role("link", name="Data quality").first.click()
    page.get_by_role("heading", name="Data quality scorecard").wait_for()
    chart = page.get_by_role("img", name="person.birth_date.present: rate by force")
    assert chart.is_visible()
    row = page.locator("#chart-table tbody tr", has_text="DER")
    assert "60.0%" in row.inner_text()
    shot(page, "quality-scorecard")
    page.get_by_role("link", name="4 failing person.birth_date.present at DER").click()
    page.get_by_role("heading", name="Failing person.birth_date.present at DER").wait_for()
    refs = sorted(page.locator("#failing tbody th").all_inner_texts())
    assert refs == ["D-0", "D-1", "D-2", "D-3"]
    assert "4 shown to you" in page.locator("#summary").inner_text()
    page.goto("/quality/framework")
    league = page.locator("#league tbody tr", has_text="MPS").inner_text()
    assert "60.0%" in league and "red" in league


def test_stop_and_search_report(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "e2e-analyst")
    page.get_by_role("link", name="Reports").first.click()
    page.get_by_role("heading", name="Management information").wait_for()
    page.get_by_role("link", name="Stop and search by ethnicity").click()
    page.get_by_label("Force").select_option("metropolitan")
    page.get_by_label("Month").select_option("2022-08")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("img", name="Searches by ethnic group").wait_for()
    black = page.locator("#stop-search tbody tr", has_text="Black").inner_text()
    assert "6,919" in black
    assert page.get_by_role("heading", name="What this data cannot show").is_visible()
    shot(page, "reports-stop-search")
    with page.expect_download() as dl:
        page.get_by_role("link", name="CSV").click()
    assert dl.value.suggested_filename == "stop-search.csv"
