"""Document search: staged ingest, the team rule, idempotence, failures, entities, triage."""

from __future__ import annotations

import io
import mailbox
import zipfile
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leds.access.policy import AccessDenied
from leds.config import Settings
from leds.db.engine import get_engine
from leds.documents import cases, service
from leds.documents.ingest import Report, chunks
from leds.documents.tables import doc_chunks, doc_entities, documents

from ..factories import P1, load, wyp_records
from .conftest import member

KNIFE = "Dumped the blade in the canal near Armley after the fight. Tell nobody."


def _counts(settings: Settings) -> tuple[int, int, int]:
    with get_engine(settings).connect() as conn:
        return (conn.execute(select(func.count()).select_from(documents)).scalar_one(),
                conn.execute(select(func.count()).select_from(doc_chunks)).scalar_one(),
                conn.execute(select(func.count()).select_from(doc_entities)).scalar_one())


def _email(files: Path) -> Path:
    msg = EmailMessage()
    msg["From"] = "kyle@example.net"
    msg["To"] = "dean@example.net"
    msg["Subject"] = "the thing"
    msg["Date"] = "Tue, 04 Mar 2025 10:00:00 +0000"
    msg.set_content("See the note attached. Ring me on 07700 900123.")
    msg.add_attachment(b"Moving hot handsets at the market on Saturday.", maintype="text", subtype="plain",
                       filename="note.txt")
    p = files / "thing.eml"
    p.write_bytes(bytes(msg))
    return p


def test_a_user_not_on_the_team_finds_nothing_not_even_a_count(settings: Settings, files: Path,
                                                              read_in: Callable[..., Report]) -> None:
    (files / "a.txt").write_text(KNIFE)
    read_in(files)
    engine = get_engine(settings)
    alice, _ = member("alice")
    bob, bob_audit = member("bob")
    with engine.connect() as conn:
        found = service.search_documents(conn, alice, "op-kestrel", "getting rid of a knife", home=settings.home)
        assert [r["document"] for r in found["results"]] == ["a.txt"]
        for call in (lambda: service.search_documents(conn, bob, "op-kestrel", "knife", home=settings.home),
                     lambda: service.status(conn, bob, "op-kestrel"),
                     lambda: service.facets(conn, bob, "op-kestrel"),
                     lambda: service.failures(conn, bob, "op-kestrel"),
                     lambda: service.open_document(conn, bob, "op-kestrel", 1)):
            with pytest.raises(AccessDenied) as refused:
                call()
            assert str(refused.value) == cases.REFUSED  # the same words as for a collection that does not exist
        with pytest.raises(AccessDenied) as missing:
            service.search_documents(conn, bob, "no-such-collection", "knife", home=settings.home)
        assert str(missing.value) == cases.REFUSED
        assert cases.team_collections(conn, bob.principal) == []
        assert [c.name for c in cases.team_collections(conn, alice.principal)] == ["op-kestrel"]
    assert [e.action for e in bob_audit] == ["denied"] * 6
    assert all(e.detail["why"].startswith("not on the collection's team") for e in bob_audit)


def test_a_team_member_without_the_vetting_for_the_handling_level_is_refused(
        settings: Settings, files: Path, read_in: Callable[..., Report]) -> None:
    (files / "a.txt").write_text(KNIFE)
    read_in(files)
    alice, _ = member("alice", vetting="RV")  # OFFICIAL only; the collection is OFFICIAL-SENSITIVE
    with get_engine(settings).connect() as conn, pytest.raises(AccessDenied):
        service.search_documents(conn, alice, "op-kestrel", "knife", home=settings.home)


def test_a_role_without_search_documents_is_refused_even_on_the_team(settings: Settings,
                                                                    collection: cases.Collection) -> None:
    alice, audit = member("alice", role="frontline_officer")
    with get_engine(settings).connect() as conn, pytest.raises(AccessDenied):
        service.search_documents(conn, alice, "op-kestrel", "knife", home=settings.home)
    assert audit[0].action == "denied"


