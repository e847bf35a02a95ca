"""Descriptive search and its index: on SQLite and PostgreSQL, through the access policy."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select

from leds.access.lookup import Lookup
from leds.checks.models import PersonQuery, SearchQuery
from leds.checks.service import person_check
from leds.config import Settings
from leds.db.engine import get_engine
from leds.records.state import rebuild, state_digest
from leds.search.service import search
from leds.search.tables import search_names
from leds.standard.validators import today

from ..callers import Audit, lookup, principal
from ..factories import (
    P1,
    P2,
    P9,
    john,
    load,
    mps_records,
    rec,
    ug,
    wyp_records,
)


# -- descriptive search ------------------------------------------------------------------
def _found(settings: Settings, **query: Any) -> set[str]:
    with get_engine(settings).connect() as conn:
        return {r["rkey"] for r in search(conn, lookup()[0], SearchQuery(**query))["results"]}


def test_search_by_partial_name_age_range_phonetic_marks_district_and_text(store: Settings) -> None:
    assert _found(store, surname="Smi*", age_from=30, age_to=50) == {P1}
    assert _found(store, surname="Sm?th") == {P1, P9}
    assert _found(store, surname="Smith", phonetic=True) == {P1, P9}  # Smyth sounds the same
    assert _found(store, surname="Smith") == {P1}
    assert _found(store, forename="Jonny") == {P1}  # an alias
    assert _found(store, surname="Smi*", age_from=0, age_to=20) == set()
    assert _found(store, marks="forearm rose") == {P1, P9}
    assert _found(store, district="LS1") == {P1}
    assert _found(store, text="burglary") == {P1}
    assert _found(store, text="canal") == {P1}  # intelligence, visible to its own force
    assert _found(store, height_from=175, height_to=185, sex="M") == {P1, P9}
    assert _found(store, surname="Sm*", force="MPS") == {P9}


def test_a_record_with_several_dates_of_birth_is_found_by_each(store: Settings) -> None:
    """Name rows carry the record's earliest and latest date of birth (migration 0005); a
    record with several is found by any of them, not by a date between them."""
    two = rec("person", "P-3", {"names": [{"given": ["Ann"], "family": "Blake"}],
                                 "birth_dates": ["1950-06-01", "1990-06-01"], "sex": "F"})
    load(store, [ug(200, two)])
    p3 = "WYP|NICHE-RMS|person|P-3"
    assert _found(store, surname="Blake", dob="1990-06-01") == {p3}
    assert _found(store, surname="Bla*", dob="1950-06-01") == {p3}
    assert _found(store, surname="Bla*", dob="1970-06-01") == set()  # between the two: not a date of hers
    age = today().year - 1990
    assert _found(store, surname="Blake", age_from=age - 2, age_to=age + 2) == {p3}
    assert _found(store, surname="Blake", age_from=age + 8, age_to=age + 12) == set()
    # A prefix and an age range (the (first three letters, date of birth) indexes): by
    # either date, from either end of the range, never between the two.
    assert _found(store, surname="Bla*", age_from=age - 2, age_to=age + 2) == {p3}
    assert _found(store, surname="Blak*", age_from=age + 38, age_to=age + 42) == {p3}
    assert _found(store, surname="Bla*", age_from=age + 8, age_to=age + 12) == set()
    assert _found(store, surname="Bla*", age_to=age - 5) == set()
    assert _found(store, surname="Bla*", age_from=age + 38) == {p3}
    assert _found(store, surname="Blo*", age_from=age - 2, age_to=age + 2) == set()
    with get_engine(store).connect() as conn:
        found = person_check(conn, lookup()[0], PersonQuery(surname="Blake", forename="Ann", dob=date(1950, 6, 1)))
        assert [c["person_id"] for c in found["candidates"]] == [p3]
        assert person_check(conn, lookup()[0], PersonQuery(surname="Blake", dob=date(1970, 6, 1)))["candidates"] == []
    # An update moves the dates the index holds.
    load(store, [ug(201, rec("person", "P-3", {"names": [{"given": ["Ann"], "family": "Blake"}],
                                                 "birth_dates": ["1970-06-01"], "sex": "F"}))])
    assert _found(store, surname="Blake", dob="1970-06-01") == {p3}
    assert _found(store, surname="Blake", dob="1990-06-01") == set()


def test_a_surname_prefix_and_an_age_range_read_the_names_in_the_range(store: Settings) -> None:
    """The search by a surname prefix and an age range is a range of the (first three
    letters, date of birth) index, not a read of every name with the prefix."""
    from sqlalchemy.dialects import sqlite

    from leds.search.service import _search_keys

    if get_engine(store).dialect.name != "sqlite":
        pytest.skip("reads SQLite's plan; PostgreSQL plans by its statistics (a handful of rows here: a scan)")
    with get_engine(store).connect() as conn:
        stmt = _search_keys(conn, SearchQuery(surname="Smi*", age_from=30, age_to=50), principal())
        compiled = stmt.compile(dialect=sqlite.dialect())
        params = compiled.construct_params()
        plan = " / ".join(r[3] for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + str(compiled), tuple(params[k] for k in compiled.positiontup)))
    assert "ix_search_names_family3_dob (<expr>=? AND dob_lo>? AND dob_lo<?)" in plan, plan
    assert "ix_search_names_family3_dobs" in plan, plan


def _index_rows_around(engine: Engine, revision: str) -> tuple[Any, Any]:
    """The search_names and search_persons rows, before and after downgrading the store to
    ``revision`` and upgrading it to head again."""
    from alembic import command

    from leds.db.migrate import alembic_config
    from leds.search.tables import search_persons

    def rows() -> tuple[list[Any], list[Any]]:
        with engine.connect() as conn:
            return sorted(conn.execute(select(search_names)).all()), sorted(conn.execute(select(search_persons)).all())

    before = rows()
    command.downgrade(alembic_config(engine), revision)
    command.upgrade(alembic_config(engine), "head")
    return before, rows()


def test_upgrading_a_store_fills_the_name_rows_dates_and_the_persons_access_columns(store: Settings) -> None:
    before, after = _index_rows_around(get_engine(store), "0004")
    assert after == before and any(r.dob_lo == "1984-03-07" == r.dob_hi for r in after[0])
    assert {(r.rkey, r.force, r.sharing, r.family, r.given) for r in after[1]} >= {
        (P1, "WYP", "national", "smith", "john paul")}
    assert _found(store, surname="Smi*", age_from=30, age_to=50) == {P1}


def test_a_store_indexed_before_later_columns_is_backfilled_then_filled(settings: Settings) -> None:
    """From 0003 (records, no search index) to head: 0004's backfill writes the columns the
    index had then, and the later migrations fill theirs."""
    load(settings, wyp_records() + mps_records())
    before, after = _index_rows_around(get_engine(settings), "0003")
    assert after == before and len(after[1]) == 3


def _access_copies_agree(settings: Settings) -> int:
    """Every search_persons row carries its record's access columns; deleted records have none."""
    from leds.db.schema import records
    from leds.search.tables import search_persons as sp

    with get_engine(settings).connect() as conn:
        rows = conn.execute(select(sp.c.rkey, sp.c.force, sp.c.dataset, sp.c.handling, sp.c.sharing,
                                   records.c.force, records.c.dataset, records.c.handling, records.c.sharing,
                                   records.c.deleted).join(records, records.c.rkey == sp.c.rkey)).all()
        persons = conn.execute(select(records.c.rkey).where(records.c.rtype == "person",
                                                            records.c.deleted.is_(False))).scalars().all()
    assert sorted(r[0] for r in rows) == sorted(persons)
    for r in rows:
        assert tuple(r[1:5]) == tuple(r[5:9]) and not r[9], r
    return len(rows)


