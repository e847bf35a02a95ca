"""Document search in Chromium: a case team member searches a collection in plain English,
opens the result, sees its entities with the linked person and vehicle, follows the person
link and finds the document on the person's page; someone not on the team is refused.
A small store of two forces' records, served by a real ``leds serve``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leds.access import identity
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.documents import cases, process
from leds.documents.ingest import ingest

from ..factories import load, mps_records, wyp_records
from ..serving import serving
from .test_browser import PASSWORD, choose_reason, shot, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("e2e-documents") / "home"
    settings = Settings(home=home)
    load(settings, wyp_records() + mps_records())
    files = home.parent / "seized"
    files.mkdir()
    (files / "statement.txt").write_text(
        "Witness says John Smith (born 07/03/1984) dumped the blade in the canal by the lock.\n\n"
        "He drove off in AB12 CDE towards LS1 4AP and rang 07700 900123.")
    (files / "shopping.txt").write_text("Milk, bread and a birthday card for mum.")
    engine = get_engine(settings)
    with engine.begin() as conn:
        c = cases.create(conn, "op-kestrel", title="Operation Kestrel", case_ref="OP/KESTREL",
                         handling="OFFICIAL-SENSITIVE", team=["e2e-investigator"], by="e2e")
    ingest(engine, c, [str(files)])
    process.process(engine, c, home)
    for name in ("e2e-investigator", "e2e-outsider"):
        identity.create_user(engine, name, roles=["investigator"], force="WYP", vetting="SC", password=PASSWORD,
                             display_name=name)
    dispose_all()
    with serving(settings, home.parent / "serve.log") as base:
        yield base


def test_search_open_a_result_and_see_its_entities_and_the_linked_person(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "e2e-investigator")
    page.get_by_role("link", name="Case documents").first.click()
    page.get_by_role("link", name="Operation Kestrel").click()
    page.get_by_label("Ask a question or search for words").fill("who got rid of a knife?")
    page.get_by_role("button", name="Search").click()
    first = page.locator("#results li").first
    assert first.locator("a").inner_text() == "statement.txt"
    shot(page, "documents-search")
    first.locator("a").click()
    page.locator("#document-name").wait_for()
    entities = page.locator("#entities").inner_text()
    for value in ("John Smith", "AB12 CDE", "LS1 4AP", "07700 900123"):
        assert value in entities
    shot(page, "documents-document")
    page.locator("#entities").get_by_role("link", name="record").first.wait_for()
    person = page.locator("#entities tr", has_text="John Smith").get_by_role("link")
    person.click()
    if page.get_by_role("radio", name="Investigation", exact=True).count():
        choose_reason(page, "Investigation", "OP/KESTREL")
        page.get_by_role("button", name="Continue").click()
    page.locator("#documents-mentioning").wait_for()
    assert "statement.txt" in page.locator("#documents-mentioning").inner_text()


def test_someone_not_on_the_team_is_refused_and_sees_no_collection(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "e2e-outsider")
    page.goto("/documents")
    assert page.locator("#collections").count() == 0
    response = page.goto("/documents/op-kestrel?q=knife")
    assert response is not None and response.status == 403
    assert "statement.txt" not in page.content()
