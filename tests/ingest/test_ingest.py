"""Ingest, the log and the projections: the contract's semantics on both stores."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select, update

from leds.config import Settings
from leds.db.engine import get_engine
from leds.db.schema import log, quarantine, record_keys, record_refs, record_versions, records
from leds.ingest.pipeline import Ingestor, Summary, ingest_paths
from leds.records.state import rebuild, state_digest
from leds.standard import validators

from ..factories import link, marker, mixed_population, ndjson, person, ug, vehicle


def ingest(settings: Settings, data: bytes, tmp_path: Path, name: str = "in.ndjson", **kw) -> Summary:
    path = tmp_path / name
    path.write_bytes(data)
    return ingest_paths(Ingestor(settings, **kw), [path])


def digest(settings: Settings) -> str:
    return state_digest(get_engine(settings))


def current(settings: Settings, rkey: str):
    with get_engine(settings).connect() as c:
        return c.execute(select(records).where(records.c.rkey == rkey)).mappings().first()


def open_quarantine(settings: Settings) -> list[dict]:
    with get_engine(settings).connect() as c:
        rows = c.execute(select(quarantine).where(quarantine.c.status == "open").order_by(quarantine.c.id))
        return [dict(r) for r in rows.mappings()]


def test_valid_updategrams_are_logged_and_projected(settings: Settings, tmp_path: Path) -> None:
    s = ingest(settings, ndjson([ug(1, person("P-1", pnc_id="1984/0123456U")), ug(2, vehicle("V-1", "ab12 cde"))]),
               tmp_path)
    assert (s.accepted, s.quarantined, s.duplicates) == (2, 0, 0)
    p = current(settings, "WYP|NICHE-RMS|person|P-1")
    assert p is not None and not p["deleted"] and p["sequence"] == 1
    assert orjson.loads(p["data"])["names"][0]["family"] == "Smith"
    v = current(settings, "WYP|NICHE-RMS|vehicle|V-1")
    assert orjson.loads(v["data"])["vrm"] == "AB12CDE", "VRM is normalised"
    with get_engine(settings).connect() as c:
        assert c.execute(select(func.count()).select_from(log)).scalar_one() == 2
        assert c.execute(select(func.count()).select_from(record_versions)).scalar_one() == 2


def test_same_file_twice_gives_same_digest_and_counts_duplicates(settings: Settings, tmp_path: Path) -> None:
    data = ndjson(mixed_population(40))
    first = ingest(settings, data, tmp_path)
    d1 = digest(settings)
    second = ingest(settings, data, tmp_path)
    assert second.accepted == 0
    assert second.duplicates == first.accepted
    assert digest(settings) == d1


def test_shuffled_lines_give_same_digest(settings: Settings, tmp_path: Path) -> None:
    docs = mixed_population(60)
    ingest(settings, ndjson(docs), tmp_path)
    in_order = digest(settings)

    other = Settings(home=tmp_path / "other")  # a second, SQLite store
    shuffled = docs[:]
    random.Random(3).shuffle(shuffled)
    ingest(other, ndjson(shuffled), tmp_path, name="shuffled.ndjson", batch_size=7)
    assert digest(other) == in_order, "arrival order and batch boundaries must not change the state"


def test_rebuild_reproduces_the_digest(settings: Settings, tmp_path: Path) -> None:
    docs = mixed_population(50)
    docs.append(ug(len(docs) + 1, {"type": "vehicle", "ref": "V-0"}, op="delete"))
    docs.append(ug(len(docs) + 1, link("L-parked", ("person", "P-1"), ("person", "P-not-yet"), role="associate")))
    ingest(settings, ndjson(docs), tmp_path)
    before = digest(settings)
    report = rebuild(get_engine(settings), batch_size=13)
    assert report.replayed == report.log_entries == len(docs)
    assert digest(settings) == before


def test_older_sequence_never_overwrites_newer_but_is_kept_in_history(settings: Settings, tmp_path: Path) -> None:
    newer = ug(9, person("P-1", family="Jones"))
    older = ug(4, person("P-1", family="Smith"))
    ingest(settings, ndjson([newer]), tmp_path)
    s = ingest(settings, ndjson([older]), tmp_path, name="late.ndjson")
    assert s.accepted == 1
    p = current(settings, "WYP|NICHE-RMS|person|P-1")
    assert p["sequence"] == 9 and orjson.loads(p["data"])["names"][0]["family"] == "Jones"
    with get_engine(settings).connect() as c:
        seqs = c.execute(select(record_versions.c.sequence).where(
            record_versions.c.rkey == "WYP|NICHE-RMS|person|P-1").order_by(record_versions.c.sequence)).scalars().all()
    assert seqs == [4, 9]


def test_conflicting_duplicate_goes_to_quarantine(settings: Settings, tmp_path: Path) -> None:
    ingest(settings, ndjson([ug(1, person("P-1", family="Smith"))]), tmp_path)
    s = ingest(settings, ndjson([ug(1, person("P-1", family="Smyth"))]), tmp_path, name="again.ndjson")
    assert (s.accepted, s.quarantined, dict(s.by_reason)) == (0, 1, {"CONFLICT": 1})
    q = open_quarantine(settings)
    assert q[0]["reasons"] == '["CONFLICT"]' and "sequence 1" in q[0]["message"]
    assert b"Smyth" in q[0]["raw"], "the conflicting line is kept, not lost"
    assert orjson.loads(current(settings, "WYP|NICHE-RMS|person|P-1")["data"])["names"][0]["family"] == "Smith"


def test_delete_wins_over_an_older_upsert_that_arrives_later(settings: Settings, tmp_path: Path) -> None:
    ingest(settings, ndjson([ug(5, {"type": "person", "ref": "P-1"}, op="delete")]), tmp_path)
    ingest(settings, ndjson([ug(2, person("P-1"))]), tmp_path, name="late.ndjson")
    p = current(settings, "WYP|NICHE-RMS|person|P-1")
    assert p["deleted"] and p["data"] is None and p["sequence"] == 5


def test_link_to_a_record_not_yet_received_is_parked_until_it_arrives(settings: Settings, tmp_path: Path) -> None:
    s = ingest(settings, ndjson([ug(1, person("P-1")), ug(2, link("L-1", ("person", "P-1"), ("vehicle", "V-9")))]),
               tmp_path)
    assert s.accepted == 2 and s.quarantined == 0, "a dangling link is accepted, not rejected"
    with get_engine(settings).connect() as c:
        refs = {r.role: r.resolved for r in c.execute(select(record_refs).where(
            record_refs.c.rkey == "WYP|NICHE-RMS|link|L-1"))}
    assert refs == {"from": True, "to": False}
    ingest(settings, ndjson([ug(3, vehicle("V-9"))]), tmp_path, name="later.ndjson")
    with get_engine(settings).connect() as c:
        assert c.execute(select(func.count()).select_from(record_refs).where(
            record_refs.c.resolved.is_(False))).scalar_one() == 0


def test_marker_can_point_at_another_forces_record(settings: Settings, tmp_path: Path) -> None:
    m = marker("M-1", "P-77")
    m["data"]["subject"].update(force="MPS", source="CONNECT")
    ingest(settings, ndjson([ug(1, m), ug(1, person("P-77"), force="MPS", source="CONNECT")]), tmp_path)
    with get_engine(settings).connect() as c:
        r = c.execute(select(record_refs)).mappings().one()
    assert r["target"] == "MPS|CONNECT|person|P-77" and r["resolved"]


def test_log_payload_is_encrypted_per_record(settings: Settings, tmp_path: Path) -> None:
    ingest(settings, ndjson([ug(1, person("P-1", family="Zebedee-Unusual"))]), tmp_path)
    with get_engine(settings).connect() as c:
        payload = c.execute(select(log.c.payload)).scalar_one()
    assert b"Zebedee" not in payload


def test_destroying_a_records_key_erases_it_from_a_rebuild_without_rewriting_the_log(
        settings: Settings, tmp_path: Path) -> None:
    ingest(settings, ndjson([ug(1, person("P-1", family="Erased")), ug(2, person("P-2", family="Kept"))]), tmp_path)
    engine = get_engine(settings)
    with engine.begin() as c:
        c.execute(update(record_keys).where(record_keys.c.rkey == "WYP|NICHE-RMS|person|P-1")
                  .values(dek=None, shredded_at="2026-01-01T00:00:00Z"))
    report = rebuild(engine)
    assert (report.log_entries, report.replayed, report.erased) == (2, 1, 1)
    assert current(settings, "WYP|NICHE-RMS|person|P-1") is None
    assert current(settings, "WYP|NICHE-RMS|person|P-2") is not None
    s = ingest(settings, ndjson([ug(3, person("P-1", family="Again"))]), tmp_path, name="after.ndjson")
    assert dict(s.by_reason) == {"RECORD_ERASED": 1}


def test_retry_accepts_a_quarantined_line_once_it_is_valid(settings: Settings, tmp_path: Path) -> None:
    validators.set_clock(lambda: datetime(2026, 1, 1, tzinfo=UTC))
    try:
        s = ingest(settings, ndjson([ug(1, person("P-1", dob="2026-03-01"))]), tmp_path)
        assert dict(s.by_reason) == {"FUTURE_DATE": 1}
        # Time passes (or the standard is corrected): the same raw line is now valid.
        validators.set_clock(lambda: datetime(2026, 6, 1, tzinfo=UTC))
        r = Ingestor(settings).retry_quarantined()
        assert (r.accepted, r.quarantined) == (1, 0)
        assert open_quarantine(settings) == []
        assert current(settings, "WYP|NICHE-RMS|person|P-1") is not None
    finally:
        validators.set_clock(lambda: datetime.now(UTC))


def test_a_bad_line_sent_twice_is_one_quarantine_entry_seen_twice(settings: Settings, tmp_path: Path) -> None:
    ingest(settings, b"{not json\n", tmp_path)
    ingest(settings, b"{not json\n", tmp_path, name="again.ndjson")
    q = open_quarantine(settings)
    assert len(q) == 1 and q[0]["times_seen"] == 2


def test_sender_may_only_submit_for_its_own_force(settings: Settings, tmp_path: Path) -> None:
    s = ingest(settings, ndjson([ug(1, person("P-1"), force="WYP"), ug(1, person("P-1"), force="MPS")]), tmp_path,
               allowed_force="WYP")
    assert s.accepted == 1 and dict(s.by_reason) == {"NOT_AUTHORISED": 1}
    assert current(settings, "MPS|NICHE-RMS|person|P-1") is None


def test_parallel_validation_gives_the_same_state_as_serial(sqlite_settings: Settings, tmp_path: Path) -> None:
    docs = mixed_population(300)
    data = ndjson(docs) + b"garbage line\n"
    path = tmp_path / "big.ndjson"
    path.write_bytes(data)
    serial = Ingestor(sqlite_settings, batch_size=50)
    s1 = serial.ingest_lines(_lines(path), str(path))
    other = Settings(home=tmp_path / "parallel")
    s2 = Ingestor(other, batch_size=50, workers=2).ingest_lines(_lines(path), str(path), parallel=True)
    assert (s1.accepted, s1.quarantined) == (s2.accepted, s2.quarantined) == (len(docs), 1)
    assert digest(sqlite_settings) == digest(other)


def _lines(path: Path):
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            yield n, line.rstrip(b"\n")


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_batch_size_does_not_change_the_state(sqlite_settings: Settings, tmp_path: Path, batch_size: int) -> None:
    docs = mixed_population(25)
    docs.append(ug(1, person("P-0", family="Conflicting")))  # conflicts with the first line
    ingest(sqlite_settings, ndjson(docs), tmp_path, batch_size=batch_size)
    reference = Settings(home=tmp_path / "reference")
    ingest(reference, ndjson(docs), tmp_path, name="ref.ndjson", batch_size=100)
    assert digest(sqlite_settings) == digest(reference)