def test_search_follows_a_records_sharing_and_handling_as_they_change(store: Settings) -> None:
    mps = Lookup(principal(force="MPS", vetting="NPPV2"), "incident_response", None, Audit())  # to OFFICIAL-SENSITIVE

    def seen_by_mps() -> tuple[set[str], dict[str, int]]:
        with get_engine(store).connect() as conn:
            out = search(conn, mps, SearchQuery(surname="S*"))
        return {r["rkey"] for r in out["results"]}, out["facets"]["force"]

    assert seen_by_mps() == ({P1, P9}, {"WYP": 1, "MPS": 1})
    load(store, [ug(300, {**john(), "sharing": "force"})])  # WYP's eyes only now
    assert seen_by_mps() == ({P9}, {"MPS": 1}) and _found(store, surname="S*") >= {P1}
    load(store, [ug(301, {**john(), "handling": "SECRET"})])  # national again, above NPPV2
    assert seen_by_mps() == ({P9}, {"MPS": 1}) and _found(store, surname="S*") >= {P1}
    load(store, [ug(302, john())])
    assert seen_by_mps() == ({P1, P9}, {"WYP": 1, "MPS": 1})
    load(store, [ug(303, {"type": "person", "ref": "P-1"}, op="delete")])
    assert seen_by_mps() == ({P9}, {"MPS": 1})
    assert _access_copies_agree(store) == 2


