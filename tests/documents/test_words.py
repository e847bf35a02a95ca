"""The word half's dynamic stop list: common words rescore what the rare ones find."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leds.config import Settings
from leds.db.engine import get_engine
from leds.documents import cases, search, words
from leds.documents.ingest import Report, ingest

FILLER = ["the van", "a parcel", "the rota", "his brother", "the garage", "a taxi", "the landlord", "the shift"]


def _notes(files: Path) -> None:
    """Forty notes, a third about a meeting, some with minutes or an agenda; two about a zeppelin."""
    for i in range(40):
        extra = (" The minutes were typed up." if i % 4 == 0 else "") + (" The agenda was short." if i % 6 == 0 else "")
        place = "meeting" if i % 3 == 0 else "office"
        (files / f"note-{i:02d}.txt").write_text(f"Went to the {place} about {FILLER[i % 8]} on day {i}.{extra}")
    (files / "zeppelin-and-meeting.txt").write_text("Went to the meeting about the zeppelin on day 50.")
    (files / "zeppelin-only.txt").write_text("Saw the zeppelin over the garage on day 51.")


def test_a_very_common_word_does_not_stop_a_rare_word_s_documents_being_found_first(
        settings: Settings, collection: cases.Collection, files: Path, read_in: Callable[..., Report]) -> None:
    _notes(files)
    read_in(files, words_only=True)
    with get_engine(settings).connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            df = words.frequencies(conn, ["meetings", "zeppelin", "nowhere"])
            assert df == {"meetings": 15, "zeppelin": 2, "nowhere": 0}  # stemmed as indexed
            assert words.plan(df, 42) == (["zeppelin"], ["meetings"])  # in 15 of 42 chunks
        got = [h["document"] for h in search.results(conn, collection.id, "meeting zeppelin", mode="bm25", limit=50)]
    # the common word still ranks: the note with both words comes first
    assert got[0] == "zeppelin-and-meeting.txt" and "zeppelin-only.txt" in got
    if sqlite:  # (PostgreSQL's path ORs the words, as before)
        assert got == ["zeppelin-and-meeting.txt", "zeppelin-only.txt"]  # the 14 with only the common word were never ranked


def test_a_query_of_only_common_words_still_answers_with_the_notes_holding_them_all_first(
        settings: Settings, collection: cases.Collection, files: Path, read_in: Callable[..., Report]) -> None:
    _notes(files)
    read_in(files, words_only=True)
    with get_engine(settings).connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            assert words.plan(words.frequencies(conn, ["meeting", "minutes", "agenda"]), 42)[0] == []
        got = [h["document"] for h in search.results(conn, collection.id, "meeting minutes agenda", mode="bm25",
                                                     limit=50)]
    all_three = {f"note-{i:02d}.txt" for i in range(0, 40, 12)}
    assert set(got[:len(all_three)]) == all_three
    # SQLite then drops the most common word at a time, down to the rarest ("agenda", 7 notes);
    # PostgreSQL ORs them (every note with any of the words)
    assert len(got) == (7 if sqlite else 21)


def test_a_small_collection_finds_its_chunks_when_another_collection_outranks_them_all(
        settings: Settings, collection: cases.Collection, files: Path, read_in: Callable[..., Report],
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine(settings)
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: this is the SQLite ranking's over-fetch (FTS5 ranks the whole index, then "
                    "filters by collection); PostgreSQL filters by collection inside its query, so no other "
                    "collection can crowd this one out")
    with engine.begin() as conn:
        other = cases.create(conn, "op-other", title="Other", case_ref="OP/OTHER", handling="OFFICIAL",
                             team=["alice"], by="test")
    for i in range(10):
        (files / f"short-{i}.txt").write_text(f"Zeppelin {i}.")
    ingest(engine, other, [str(files)])
    mine = files / "mine"
    mine.mkdir()
    for i in range(2):
        (mine / f"long-{i}.txt").write_text(f"On day {i} the long slow zeppelin drifted over the garage, the van, "
                                            "the rota and the landlord's yard before the shift ended.")
    read_in(mine, words_only=True)
    # FTS5 alone ranks the other collection's ten short notes first; with no room to spare the
    # look-up of every match's collection must take over
    monkeypatch.setattr(words, "OVER", 1)
    with engine.connect() as conn:
        got = words.bm25(conn, collection.id, ["zeppelin"], 2)
        assert sorted(got) == sorted(search.bm25(conn, collection.id, "zeppelin", 50))
    assert len(got) == 2
