from __future__ import annotations

from typing import Any

import pytest

from leds.config import Settings
from leds.db.engine import get_engine
from leds.ingest.pipeline import Ingestor
from leds.quality import service

from ..factories import link, ndjson, person, ug
from .planted import EXPECTED, planted_lines


def ingest(settings: Settings, data: bytes) -> Any:
    lines = [(i, line) for i, line in enumerate(data.splitlines(), 1)]
    return Ingestor(settings).ingest_lines(iter(lines), "test")


def cells(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[int, int]]:
    return {(r["force"], r["source"], r["rule"]): (r["passed"], r["total"]) for r in rows}


def test_planted_defects_show_on_the_scorecard_to_the_record(settings: Settings) -> None:
    summary = ingest(settings, planted_lines())
    assert summary.quarantined == 1
    with get_engine(settings).connect() as conn:
        got = cells(service.scorecard(conn))
    for key, figures in EXPECTED.items():
        assert got[key] == figures, key
    # No defect that was not planted.
    assert got[("WYP", "NICHE-RMS", "person.sex.present")] == (10, 10)
    assert got[("DER", "NICHE", "person.sex.present")] == (10, 10)


def test_a_record_that_is_corrected_leaves_the_failures_and_the_counts_follow(settings: Settings) -> None:
    no_dob = person("P-1")
    del no_dob["data"]["birth_dates"]
    ingest(settings, ndjson([ug(1, no_dob, issued_at="2025-03-03T10:00:00Z")]))
    with get_engine(settings).connect() as conn:
        assert cells(service.scorecard(conn))[("WYP", "NICHE-RMS", "person.birth_date.present")] == (0, 1)
        assert service.changes(conn, rule="person.birth_date.present", period="2025-W10") == \
            {"new": 1, "resolved": 0, "persisting": 0}
    ingest(settings, ndjson([ug(2, person("P-1"), issued_at="2025-03-12T10:00:00Z")]))
    with get_engine(settings).connect() as conn:
        rows = service.scorecard(conn, period="week")
        week = {(r["period"], r["rule"]): (r["passed"], r["total"]) for r in rows}
        # The record now counts once, in the week of its current version.
        assert week[("2025-W11", "person.birth_date.present")] == (1, 1)
        assert ("2025-W10", "person.birth_date.present") not in week
        assert service.changes(conn, rule="person.birth_date.present", period="2025-W11") == \
            {"new": 0, "resolved": 1, "persisting": 0}
        assert service.failing_keys(conn, "person.birth_date.present", "WYP")[1] == 0


def test_an_older_version_arriving_late_does_not_change_the_current_quality(settings: Settings) -> None:
    no_dob = person("P-1")
    del no_dob["data"]["birth_dates"]
    ingest(settings, ndjson([ug(5, person("P-1")), ug(3, no_dob)]))
    with get_engine(settings).connect() as conn:
        got = cells(service.scorecard(conn))
    assert got[("WYP", "NICHE-RMS", "person.birth_date.present")] == (1, 1)
    assert got[("WYP", "NICHE-RMS", "ingest.accepted")] == (2, 2)


def test_a_deleted_record_leaves_the_scorecard(settings: Settings) -> None:
    ingest(settings, ndjson([ug(1, link("L-1", ("person", "P-1"), ("person", "P-2"), role="lodger"))]))
    ingest(settings, ndjson([ug(2, {"type": "link", "ref": "L-1"}, op="delete")]))
    with get_engine(settings).connect() as conn:
        got = cells(service.scorecard(conn))
        assert ("WYP", "NICHE-RMS", "code.standard") not in got
        assert got[("WYP", "NICHE-RMS", "ingest.accepted")] == (2, 2)
        assert service.failing_keys(conn, "code.standard", "WYP")[1] == 0


def test_scorecard_by_force_sums_its_sources(settings: Settings) -> None:
    ingest(settings, ndjson([ug(1, person("P-1")), ug(1, person("P-2"), source="CUSTODY")]))
    with get_engine(settings).connect() as conn:
        rows = service.scorecard(conn, by="force")
    got = {(r["force"], r["source"], r["rule"]): (r["passed"], r["total"]) for r in rows}
    assert got[("WYP", None, "person.birth_date.present")] == (2, 2)


def test_unknown_rule_is_refused_with_the_list(settings: Settings) -> None:
    from leds.errors import BadRequest

    with get_engine(settings).connect() as conn, pytest.raises(BadRequest, match="person.birth_date.present"):
        service.scorecard(conn, rule="person.shoe_size")


def test_recompute_with_duckdb_agrees_with_the_counters_kept_at_ingest(settings: Settings) -> None:
    from leds.quality.recompute import differences, recompute, replace

    ingest(settings, planted_lines())
    again = recompute(get_engine(settings))
    assert again.records == 32
    assert differences(get_engine(settings), again) == []
    replace(get_engine(settings), again)  # replacing with the same figures changes nothing
    with get_engine(settings).connect() as conn:
        got = cells(service.scorecard(conn))
        assert service.failing_keys(conn, "code.standard", "WYP")[1] == 4
    for key, figures in EXPECTED.items():
        assert got[key] == figures, key


def test_records_sharing_a_national_id_in_one_source_are_duplicates_after_a_recompute(settings: Settings) -> None:
    from leds.db.engine import write_transaction
    from leds.matching.tables import person_ids
    from leds.quality.framework import measures
    from leds.quality.recompute import differences, recompute, replace

    ingest(settings, planted_lines())
    engine = get_engine(settings)
    with engine.connect() as conn, write_transaction(conn):  # as a batch matching run would leave them
        conn.execute(person_ids.insert(), [
            {"rkey": rkey, "person_id": pid, "features": "{}", "assigned_by": "batch", "assigned_at": "2025-03-05"}
            for rkey, pid in [("WYP|NICHE-RMS|person|W-0", "NP-1"), ("WYP|NICHE-RMS|person|W-1", "NP-1"),
                              ("DER|NICHE|person|D-0", "NP-1"), ("DER|NICHE|person|D-1", "NP-2")]])
    again = recompute(engine)
    assert {(d["force"], d["rule"]) for d in differences(engine, again)} == {("WYP", "person.duplicate_in_source")}
    replace(engine, again)
    with engine.connect() as conn:
        got = cells(service.scorecard(conn))
        assert got[("WYP", "NICHE-RMS", "person.duplicate_in_source")] == (8, 10)
        assert got[("DER", "NICHE", "person.duplicate_in_source")] == (10, 10)  # one record per source
        assert sorted(k for k, _, _ in service.failing_keys(conn, "person.duplicate_in_source", "WYP")[0]) == \
            ["WYP|NICHE-RMS|person|W-0", "WYP|NICHE-RMS|person|W-1"]
        m = measures(conn)
    assert m["DER"]["measures"]["matching"]["value"] == 20.0  # 2 of its 10 people have a national id
    # A new record of the same source joining the id is flagged at ingest, and so is its twin.
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(person_ids.insert().values(rkey="DER|NICHE|person|D-new", person_id="NP-2", features="{}",
                                                assigned_by="batch", assigned_at="2025-03-05"))
    from ..factories import person, ug

    ingest(settings, ndjson([ug(11, person("D-new"), force="DER", source="NICHE")]))
    with engine.connect() as conn:
        assert cells(service.scorecard(conn))[("DER", "NICHE", "person.duplicate_in_source")] == (9, 11)