def test_visible_keys_over_an_index_refuses_a_type_filter(store: Settings) -> None:
    from leds.access.policy import visible_keys
    from leds.search.tables import search_persons

    with get_engine(store).connect() as conn, pytest.raises(ValueError, match="one type of record"):
        visible_keys(conn, principal(), "incident_response", select(search_persons.c.rkey),
                     index=search_persons, rtype="person")


def test_search_pages_and_facets(store: Settings) -> None:
    with get_engine(store).connect() as conn:
        out = search(conn, lookup()[0], SearchQuery(surname="S*", per_page=1))
        page2 = search(conn, lookup()[0], SearchQuery(surname="S*", per_page=1, page=2))
    assert (out["total"], out["pages"]) == (2, 2)
    assert out["facets"]["force"] == {"MPS": 1, "WYP": 1} and out["facets"]["sex"] == {"M": 2}
    assert {out["results"][0]["rkey"], page2["results"][0]["rkey"]} == {P1, P9}


def test_search_hides_what_the_caller_may_not_see_even_in_counts(store: Settings) -> None:
    with get_engine(store).connect() as conn:
        out = search(conn, lookup(force="MPS")[0], SearchQuery(text="canal"))
    assert out["total"] == 0 and out["results"] == [] and out["facets"]["force"] == {}


def test_index_follows_updates_deletes_and_rebuild(store: Settings) -> None:
    load(store, [ug(100, john(alias="Johnny")), ug(101, {"type": "person", "ref": "P-2"}, op="delete")])
    assert _found(store, forename="Jonny") == set() and _found(store, forename="Johnny") == {P1}
    assert _found(store, surname="Jones") == set()
    engine = get_engine(store)
    before = state_digest(engine)
    with engine.connect() as conn:
        n = conn.execute(select(search_names)).all()
    rebuild(engine)
    assert state_digest(engine) == before
    with engine.connect() as conn:
        assert sorted(conn.execute(select(search_names)).all()) == sorted(n)
    assert _found(store, text="burglary") == {P1}  # the full-text index is rebuilt too


def test_search_counts_stop_at_the_cap_and_say_so(store: Settings) -> None:
    from leds.access.policy import visible_keys
    from leds.search.tables import search_persons

    with get_engine(store).connect() as conn:
        page, facets, total, more = visible_keys(conn, principal(), "incident_response",
                                                 select(search_persons.c.rkey), rtype="person", cap=1)
        assert (len(page), total, more) == (1, 1, True)
        page, facets, total, more = visible_keys(conn, principal(), "incident_response",
                                                 select(search_persons.c.rkey), rtype="person", cap=10)
        assert (sorted(page), total, more) == (sorted([P1, P2, P9]), 3, False)
        assert facets["force"] == {"MPS": 1, "WYP": 2}
