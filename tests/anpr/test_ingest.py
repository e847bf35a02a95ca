"""Loading reads: idempotent per file, bad reads kept aside with their reason, the vehicle
check's confusable key, retention."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import func, select

from leds.anpr import store
from leds.anpr.ingest import ingest
from leds.anpr.tables import anpr_files, anpr_rejected
from leds.config import Settings
from leds.db.engine import get_engine
from leds.search.keys import vrm_key

CAMERAS = "camera_id,lat,lon,road,direction,force,site_name\nC1,53.80,-1.55,A61,N,WYP,Leeds\nC2,53.70,-1.50,M1,S,WYP,Wakefield\n"


def _count(settings: Settings) -> int:
    return int(duckdb.sql(f"SELECT count(*) FROM {store.reads_sql(settings)}").fetchall()[0][0])  # noqa: S608


def _snapshot(settings: Settings) -> dict[str, Any]:
    files = {str(p.relative_to(settings.home)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(store.reads_dir(settings).rglob("*.parquet"))}
    with get_engine(settings).connect() as conn:
        ledger = conn.execute(select(anpr_files.c.sha256, anpr_files.c.reads).order_by(anpr_files.c.sha256)).all()
        kept = conn.execute(select(func.count()).select_from(anpr_rejected)).scalar_one()
    return {"files": files, "ledger": ledger, "kept": kept}


def test_loading_the_same_files_twice_changes_nothing(settings: Settings, week: dict[str, Any]) -> None:
    engine = get_engine(settings)
    first = ingest(settings, engine, week["cameras"], week["files"][:3])
    before = _snapshot(settings)
    again = ingest(settings, engine, week["cameras"], week["files"][:3])
    assert first["loaded"] > 10_000 and first["rejected"] > 0
    assert again["loaded"] == 0 and {f["status"] for f in again["files"]} == {"already_loaded"}
    assert _snapshot(settings) == before
    assert _count(settings) == first["loaded"]


def test_a_bad_read_is_kept_aside_with_its_reason_and_the_rest_is_loaded(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "cameras.csv").write_text(CAMERAS)
    day = store.cutoff(settings)  # the oldest day still kept
    reads = tmp_path / "reads.csv"
    reads.write_text(
        "read_id,vrm,camera_id,read_at,confidence\n"
        f"r1,AB12 CDE,C1,{day}T10:00:00Z,0.9\n"
        f"r2,AB12CDE,C9,{day}T10:05:00Z,0.9\n"  # unknown camera
        "r3,AB12CDE,C2,teatime,0.9\n"  # unparseable time
        f"r4,??,C2,{day}T10:07:00Z,0.9\n"  # not a plate
        f"r5,AB12CDE,C2,{day}T10:08:00Z,1.7\n"  # confidence out of range
        f"r6,A812CDE,C2,{day}T10:30:00Z,0.6\n"
        "r7,AB12CDE,C2,2001-01-01T10:30:00Z,0.9\n")  # long past retention
    res = ingest(settings, get_engine(settings), tmp_path / "cameras.csv", [reads])
    assert res["loaded"] == 2
    assert res["by_reason"] == {"unknown_camera": 1, "bad_time": 1, "implausible_vrm": 1, "bad_confidence": 1,
                                "past_retention": 1}
    with get_engine(settings).connect() as conn:
        kept = conn.execute(select(anpr_rejected.c.line, anpr_rejected.c.read_id, anpr_rejected.c.reason,
                                   anpr_rejected.c.raw).order_by(anpr_rejected.c.line)).all()
    assert [tuple(k)[:3] for k in kept] == [(3, "r2", "unknown_camera"), (4, "r3", "bad_time"),
                                            (5, "r4", "implausible_vrm"), (6, "r5", "bad_confidence")]
    assert kept[0][3] == f"r2,AB12CDE,C9,{day}T10:05:00Z,0.9"  # the read as it came, for a retry


def test_ocr_slips_count_for_one_vehicle_by_the_vehicle_checks_key(sqlite_settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "cameras.csv").write_text(CAMERAS)
    day = store.cutoff(sqlite_settings)
    plates = ["AB12CDE", "A812CDE", "AB1ZCDE", "OS51 BIZ", "0551B12", "ab12-cde"]
    reads = tmp_path / "reads.csv"
    reads.write_text("read_id,vrm,camera_id,read_at,confidence\n" + "".join(
        f"r{i},{p},C1,{day}T1{i}:00:00Z,0.8\n" for i, p in enumerate(plates)))
    ingest(sqlite_settings, get_engine(sqlite_settings), tmp_path / "cameras.csv", [reads])
    got = dict(duckdb.sql(f"SELECT vrm, vkey FROM {store.reads_sql(sqlite_settings)}").fetchall())  # noqa: S608
    assert got == {p.replace(" ", "").replace("-", "").upper(): vrm_key(p) for p in plates}
    assert len({got["AB12CDE"], got["A812CDE"], got["AB1ZCDE"]}) == 1 and got["OS51BIZ"] == got["0551B12"]


@pytest.mark.parametrize("days", [1])
def test_reads_past_the_retention_period_are_never_read_and_are_deleted(tmp_path: Path, week: dict[str, Any],
                                                                        days: int) -> None:
    keep = Settings(home=tmp_path / "keep")
    ingest(keep, get_engine(keep), week["cameras"], week["files"][:1])
    assert store.has_reads(keep)
    short = Settings(home=tmp_path / "keep", anpr_retention_days=days)  # the week is two weeks old
    assert _count(short) == 0
    res = ingest(short, get_engine(short), week["cameras"], [])
    assert res["purged_days"] and not store.has_reads(short)


def test_a_read_id_given_twice_in_a_file_is_loaded_once_and_the_repeat_kept_aside(settings: Settings,
                                                                                  tmp_path: Path) -> None:
    (tmp_path / "cameras.csv").write_text(CAMERAS)
    day = store.cutoff(settings)
    reads = tmp_path / "reads.csv"
    reads.write_text("read_id,vrm,camera_id,read_at,confidence\n"
                     f"r1,AB12CDE,C1,{day}T10:00:00Z,0.9\n"
                     f"r2,AB12CDE,C2,{day}T10:20:00Z,0.9\n"
                     f" r1 ,XY12ZZZ,C2,{day}T11:00:00Z,0.9\n"  # the same id, spaced: a repeat
                     f"r3,AB12CDE,C1,{day}T12:00:00Z,0.9\n"
                     f"r2,AB12CDE,C2,{day}T10:20:00Z,0.9\n")
    res = ingest(settings, get_engine(settings), tmp_path / "cameras.csv", [reads])
    assert res["loaded"] == 3 and res["by_reason"] == {"duplicate_read_id": 2}
    got = duckdb.sql(f"SELECT read_id, vrm FROM {store.reads_sql(settings)} ORDER BY read_id").fetchall()  # noqa: S608
    assert got == [("r1", "AB12CDE"), ("r2", "AB12CDE"), ("r3", "AB12CDE")]
    with get_engine(settings).connect() as conn:
        kept = conn.execute(select(anpr_rejected.c.line, anpr_rejected.c.reason).order_by(anpr_rejected.c.line)).all()
    assert [tuple(k) for k in kept] == [(4, "duplicate_read_id"), (6, "duplicate_read_id")]


def test_files_left_by_a_load_that_crashed_before_its_ledger_row_are_replaced(settings: Settings,
                                                                              week: dict[str, Any]) -> None:
    f = week["files"][0]
    sha = hashlib.sha256(f.read_bytes()).hexdigest()
    stale = store.reads_dir(settings) / f"day={week['summary']['start']}" / f"f{sha[:20]}_7.parquet"
    stale.parent.mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT 'x' AS read_id, 'AB12CDE' AS vrm, 'AB12CDE' AS vkey, 'C00001' AS camera_id, "
               f"0::BIGINT AS t, 0 AS hour, 1 AS dow, 0.9 AS confidence) TO '{stale}' (FORMAT parquet)")
    res = ingest(settings, get_engine(settings), week["cameras"], [f])
    assert not stale.exists() and _count(settings) == res["loaded"] > 0
    assert not list(store.reads_dir(settings).glob("_staging-*"))
