"""Erasure: the bytes on disk, the digest and the audit chain afterwards, shared events,
legal holds and bad input."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import orjson
import pytest
from sqlalchemy import MetaData, func, select, text

from leds.audit import verify
from leds.config import Settings
from leds.db.engine import get_engine
from leds.db.schema import log, record_keys, records
from leds.errors import BadRequest, Conflict, NotFound
from leds.records.state import rebuild, state_digest
from leds.retention.erase import erase, verify_receipt
from leds.retention.rights import place_hold
from leds.retention.tables import erasure_receipts

from ..callers import lookup
from ..conftest import env_for
from ..factories import load, wyp_records
from .people import (
    ERASED_PERSON,
    SHARED_EVENT,
    THIRD_PARTY,
    UNIQUE,
    quixleberry_docs,
    quixleberry_update,
)

LEDS = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "leds")


def _variants() -> list[bytes]:
    return sorted({v.encode() for u in UNIQUE for v in (u, u.lower(), u.upper())})


def _files_holding(home: Path, extra: tuple[bytes, ...] = ()) -> list[tuple[str, str]]:
    hits = []
    for p in home.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            hits += [
                (str(p.relative_to(home)), v.decode()) for v in (*_variants(), *extra) if v in data
            ]
    return hits


def _fulltext_needles(settings: Settings) -> tuple[bytes, ...]:
    """The erased person's words as the full-text index holds them: stemmed (porter:
    "zorbulated" is "zorbul") and stored after the prefix a term shares with the term before
    it in its segment (FTS5's leaves are prefix-compressed).  The part after the longest
    prefix shared with any term before it in the whole index is stored whole in every
    segment, so a scan for it finds every copy.  Each is checked to be in the index's pages
    before erasure, so the scan is known to see them."""
    with get_engine(settings).connect() as conn:
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.terms USING fts5vocab(main, search_text_fts, row)"
        )
        terms = sorted(
            (r[0] for r in conn.exec_driver_sql("SELECT term FROM temp.terms")), key=str.encode
        )
        pages = b"".join(
            r[0] or b"" for r in conn.exec_driver_sql("SELECT block FROM search_text_fts_data")
        )
        conn.exec_driver_sql("DROP TABLE temp.terms")
    needles = []
    for i, t in enumerate(terms):
        # a stem of one of the words (porter cuts at most a few letters off the end)
        if any(len(os.path.commonprefix([t, u.lower()])) >= len(u) - 4 for u in UNIQUE):
            needles.append(t[len(os.path.commonprefix([t, terms[i - 1] if i else ""])) :].encode())
    assert len(needles) >= 3 and all(len(n) >= 4 and n in pages for n in needles), (needles, terms)
    return tuple(needles)


def _loaded(settings: Settings) -> None:
    load(settings, wyp_records())
    load(settings, quixleberry_docs())
    load(settings, [quixleberry_update(50)])  # an older version overwritten in place


def _erase(settings: Settings, **kw: str) -> dict:
    args = {
        "person": None,
        "record": None,
        "reason": "s47 request upheld",
        "authority": "DPA-2026-0042",
        **kw,
    }
    return erase(get_engine(settings), settings, actor="user:dpo", **args)  # type: ignore[arg-type]


def test_no_file_under_leds_home_holds_an_erased_persons_strings(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    s = sqlite_settings
    _loaded(s)
    # a quarantined copy of her record (a conflicting resend) and an oversized one, which
    # the reader spills to a file under LEDS_HOME/quarantine/
    bad = quixleberry_docs()[0] | {"issued_at": "2025-03-03T00:00:00Z"}
    from leds.ingest.pipeline import Ingestor, ingest_paths

    Ingestor(s).ingest_lines(iter([(1, orjson.dumps(bad))]), "resend")
    huge = quixleberry_docs()[0]
    huge["record"]["data"]["marks"] = ["narwhalquill " * 90_000]  # over 1 MiB on one line
    (tmp_path / "huge.ndjson").write_bytes(orjson.dumps(huge) + b"\n")
    assert ingest_paths(Ingestor(s), [tmp_path / "huge.ndjson"]).quarantined == 1
    spilled = [p for p in (s.home / "quarantine").rglob("*") if p.is_file()]
    assert any(b"Quixleberry" in p.read_bytes() for p in spilled), "the line was spilled to a file"
    needles = _fulltext_needles(s)
    assert _files_holding(s.home), "the test must see the strings before erasure"
    receipt = _erase(s, person=ERASED_PERSON)
    assert ERASED_PERSON in receipt["records"] and SHARED_EVENT in receipt["kept_shared"]
    assert receipt["removed"]["quarantine"] == 2
    assert receipt["removed"]["fts_merged"] == 1 and receipt["removed"]["wal_truncated"] == 1
    assert _files_holding(s.home, needles) == []
    assert not any(p.is_file() for p in spilled)
    # the third party and the shared event are untouched
    with get_engine(s).connect() as conn:
        kept = set(
            conn.execute(
                select(records.c.rkey).where(records.c.rkey.in_([THIRD_PARTY, SHARED_EVENT]))
            ).scalars()
        )
    assert kept == {THIRD_PARTY, SHARED_EVENT}


def test_after_erasure_rebuild_gives_the_same_digest_and_the_audit_chain_verifies(
    settings: Settings,
) -> None:
    _loaded(settings)
    receipt = _erase(settings, person=ERASED_PERSON)
    engine = get_engine(settings)
    before = state_digest(engine)
    report = rebuild(engine)
    assert report.erased >= len(receipt["records"])
    assert state_digest(engine) == before
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count())
                .select_from(records)
                .where(records.c.rkey.in_(receipt["records"]))
            ).scalar_one()
            == 0
        )
        # the log keeps envelope and ciphertext; the keys are gone
        assert (
            conn.execute(
                select(func.count()).select_from(log).where(log.c.rkey == ERASED_PERSON)
            ).scalar_one()
            == 2
        )
        assert (
            conn.execute(
                select(record_keys.c.dek).where(record_keys.c.rkey == ERASED_PERSON)
            ).scalar()
            is None
        )
        stored = conn.execute(select(erasure_receipts)).mappings().one()
    assert verify(engine, settings).ok
    assert verify_receipt(settings, stored["receipt"], stored["signature"])
    assert not verify_receipt(
        settings, stored["receipt"].replace("DPA-2026-0042", "DPA-2026-0043"), stored["signature"]
    )


@pytest.mark.postgres
def test_on_postgresql_no_table_holds_the_erased_strings(pg_url: str, tmp_path: Path) -> None:
    s = Settings(home=tmp_path / "home", database_url_override=pg_url)
    _loaded(s)
    _erase(s, person=ERASED_PERSON)
    engine = get_engine(s)
    md = MetaData()
    md.reflect(engine)
    with engine.connect() as conn:
        for table in md.sorted_tables:
            sql = f'SELECT t::text FROM "{table.name}" t'  # noqa: S608 (reflected table names)
            dump = " ".join(str(r[0]) for r in conn.execute(text(sql)))  # noqa: S608 (reflected names)
            for u in UNIQUE:
                assert u.lower() not in dump.lower(), (table.name, u)


def test_erasing_one_record_keeps_everything_else(sqlite_settings: Settings) -> None:
    _loaded(sqlite_settings)
    out = _erase(sqlite_settings, record="WYP|RMS-R|location|A-Q")
    assert out["records"] == ["WYP|RMS-R|location|A-Q"]
    with get_engine(sqlite_settings).connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(records).where(records.c.rkey == ERASED_PERSON)
            ).scalar_one()
            == 1
        )


def test_bad_erasures_change_nothing(sqlite_settings: Settings) -> None:
    s = sqlite_settings
    _loaded(s)
    engine = get_engine(s)
    before = state_digest(engine)
    with pytest.raises(NotFound):
        _erase(s, person="NP-NOBODY")
    with pytest.raises(NotFound):
        _erase(s, record="WYP|RMS-R|event|NO-SUCH")
    with pytest.raises(BadRequest):
        _erase(s, person=ERASED_PERSON, reason=" ")
    with pytest.raises(BadRequest):
        _erase(s, person=ERASED_PERSON, record=ERASED_PERSON)
    with engine.connect() as conn:
        place_hold(
            conn,
            lookup("data_protection_officer", purpose="data_protection")[0],
            "WYP|RMS-R|event|EV-Q",
            "R v Quixleberry, Leeds Crown Court",
            "evidence in a pending trial",
        )
    with pytest.raises(Conflict, match="legal hold"):
        _erase(s, person=ERASED_PERSON)
    assert state_digest(engine) == before
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(record_keys).where(record_keys.c.dek.is_(None))
            ).scalar_one()
            == 0
        )


def test_leds_erase_prints_a_receipt_and_an_unknown_person_exits_3(
    sqlite_settings: Settings,
) -> None:
    _loaded(sqlite_settings)
    env = env_for(sqlite_settings)
    bad = subprocess.run(
        [LEDS, "erase", "--person", "NP-NOBODY", "--reason", "x", "--authority", "y", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 3 and "no such person" in bad.stderr
    ok = subprocess.run(
        [
            LEDS,
            "erase",
            "--person",
            ERASED_PERSON,
            "--reason",
            "s47",
            "--authority",
            "REQ-1",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    receipt = orjson.loads(ok.stdout)
    assert receipt["kind"] == "erasure" and receipt["signature"] and receipt["audit_entry"] > 0


def test_erasing_a_matched_person_removes_features_keys_and_their_names_from_the_model(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    from leds.matching.batch import run_match
    from leds.matching.tables import identity_log, match_keys, person_ids

    from ..factories import ingest_files, synth_files

    s = sqlite_settings
    ingest_files(s, synth_files(tmp_path / "synth", 200, 5))
    load(s, quixleberry_docs())
    run_match(s)
    engine = get_engine(s)
    from leds.alerts.service import notify
    from leds.alerts.tables import alert_inbox

    with engine.connect() as conn:
        pid = conn.execute(
            select(person_ids.c.person_id).where(person_ids.c.rkey == ERASED_PERSON)
        ).scalar_one()
        notify(
            conn, kind="test", detail={}, person_id=pid, users=["officer-1"]
        )  # an alert naming only the person
        conn.commit()
    assert any("models" in f for f, _ in _files_holding(s.home)), (
        "a trained model lists the names it saw"
    )
    out = _erase(s, person=pid)
    assert out["matching"]["retired"] == 1 and out["matching"]["model_files_rewritten"] == 1
    assert out["matching"]["rows_naming_them"] == 1
    assert _files_holding(s.home) == []
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count())
                .select_from(person_ids)
                .where(person_ids.c.rkey == ERASED_PERSON)
            ).scalar_one()
            == 0
        )
        assert (
            conn.execute(
                select(func.count())
                .select_from(match_keys)
                .where(match_keys.c.rkey == ERASED_PERSON)
            ).scalar_one()
            == 0
        )
        assert (
            conn.execute(
                select(identity_log.c.kind).order_by(identity_log.c.id.desc()).limit(1)
            ).scalar()
            == "retire"
        )
        assert (
            conn.execute(
                select(func.count()).select_from(alert_inbox).where(alert_inbox.c.person_id == pid)
            ).scalar_one()
            == 0
        )


def test_leds_retention_receipt_checks_the_signature(sqlite_settings: Settings) -> None:
    _loaded(sqlite_settings)
    out = _erase(sqlite_settings, record="WYP|RMS-R|location|A-Q")
    env = env_for(sqlite_settings)
    ok = subprocess.run(
        [LEDS, "retention", "receipt", str(out["receipt_id"]), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and orjson.loads(ok.stdout)["signature_valid"] is True
    with get_engine(sqlite_settings).connect() as conn:
        conn.execute(erasure_receipts.update().values(receipt=erasure_receipts.c.receipt + " "))
        conn.commit()
    forged = subprocess.run(
        [LEDS, "retention", "receipt", str(out["receipt_id"])],
        env=env,
        capture_output=True,
        text=True,
    )
    assert forged.returncode == 1 and "INVALID" in forged.stdout