def test_every_search_and_opened_document_is_audited_with_the_case_reference(
        settings: Settings, files: Path, read_in: Callable[..., Report]) -> None:
    (files / "a.txt").write_text(KNIFE)
    read_in(files)
    alice, audit = member("alice")
    with get_engine(settings).connect() as conn:
        found = service.search_documents(conn, alice, "op-kestrel", "blade", home=settings.home)
        service.open_document(conn, alice, "op-kestrel", found["results"][0]["id"])
    assert [(e.action, e.detail["kind"], e.detail["case"]) for e in audit] == [
        ("consultation", "document search", "OP/KESTREL"), ("consultation", "document opened", "OP/KESTREL")]
    assert audit[1].subjects == (f"DOC|op-kestrel|{found['results'][0]['id']}",)


def test_ingesting_the_same_files_twice_adds_nothing(settings: Settings, files: Path,
                                                    read_in: Callable[..., Report]) -> None:
    (files / "a.txt").write_text(KNIFE)
    _email(files)
    first = read_in(files)
    before = _counts(settings)
    again = read_in(files)
    assert first.added == 3 and again.added == 0 and again.already == 2
    assert _counts(settings) == before


def test_unreadable_files_are_listed_with_their_reasons_and_the_rest_go_on(
        settings: Settings, files: Path, read_in: Callable[..., Report]) -> None:
    from pypdf import PdfWriter

    (files / "good.txt").write_text(KNIFE)
    (files / "corrupt.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf at all")
    w = PdfWriter()
    w.add_blank_page(width=72, height=72)
    w.encrypt("secret")
    buf = io.BytesIO()
    w.write(buf)
    (files / "locked.pdf").write_bytes(buf.getvalue())
    (files / "latin.txt").write_bytes(bytes(range(128, 256)) * 40)  # no encoding fits
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.txt", b"0" * 20_000_000)
    (files / "bomb.zip").write_bytes(bomb.getvalue())
    (files / "big.txt").write_bytes(b"word " * 300_000)
    from leds.documents import extract
    from leds.documents.ingest import ingest

    with get_engine(settings).connect() as conn:
        c = cases.by_name(conn, "op-kestrel")
    assert c is not None
    report = ingest(get_engine(settings), c, [str(files)], max_bytes=1_000_000)
    reasons = {Path(f["path"]).name: f["reason"] for f in report.failed}
    assert reasons == {"corrupt.pdf": "corrupt", "locked.pdf": "encrypted", "latin.txt": "unknown_encoding",
                       "bomb.zip": "zip_bomb", "big.txt": "over_size"}
    assert report.added == 1
    alice, _ = member("alice")
    with get_engine(settings).connect() as conn:
        listed = service.failures(conn, alice, "op-kestrel")
    assert sorted(f["reason"] for f in listed) == sorted(reasons.values())
    assert set(reasons.values()) <= set(extract.REASONS)


def test_an_attachment_knows_its_email_and_an_mbox_message_its_mailbox(
        settings: Settings, files: Path, read_in: Callable[..., Report]) -> None:
    _email(files)
    other = EmailMessage()
    other["From"], other["Subject"] = "dean@example.net", "re: the thing"
    other.set_content("Got it, will sort the handsets.")
    box = mailbox.mbox(str(files / "seized.mbox"))
    box.add(mailbox.mboxMessage(bytes(other)))
    box.flush()
    box.close()
    read_in(files)
    with get_engine(settings).connect() as conn:
        rows = {r.name: r for r in conn.execute(select(documents))}
    assert rows["note.txt"].parent_id == rows["thing.eml"].id
    assert rows["thing.eml"].doc_date == "2025-03-04"
    assert rows["seized.mbox#1"].parent_id == rows["seized.mbox"].id
    assert rows["seized.mbox#1"].doc_type == "email"


def test_searchable_by_words_before_the_background_stage(settings: Settings, files: Path,
                                                          read_in: Callable[..., Report]) -> None:
    (files / "a.txt").write_text(KNIFE)
    read_in(files, words_only=True)
    alice, _ = member("alice")
    with get_engine(settings).connect() as conn:
        found = service.search_documents(conn, alice, "op-kestrel", "canal blade", home=settings.home)
    assert [r["document"] for r in found["results"]] == ["a.txt"]
    assert "<mark>blade</mark>" in found["results"][0]["snippet"]
    assert found["progress"] == {"documents": 1, "searchable_by_words": 1, "fully_processed": 0}


