"""Person checks, vehicle checks, descriptive search, the person and record views, and their
API: on SQLite and PostgreSQL, through the access policy, with every look-up audited."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from leds.access import identity
from leds.access.policy import AccessDenied, Principal, PurposeRequired
from leds.app import create_app
from leds.checks.models import PersonQuery, SearchQuery, VehicleQuery
from leds.checks.service import (
    Lookup,
    NotFound,
    person_check,
    person_view,
    record_view,
    search,
    vehicle_check,
)
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.ingest.pipeline import Ingestor, ingest_paths
from leds.records.state import rebuild, state_digest
from leds.search.tables import search_names
from leds.standard.validators import format_pnc_id, today

from .updategrams import ndjson, ug

PNC = format_pnc_id(1984, 123456)
P1 = "WYP|NICHE-RMS|person|P-1"
P2 = "WYP|NICHE-RMS|person|P-2"
P9 = "MPS|CONNECT|person|P-9"


def _rec(rtype: str, ref: str, data: dict[str, Any], dataset: str = "nominal",
         handling: str = "OFFICIAL-SENSITIVE") -> dict[str, Any]:
    return {"type": rtype, "ref": ref, "dataset": dataset, "handling": handling, "data": data}


def _link(ref: str, frm: tuple[str, str], to: tuple[str, str], role: str, dataset: str = "nominal",
          since: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"from": {"type": frm[0], "ref": frm[1]}, "to": {"type": to[0], "ref": to[1]}, "role": role}
    if since:
        data["valid_from"] = since
    return _rec("link", ref, data, dataset)


def _john(ref: str = "P-1", family: str = "Smith", alias: str = "Jonny") -> dict[str, Any]:
    return _rec("person", ref, {
        "names": [{"given": ["John", "Paul"], "family": family, "kind": "primary"},
                  {"given": [alias], "family": family, "kind": "alias"}],
        "birth_dates": ["1984-03-07"], "sex": "M", "pnc_id": PNC, "height_cm": 180,
        "marks": ["tattoo left forearm rose"]})


def wyp_records() -> list[dict[str, Any]]:
    recs = [
        _john(),
        _rec("marker", "M-1", {"subject": {"type": "person", "ref": "P-1"}, "code": "DR", "detail": "known user"}),
        _rec("marker", "M-2", {"subject": {"type": "person", "ref": "P-1"}, "code": "FI", "detail": "has a shotgun"}),
        _rec("location", "L-1", {"address": {"lines": ["1 Park Row"], "town": "Leeds", "postcode": "LS1 4AP"}}, "nominal",
             "OFFICIAL"),
        _link("K-1", ("person", "P-1"), ("location", "L-1"), "resides_at", since="2020-01-01"),
        _rec("vehicle", "V-1", {"vrm": "AB12 CDE", "make": "Ford", "model": "Focus", "colour": "Blue"}, "vehicle",
             "OFFICIAL"),
        _link("K-2", ("person", "P-1"), ("vehicle", "V-1"), "keeper", "vehicle"),
        _rec("event", "E-1", {"kind": "wanted", "occurred_at": "2025-01-02T10:00:00Z", "status": "active",
                              "description": "Wanted on warrant for failing to appear"}, "case"),
        _link("K-3", ("person", "P-1"), ("event", "E-1"), "subject", "case"),
        _rec("event", "E-2", {"kind": "bail", "occurred_at": "2025-02-01T10:00:00Z", "bail_until": "2099-01-01",
                              "conditions": ["curfew 7pm to 7am"], "description": "Bailed with conditions"}, "custody"),
        _link("K-4", ("person", "P-1"), ("event", "E-2"), "subject", "custody"),
        _rec("event", "E-3", {"kind": "intelligence", "occurred_at": "2024-06-01T10:00:00Z",
                              "description": "Seen dealing near the canal basin"}, "intelligence"),
        _link("K-5", ("person", "P-1"), ("event", "E-3"), "subject", "intelligence"),
        _rec("event", "E-4", {"kind": "arrest", "occurred_at": "2024-05-01T10:00:00Z",
                              "description": "Arrested on suspicion of burglary dwelling"}, "custody"),
        _link("K-6", ("person", "P-1"), ("event", "E-4"), "arrested", "custody"),
        _rec("person", "P-2", {"names": [{"given": ["Mary"], "family": "Jones", "kind": "primary"}],
                               "birth_dates": ["2010-01-01"], "sex": "F"}),
        _rec("event", "E-5", {"kind": "missing", "occurred_at": "2025-03-01T22:00:00Z", "risk": "high",
                              "description": "Did not return home from school"}, "missing"),
        _link("K-7", ("person", "P-2"), ("event", "E-5"), "subject", "missing"),
        _rec("event", "E-6", {"kind": "crime", "occurred_at": "2025-04-01T09:00:00Z",
                              "description": "Theft of motor vehicle from a driveway"}, "crime"),
        _link("K-8", ("event", "E-6"), ("vehicle", "V-1"), "involved", "crime"),
    ]
    return [ug(i, r) for i, r in enumerate(recs, 1)]


def mps_records() -> list[dict[str, Any]]:
    return [ug(1, _john("P-9", "Smyth", "Jon"), force="MPS", source="CONNECT")]


def _load(settings: Settings, docs: list[dict[str, Any]]) -> None:
    lines = [(i, line) for i, line in enumerate(ndjson(docs).splitlines(), 1)]
    s = Ingestor(settings).ingest_lines(iter(lines), "test")
    assert s.quarantined == 0, s.as_dict()


@pytest.fixture
def store(settings: Settings) -> Settings:
    _load(settings, wyp_records() + mps_records())
    return settings


def principal(role: str = "investigator", force: str = "WYP", vetting: str = "SC") -> Principal:
    return Principal(id=f"user:{role}-{force}", roles=frozenset({role}), force=force, vetting=vetting,
                     datasets=frozenset(identity.default_datasets([role])))


class Audit(list):  # type: ignore[type-arg]
    def __call__(self, event: Any) -> int:
        self.append(event)
        return len(self)


def lookup(role: str = "investigator", force: str = "WYP", purpose: str = "incident_response",
           reason: str | None = None) -> tuple[Lookup, Audit]:
    audit = Audit()
    return Lookup(principal(role, force), purpose, reason, audit), audit


# -- person check ------------------------------------------------------------------------
def test_person_check_finds_the_person_with_markers_first_and_every_fact_sourced(store: Settings) -> None:
    lk, audit = lookup()
    with get_engine(store).connect() as conn:
        out = person_check(conn, lk, PersonQuery(surname="smith", forename="Jonny", dob="1984-03-07"))
    assert out["scored_by"] == "field agreement"  # no model has been trained on this store
    top = out["candidates"][0]
    assert top["person_id"] == P1 and top["markers"] == ["DR", "FI"] and top["confidence"] > 0.99
    assert {e["comparison"] for e in top["explanation"]} >= {"surname", "forename", "dob"}
    s = out["summary"]
    assert [m["code"] for m in s["markers"]] == ["FI", "DR"]  # firearms before drugs
    assert [w["description"] for w in s["status"]["wanted"]] == ["Wanted on warrant for failing to appear"]
    assert s["status"]["bail"][0]["conditions"] == ["curfew 7pm to 7am"]
    assert s["status"]["custody"][0]["kind"] == "arrest" and s["status"]["missing"] == []
    assert s["last_address"]["address"]["postcode"] == "LS1 4AP"
    assert [v["vrm"] for v in s["vehicles"]] == ["AB12CDE"]
    assert {n["text"] for n in s["identity"]["names"]} == {"John Paul Smith", "Jonny Smith"}
    assert s["counts"] == {"case": 2, "custody": 4, "intelligence": 2, "nominal": 5, "vehicle": 2}
    for fact in [*s["markers"], *s["events"], *s["vehicles"], s["last_address"],
                 *(src for n in s["identity"]["names"] for src in n["sources"])]:
        assert fact["force"] == "WYP" and fact["source"] == "NICHE-RMS" and fact["rkey"] and fact["date"]
    # The other force's record of the same man (same PNC ID) is a candidate too.
    assert P9 in [c["person_id"] for c in out["candidates"]]


def test_one_check_is_one_audit_entry_naming_every_record_shown(store: Settings) -> None:
    lk, audit = lookup(purpose="investigation", reason="crime 13/4455/25")
    with get_engine(store).connect() as conn:
        out = person_check(conn, lk, PersonQuery(surname="Smith", dob="1984-03-07"))
    assert len(audit) == 1
    e = audit[0]
    assert (e.action, e.purpose, e.reason, e.detail["kind"]) == ("consultation", "investigation", "crime 13/4455/25",
                                                                 "person check")
    assert e.detail["query"] == {"surname": "Smith", "dob": "1984-03-07"}
    shown = {P1, *(m["rkey"] for m in out["summary"]["markers"]), *(x["rkey"] for x in out["summary"]["events"])}
    assert shown <= set(e.subjects)


def test_a_check_without_a_reason_or_by_a_role_without_checks_is_refused(store: Settings) -> None:
    with get_engine(store).connect() as conn:
        lk, audit = lookup(purpose="investigation")  # needs a case reference
        with pytest.raises(PurposeRequired):
            person_check(conn, lk, PersonQuery(surname="Smith"))
        lk, audit = lookup(role="intelligence_analyst")
        with pytest.raises(AccessDenied):
            person_check(conn, lk, PersonQuery(surname="Smith"))
        assert [e.action for e in audit] == ["denied"]


def test_another_force_does_not_see_force_only_intelligence(store: Settings) -> None:
    with get_engine(store).connect() as conn:
        mine = person_view(conn, lookup(force="WYP")[0], P1)
        theirs = person_view(conn, lookup(force="MPS")[0], P1)
    assert "intelligence" in {e["kind"] for e in mine["timeline"]}
    assert "intelligence" not in {e["kind"] for e in theirs["timeline"]}
    assert "intelligence" not in theirs["counts"]


def test_control_room_sees_markers_but_not_narratives(store: Settings) -> None:
    with get_engine(store).connect() as conn:
        out = person_check(conn, lookup(role="control_room")[0], PersonQuery(surname="Smith", forename="John"))
    s = out["summary"]
    assert [m["code"] for m in s["markers"]] == ["FI", "DR"] and all(m["detail"] is None for m in s["markers"])
    assert s["identity"]["marks"] == []  # redacted for this role
    assert all(e["description"] is None for e in s["events"])


def test_unknown_person_is_not_found(store: Settings) -> None:
    with get_engine(store).connect() as conn, pytest.raises(NotFound):
        person_view(conn, lookup()[0], "NP-0000000000")


def test_missing_status(store: Settings) -> None:
    with get_engine(store).connect() as conn:
        out = person_check(conn, lookup(role="missing_persons_coordinator")[0], PersonQuery(surname="Jones"))
    assert out["summary"]["status"]["missing"][0]["risk"] == "high"


# -- vehicle check -----------------------------------------------------------------------
@pytest.mark.parametrize("vrm", ["AB12 CDE", "ab12cde", "A812 CDE", "AB1Z CDE", "A B 1 2 C D E"])
def test_vehicle_check_tolerates_confused_characters(store: Settings, vrm: str) -> None:
    with get_engine(store).connect() as conn:
        out = vehicle_check(conn, lookup()[0], VehicleQuery(vrm=vrm))
    [v] = out["vehicles"]
    assert v["vrm"] == "AB12CDE"
    assert v["match"] == ("exact" if vrm.replace(" ", "").upper() == "AB12CDE" else "confusable")
    assert [(p["role"], p["person_id"], p["name"]) for p in v["people"]] == [("keeper", P1, "John Paul Smith")]
    assert [r["description"] for r in v["reports"]] == ["Theft of motor vehicle from a driveway"]


def test_vehicle_check_for_an_unknown_vrm_is_empty(store: Settings) -> None:
    with get_engine(store).connect() as conn:
        assert vehicle_check(conn, lookup()[0], VehicleQuery(vrm="ZZ99 ZZZ"))["vehicles"] == []


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
    two = _rec("person", "P-3", {"names": [{"given": ["Ann"], "family": "Blake"}],
                                 "birth_dates": ["1950-06-01", "1990-06-01"], "sex": "F"})
    _load(store, [ug(200, two)])
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
    _load(store, [ug(201, _rec("person", "P-3", {"names": [{"given": ["Ann"], "family": "Blake"}],
                                                 "birth_dates": ["1970-06-01"], "sex": "F"}))])
    assert _found(store, surname="Blake", dob="1970-06-01") == {p3}
    assert _found(store, surname="Blake", dob="1990-06-01") == set()


def test_a_surname_prefix_and_an_age_range_read_the_names_in_the_range(store: Settings) -> None:
    """The search by a surname prefix and an age range is a range of the (first three
    letters, date of birth) index, not a read of every name with the prefix."""
    from sqlalchemy.dialects import sqlite

    from leds.checks.service import _search_keys

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
    _load(settings, wyp_records() + mps_records())
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
    _load(store, [ug(300, {**_john(), "sharing": "force"})])  # WYP's eyes only now
    assert seen_by_mps() == ({P9}, {"MPS": 1}) and _found(store, surname="S*") >= {P1}
    _load(store, [ug(301, {**_john(), "handling": "SECRET"})])  # national again, above NPPV2
    assert seen_by_mps() == ({P9}, {"MPS": 1}) and _found(store, surname="S*") >= {P1}
    _load(store, [ug(302, _john())])
    assert seen_by_mps() == ({P1, P9}, {"WYP": 1, "MPS": 1})
    _load(store, [ug(303, {"type": "person", "ref": "P-1"}, op="delete")])
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
    _load(store, [ug(100, _john(alias="Johnny")), ug(101, {"type": "person", "ref": "P-2"}, op="delete")])
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


def test_record_view_has_provenance_and_versions(store: Settings) -> None:
    _load(store, [ug(100, _john(alias="Johnny"))])
    with get_engine(store).connect() as conn:
        out = record_view(conn, lookup()[0], P1)
        with pytest.raises(NotFound):
            record_view(conn, lookup(force="MPS")[0], "WYP|NICHE-RMS|event|E-3")  # force-only intelligence
    assert [v["sequence"] for v in out["versions"]] == [100, 1]
    assert out["record"]["force"] == "WYP" and out["record"]["data"]["names"][1]["given"] == ["Johnny"]


# -- the API -----------------------------------------------------------------------------
def _client(settings: Settings, role: str = "investigator", force: str = "WYP",
            scopes: list[str] | None = None) -> tuple[TestClient, dict[str, str]]:
    engine = get_engine(settings)
    name = f"{role.replace('_', '-')}-{force.lower()}"
    user = identity.get_user(engine, name) or identity.create_user(
        engine, name, roles=[role], force=force, vetting="SC", password="correct horse battery")
    token, _ = identity.issue_token(engine, user, scopes or ["check", "search", "view_person", "view_record"])
    return TestClient(create_app(settings)), {"Authorization": f"Bearer {token}"}


def test_api_person_and_vehicle_checks_search_person_and_provenance(store: Settings) -> None:
    client, auth = _client(store)
    r = client.post("/api/v1/checks/person", headers=auth,
                    json={"surname": "Smith", "dob": "1984-03-07", "purpose": "incident_response"})
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["markers"][0]["code"] == "FI"
    r = client.post("/api/v1/checks/vehicle", headers=auth, json={"vrm": "AB12 CD3", "purpose": "incident_response"})
    assert r.status_code == 200 and r.json()["vehicles"] == []
    r = client.post("/api/v1/checks/vehicle", headers=auth, json={"vrm": "A812CDE", "purpose": "incident_response"})
    assert r.json()["vehicles"][0]["people"][0]["person_id"] == P1
    r = client.post("/api/v1/search", headers=auth, json={"surname": "Smi*", "age_from": 30, "age_to": 50,
                                                          "purpose": "incident_response"})
    assert [x["rkey"] for x in r.json()["results"]] == [P1]
    r = client.get(f"/api/v1/persons/{P1}", headers=auth, params={"purpose": "safeguarding"})
    assert r.status_code == 200 and r.json()["associations"]["vehicles"][0]["vrm"] == "AB12CDE"
    r = client.get(f"/api/v1/provenance/{P1}", headers=auth, params={"purpose": "safeguarding"})
    assert r.status_code == 200 and r.json()["versions"][0]["sequence"] == 1
    assert "/api/v1/checks/person" in client.get("/api/v1/openapi.json").json()["paths"]


INJECTIONS = ["<script>alert(1)</script>", "' OR 1=1 --", "\"; DROP TABLE records; --", "*\" OR \"a\"=\"a",
              "NEAR(a b)", "Robert'); DELETE FROM search_names;--", "%_%", "\\x00", "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ"]


@pytest.mark.parametrize("path,field", [
    ("/api/v1/checks/person", "surname"), ("/api/v1/checks/person", "forename"),
    ("/api/v1/checks/person", "postcode"), ("/api/v1/checks/person", "pnc_id"),
    ("/api/v1/checks/person", "reason"), ("/api/v1/checks/person", "person_id"),
    ("/api/v1/checks/vehicle", "vrm"), ("/api/v1/search", "surname"), ("/api/v1/search", "forename"),
    ("/api/v1/search", "marks"), ("/api/v1/search", "text"), ("/api/v1/search", "district"),
    ("/api/v1/search", "force"), ("/api/v1/search", "dataset"),
])
def test_injection_attempts_in_every_text_field_are_harmless(store: Settings, path: str, field: str) -> None:
    client, auth = _client(store)
    base: dict[str, Any] = {"purpose": "investigation", "reason": "case 1"}
    base.update({"surname": "Smith"} if path != "/api/v1/checks/vehicle" else {"vrm": "AB12CDE"})
    for attempt in INJECTIONS:
        r = client.post(path, headers=auth, json={**base, field: attempt})
        assert r.status_code in (200, 400, 404, 422), (attempt, r.status_code, r.text)
        if r.status_code == 200 and path == "/api/v1/search":
            assert r.json()["total"] <= 2
    with get_engine(store).connect() as conn:  # nothing was dropped or deleted
        assert len(conn.execute(select(search_names)).all()) == 5


def test_api_bad_input_gives_clear_4xx(store: Settings) -> None:
    client, auth = _client(store)
    check = "/api/v1/checks/person"
    r = client.post(check, headers=auth, json={"surname": "Smith"})
    assert r.status_code == 400 and "reason is required" in r.json()["detail"]
    r = client.post(check, headers=auth, json={"surname": "Smith", "purpose": "investigation"})
    assert r.status_code == 400 and "needs a short explanation" in r.json()["detail"]
    r = client.post(check, headers=auth, json={"surname": "Smith", "dob": "1984-13-45", "purpose": "safeguarding"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "dob"
    r = client.post(check, headers=auth, json={"surname": "Smith", "dob": "2999-01-01", "purpose": "safeguarding"})
    assert r.status_code == 422 and "future" in r.text
    r = client.post(check, headers=auth, json={"surname": "S" * 101, "purpose": "safeguarding"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "surname"
    r = client.post(check, headers={**auth, "Content-Type": "application/json"},
                    content=b'{"surname": "' + b"x" * 40_000 + b'", "purpose": "safeguarding"}')
    assert r.status_code == 413
    r = client.post(check, headers=auth, json={"sex": "M", "purpose": "safeguarding"})
    assert r.status_code == 422 and "at least a surname" in r.text
    r = client.post(check, headers=auth, json={"pnc_id": "1984/0123456X", "purpose": "safeguarding"})
    assert r.status_code == 422 and "check character" in r.text
    r = client.post(check, headers=auth, json={"surname": "Smith", "purpose": "safeguarding", "colour": "red"})
    assert r.status_code == 422  # unknown fields are refused, not ignored
    r = client.get("/api/v1/persons/NP-0000000000", headers=auth, params={"purpose": "safeguarding"})
    assert r.status_code == 404
    r = client.get("/api/v1/persons/NP-0000000000", headers=auth)
    assert r.status_code == 400
    r = client.post("/api/v1/search", headers=auth, json={"purpose": "safeguarding", "sex": "M"})
    assert r.status_code == 422 and "at least one of" in r.text
    r = client.post("/api/v1/search", headers=auth, json={"purpose": "safeguarding", "text": "!!! ???"})
    assert r.status_code == 400 and r.json()["detail"]["field"] == "text"
    r = client.post(check, headers={"Authorization": "Bearer nope"}, json={"surname": "Smith"})
    assert r.status_code == 401


def test_api_expired_session_and_missing_scope_and_role(store: Settings) -> None:
    engine = get_engine(store)
    client, _ = _client(store)
    user = identity.get_user(engine, "investigator-wyp")
    assert user is not None
    token, session = identity.create_session(engine, user)
    client.cookies.set("leds_session", token)
    body = {"surname": "Smith", "purpose": "safeguarding"}
    headers = {"X-CSRF-Token": session.csrf_token}
    assert client.post("/api/v1/checks/person", json=body, headers=headers).status_code == 200
    assert identity.resolve_session(engine, token).purpose == "safeguarding"  # type: ignore[union-attr]
    assert client.post("/api/v1/checks/person", json=body).status_code == 403  # no CSRF token
    identity.end_session(engine, token)
    r = client.post("/api/v1/checks/person", json=body, headers=headers)
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    client.cookies.clear()
    client, auth = _client(store, scopes=["search"])
    r = client.post("/api/v1/checks/person", headers=auth, json=body)
    assert r.status_code == 403 and "scopes" in r.json()["detail"]
    client, auth = _client(store, role="intelligence_analyst")
    assert client.post("/api/v1/checks/person", headers=auth, json=body).status_code == 403


# -- with a trained model, on a generated national sample -------------------------------
@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from leds.matching.batch import run_match
    from leds.synth import generate

    base = tmp_path_factory.mktemp("national")
    settings = Settings(home=base / "home")
    generate(base / "synth", persons=400, seed=21, progress=False)
    summary = ingest_paths(Ingestor(settings), sorted((base / "synth").rglob("*.ndjson")))
    assert summary.quarantined == 0
    run_match(settings)
    yield settings, base / "synth"
    dispose_all()


def test_a_check_finds_a_person_recorded_by_several_forces_as_one_national_person(national) -> None:  # type: ignore[no-untyped-def]
    settings, synth = national
    truth: dict[str, list[str]] = defaultdict(list)
    with (Path(synth) / "truth.csv").open() as f:
        for row in csv.DictReader(f):
            truth[row["true_person_id"]].append(f"{row['force']}|{row['source']}|person|{row['ref']}")
    engine = get_engine(settings)
    lk, _ = lookup(role="investigator")
    checked = found = 0
    from leds.matching.store import assignments

    with engine.connect() as conn:
        for rkeys in truth.values():
            if len({k.split("|")[0] for k in rkeys}) < 2:
                continue
            ids = assignments(conn, rkeys)
            if len(set(ids.values())) != 1:
                continue  # the matcher split this person: not what this test is about
            rec = record_view(conn, lk, rkeys[0])["record"]["data"]
            name = rec["names"][0]
            if not name.get("given") or not rec.get("birth_dates"):
                continue
            out = person_check(conn, lk, PersonQuery(surname=name["family"], forename=name["given"][0],
                                                     dob=rec["birth_dates"][0]))
            checked += 1
            top = out["candidates"][0]
            if top["person_id"] == ids[rkeys[0]]:
                found += 1
                assert out["scored_by"] == "model" and top["model_version"] == 1
                assert len({r["force"] for r in out["summary"]["records"]}) >= 2
            if checked == 25:
                break
    assert checked == 25 and found >= 24, (checked, found)


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


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="finding SQLite's descriptors needs Linux's /proc")
def test_serving_reads_the_store_without_readahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`leds serve` sets LEDS_SQLITE_RANDOM_READS=1: each new connection advises the kernel
    that its reads of the store are random."""
    import sqlite3

    from leds.db.engine import _advise_random

    db = tmp_path / "store.sqlite3"
    other = sqlite3.connect(db)
    assert _advise_random(str(db)) >= 1  # the descriptor this process has open on it
    assert _advise_random(str(tmp_path / "not-open.sqlite3")) == 0
    other.close()
    monkeypatch.setenv("LEDS_SQLITE_RANDOM_READS", "1")
    engine = get_engine(Settings(home=tmp_path / "home"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM search_names").scalar_one() == 0


def test_prewarm_reads_the_lookup_tables_in_order_and_stops_at_its_budget(store: Settings) -> None:
    """`leds serve` prewarms the tables look-ups read (SQLite); the log, keystore, history,
    audit trail and the matcher's features are never read; the budget is kept."""
    from leds.db.prewarm import LOOKUP_TABLES, prewarm

    engine = get_engine(store)
    report = prewarm(engine)
    if engine.dialect.name != "sqlite":
        assert report.btrees == [] and report.bytes == 0  # PostgreSQL keeps its own buffers
        return
    names = [n for n, _ in report.btrees]
    assert names[0] == "ix_search_names_family" and names[-1] == "records" and not report.skipped
    assert {"records", "sqlite_autoindex_records_1", "ix_record_refs_target", "ix_person_ids_rkey_person_id",
            "search_persons", "search_text_fts_data"} <= set(names)
    assert not {"log", "record_keys", "record_versions", "person_ids", "audit_entries", "audit_subjects"} & set(names)
    assert all(size > 0 for _, size in report.btrees)
    # Each b-tree in the order of LOOKUP_TABLES: its indexes, then itself.
    owners = [next(t for t in LOOKUP_TABLES if n == t or n.startswith(("ix_" + t, "sqlite_autoindex_" + t))
                   or (t == "search_text" and n.startswith("search_text_fts"))) for n in names]
    assert owners == sorted(owners, key=LOOKUP_TABLES.index)
    small = prewarm(engine, budget=1)
    assert len(small.btrees) == 1 and small.bytes <= 4096 * 2 and small.skipped == names[1:]


def test_serving_parses_the_matching_model_at_start_up(national) -> None:  # type: ignore[no-untyped-def]
    """The model (megabytes of JSON at national scale) is parsed when the app starts, not by
    the first person check each worker answers."""
    from leds.checks import service
    from leds.matching import store as model_store

    settings, _ = national
    url = str(get_engine(settings).url)
    model_store._PARSED.clear()
    service._VERSION_CACHE.clear()
    app = create_app(settings)
    assert not any(k[0] == url for k in model_store._PARSED)
    with TestClient(app):
        assert any(k[0] == url for k in model_store._PARSED)
