"""The fast paths of document search: ingest through worker processes in batches, and the
inverted-file index of the vector half.  Each is checked against the plain path it replaces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leds.config import Settings
from leds.db.engine import get_engine
from leds.documents import cases, process, search, vectors
from leds.documents.ingest import PARALLEL_FROM, chunk_text, chunks, ingest


def _folder(files: Path, n: int) -> None:
    for i in range(n):
        (files / f"note-{i:03d}.txt").write_text(f"Note {i}: the van was loaded at unit {i} behind the depot.\n\n"
                                                 f"Paid {i * 10} pounds in cash for the tyres number{i}.")
    (files / "copy-of-note-007.txt").write_bytes((files / "note-007.txt").read_bytes())  # same bytes, same batch
    (files / "broken.pdf").write_bytes(b"%PDF-1.4 not really")


def test_files_read_by_worker_processes_are_stored_once_listed_when_bad_and_searchable(
        settings: Settings, collection: cases.Collection, files: Path) -> None:
    n = PARALLEL_FROM + 6
    _folder(files, n)
    engine = get_engine(settings)
    first = ingest(engine, collection, [str(files)], workers=2, batch=25)
    assert (first.files, first.added, first.already) == (n + 2, n, 1)
    assert [(Path(f["path"]).name, f["reason"]) for f in first.failed] == [("broken.pdf", "corrupt")]
    again = ingest(engine, collection, [str(files)], workers=2, batch=25)
    assert (again.added, again.already) == (0, n + 1)
    with engine.connect() as conn:
        hits = search.results(conn, collection.id, "number42", mode="bm25")
    assert [h["document"] for h in hits] == ["note-042.txt"]
    assert "<mark>number42.</mark>" in hits[0]["snippet"]


def test_a_chunk_s_text_is_cut_again_from_its_document_as_it_was_indexed() -> None:
    body = "First paragraph here.\n\n" + " ".join(f"w{i}" for i in range(300)) + "\n\nLast one."
    parts = chunks(body)
    assert [chunk_text(body, n) for n in range(len(parts))] == parts
    assert chunk_text(body, len(parts)) == ""


def _clustered(n: int, dims: int = 32, centres: int = 40, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, dims)).astype(np.float32)
    m = c[rng.integers(0, centres, n)] + 0.3 * rng.standard_normal((n, dims)).astype(np.float32)
    return vectors._unit(m)


def test_the_ivf_index_finds_what_the_exact_scan_finds_and_scores_any_chunk_exactly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors, "IVF_FROM", 1000)
    m = _clustered(6000)
    ids = np.arange(10, 6010, dtype=np.int64)
    ix = vectors.Index(ids, ids // 3, m, cells=60)
    assert ix.cent is not None and ix.offsets[-1] == 6000
    q = vectors._unit(m[:20] + 0.1)
    recall = []
    for v in q:
        exact = set(ids[np.argsort(-(m @ v))[:10]].tolist())
        recall.append(len(exact & {c for c, _, _ in ix.search(v, 10, probe=12)}) / 10)
    assert np.mean(recall) >= 0.9
    some = [10, 4321, 6009]
    assert {c: round(s, 5) for c, _, s in ix.score(q[0], some + [99_999])} == \
        {c: round(float(m[c - 10] @ q[0]), 5) for c in some}
    grown = ix.added(np.array([7000], dtype=np.int64), np.array([1], dtype=np.int64), m[:1])
    assert len(grown) == 6001 and len(ix) == 6000
    assert grown.search(m[0], 1)[0][0] in (10, 7000)


def test_the_held_index_takes_in_documents_processed_after_it_was_read(
        settings: Settings, collection: cases.Collection, files: Path) -> None:
    engine = get_engine(settings)
    (files / "a.txt").write_text("The blade went in the canal near Armley.")
    ingest(engine, collection, [str(files)])
    process.process(engine, collection, settings.home)
    with engine.connect() as conn:
        assert len(vectors.index(conn, collection.id)) == 1
    (files / "b.txt").write_text("Someone took the motor off the drive in Headingley.")
    ingest(engine, collection, [str(files)])
    process.process(engine, collection, settings.home)
    with engine.connect() as conn:
        ix = vectors.index(conn, collection.id)
        assert len(ix) == 2
        found = search.results(conn, collection.id, "stolen car", mode="vector", home=settings.home)
    assert found[0]["document"] == "b.txt"


def test_a_store_downgraded_past_the_contentless_index_gets_its_chunk_texts_back(
        settings: Settings, collection: cases.Collection, files: Path) -> None:
    """Migration 0018 stopped storing the chunks' texts; its downgrade cuts them again from the
    documents (as search does) and rebuilds 0016's index over them, and upgrading again works."""
    from alembic import command
    from sqlalchemy import text

    from leds.db.migrate import alembic_config

    _folder(files, 8)
    engine = get_engine(settings)
    ingest(engine, collection, [str(files)])
    command.downgrade(alembic_config(engine), "0017")
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT d.name, c.body FROM doc_chunks c JOIN documents d "
                                        "ON d.id = c.document_id WHERE c.n = 0")).all())
        if engine.dialect.name == "sqlite":
            found = conn.execute(text("SELECT d.name FROM doc_chunks_fts f JOIN doc_chunks c ON c.id = f.rowid "
                                      "JOIN documents d ON d.id = c.document_id WHERE doc_chunks_fts MATCH 'number2'"))
        else:
            found = conn.execute(text("SELECT d.name FROM doc_chunks c JOIN documents d ON d.id = c.document_id "
                                      "WHERE c.tsv @@ plainto_tsquery('english', 'number2')"))
        assert [r[0] for r in found] == ["note-002.txt"]
    assert stored["note-001.txt"].startswith("Note 1: the van was loaded at unit 1")
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as conn:
        hits = search.results(conn, collection.id, "number1", mode="bm25")
    assert [h["document"] for h in hits] == ["note-001.txt"]