def test_meaning_finds_a_passage_that_shares_no_word_with_the_question(
        settings: Settings, files: Path, read_in: Callable[..., Report]) -> None:
    (files / "a.txt").write_text("Dumped the blade in the canal.")
    (files / "b.txt").write_text("The boiler is playing up again and the plumber is late.")
    read_in(files)
    alice, _ = member("alice")
    with get_engine(settings).connect() as conn:
        found = service.search_documents(conn, alice, "op-kestrel", "disposing of a knife", mode="vector",
                                         home=settings.home)
    assert found["results"][0]["document"] == "a.txt"


def test_entities_link_to_the_person_and_vehicle_records_and_the_person_page_lists_the_document(
        settings: Settings, files: Path, read_in: Callable[..., Report]) -> None:
    load(settings, wyp_records())
    (files / "statement.txt").write_text(
        "John Smith (born 07/03/1984) was driving AB12 CDE near LS1 4AP. Call 07700 900123 or kyle@example.net.")
    read_in(files)
    alice, _ = member("alice")
    bob, _ = member("bob")
    with get_engine(settings).connect() as conn:
        doc = service.open_document(conn, alice, "op-kestrel", 1)
        kinds = {e["kind"]: e for e in doc["entities"]}
        assert set(kinds) == {"name", "date", "vrm", "postcode", "phone", "email"}
        assert kinds["vrm"]["link"]["href"] == "/record/WYP%7CNICHE-RMS%7Cvehicle%7CV-1"
        assert kinds["name"]["link"] is not None
        assert [d["document"] for d in service.mentioning(conn, alice, P1)] == ["statement.txt"]
        assert service.mentioning(conn, bob, P1) == []  # not on the team: not even that a document exists
        facets = service.facets(conn, alice, "op-kestrel")
        assert facets["vrm"] == [{"value": "AB12 CDE", "documents": 1, "linked": True}]
        by_person = service.search_documents(conn, alice, "op-kestrel", "driving", home=settings.home,
                                             filters=__import__("leds.documents.search", fromlist=["Filters"])
                                             .Filters(person="John Smith"))
        assert [r["document"] for r in by_person["results"]] == ["statement.txt"]


def test_a_name_alone_links_no_person(settings: Settings, files: Path, read_in: Callable[..., Report]) -> None:
    load(settings, wyp_records())
    (files / "a.txt").write_text("John Smith was seen at the market.")
    read_in(files)
    with get_engine(settings).connect() as conn:
        assert conn.execute(select(doc_entities.c.linked).where(doc_entities.c.kind == "name")).scalar_one() is None


def test_the_triage_queue_withholds_previews_of_sensitive_categories(
        settings: Settings, files: Path, read_in: Callable[..., Report], collection: cases.Collection) -> None:
    from leds.documents import triage

    (files / "a.txt").write_text("Groomed the schoolboy to courier the packages out of town.")
    (files / "b.txt").write_text("Need bullets for the handgun by Friday.")
    (files / "c.txt").write_text("Mum says dinner is at six.")
    read_in(files)
    engine = get_engine(settings)
    triage.define(engine, collection, "child exploitation", ["groomed", "schoolboy"],
                  ["using children to carry drugs"], True, settings.home)
    triage.define(engine, collection, "firearms", ["gun", "firearm"], ["getting hold of a gun"], False, settings.home)
    alice, audit = member("alice")
    with engine.connect() as conn:
        q = {c["category"]: c for c in service.triage_queue(conn, alice, "op-kestrel")}
        shown = {c["category"]: c for c in service.triage_queue(conn, alice, "op-kestrel", reveal=True)}
    assert q["child exploitation"]["items"][0]["document"] == "a.txt"
    assert q["child exploitation"]["items"][0]["preview"] is None
    assert q["firearms"]["items"][0]["document"] == "b.txt"
    assert q["firearms"]["items"][0]["preview"].startswith("Need bullets")
    assert shown["child exploitation"]["items"][0]["preview"].startswith("Groomed")
    assert audit[-1].detail["reveal"] is True


def test_chunks_are_paragraphs_with_short_ones_joined_and_long_ones_cut() -> None:
    assert chunks("one two three\n\nfour five") == ["one two three four five"]
    long = " ".join(f"w{i}" for i in range(250))
    assert [len(c.split()) for c in chunks(long)] == [120, 120, 10]
    assert chunks("[10:01] a: hi there\n[10:02] b: " + "x " * 30) == ["[10:01] a: hi there", "[10:02] b: " + ("x " * 30).strip()]
