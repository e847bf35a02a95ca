"""Person checks and vehicle checks, and the API that serves them: on SQLite and PostgreSQL,
through the access policy, with every look-up audited."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from leds.access import identity
from leds.access.policy import AccessDenied, PurposeRequired
from leds.app import create_app
from leds.checks.models import PersonQuery, VehicleQuery
from leds.checks.service import (
    person_check,
    vehicle_check,
)
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.records.service import record_view
from leds.search.tables import search_names

from ..callers import api_client, lookup
from ..factories import P1, P9, PNC, ingest_files, synth_files


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


def test_a_check_by_pnc_id_and_date_of_birth_without_a_name_finds_the_person(store: Settings) -> None:
    # Found by the API contract test: the two candidate reads, each with its own limit, made a
    # UNION that SQLite refused (a 500).
    lk, _ = lookup()
    with get_engine(store).connect() as conn:
        out = person_check(conn, lk, PersonQuery(pnc_id=PNC, dob="1984-03-07"))
    assert {c["person_id"] for c in out["candidates"][:2]} == {P1, P9}  # one man, recorded by two forces


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


def test_control_room_sees_markers_but_not_narratives(store: Settings) -> None:
    with get_engine(store).connect() as conn:
        out = person_check(conn, lookup(role="control_room")[0], PersonQuery(surname="Smith", forename="John"))
    s = out["summary"]
    assert [m["code"] for m in s["markers"]] == ["FI", "DR"] and all(m["detail"] is None for m in s["markers"])
    assert s["identity"]["marks"] == []  # redacted for this role
    assert all(e["description"] is None for e in s["events"])


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


# -- the API -----------------------------------------------------------------------------
def test_api_person_and_vehicle_checks_search_person_and_provenance(store: Settings) -> None:
    client, auth = api_client(store)
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
    client, auth = api_client(store)
    base: dict[str, Any] = {"purpose": "investigation", "reason": "case 1"}
    base.update({"surname": "Smith"} if path != "/api/v1/checks/vehicle" else {"vrm": "AB12CDE"})
    for attempt in INJECTIONS:
        r = client.post(path, headers=auth, json={**base, field: attempt})
        assert r.status_code in (200, 400, 404, 422), (attempt, r.status_code, r.text)
        if r.status_code == 200 and path == "/api/v1/search":
            assert r.json()["total"] <= 2
    with get_engine(store).connect() as conn:  # nothing was dropped or deleted
        assert len(conn.execute(select(search_names)).all()) == 5


def test_a_date_sent_as_a_number_is_refused_not_read_as_1970(store: Settings) -> None:
    """The schema says a date is text; pydantic alone would read a number as seconds since 1970
    (the contract test's case: a search by "dob": -2.3e-104 answered 200)."""
    client, auth = api_client(store)
    for path, body in (("/api/v1/search", {"dob": -2.3201186071621272e-104}),
                       ("/api/v1/checks/person", {"surname": "Smith", "dob": 0})):
        r = client.post(path, headers=auth, json={**body, "purpose": "safeguarding"})
        assert r.status_code == 422 and "YYYY-MM-DD" in r.text, (path, r.status_code, r.text)
    r = client.post("/api/v1/search", headers=auth, json={"dob": "1984-03-07", "purpose": "safeguarding"})
    assert r.status_code == 200


def test_api_bad_input_gives_clear_4xx(store: Settings) -> None:
    client, auth = api_client(store)
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
    client, _ = api_client(store)
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
    client, auth = api_client(store, scopes=["search"])
    r = client.post("/api/v1/checks/person", headers=auth, json=body)
    assert r.status_code == 403 and "scopes" in r.json()["detail"]
    client, auth = api_client(store, role="intelligence_analyst")
    assert client.post("/api/v1/checks/person", headers=auth, json=body).status_code == 403


# -- with a trained model, on a generated national sample -------------------------------
@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from leds.matching.batch import run_match

    base = tmp_path_factory.mktemp("national")
    settings = Settings(home=base / "home")
    ingest_files(settings, synth_files(base / "synth", 400, 21))
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
    from leds.matching import scoring
    from leds.matching import store as model_store

    settings, _ = national
    url = str(get_engine(settings).url)
    model_store._PARSED.clear()
    scoring._VERSION_CACHE.clear()
    app = create_app(settings)
    assert not any(k[0] == url for k in model_store._PARSED)
    with TestClient(app):
        assert any(k[0] == url for k in model_store._PARSED)
