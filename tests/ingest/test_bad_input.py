"""Bad input gets a clear error and loses nothing: the line is quarantined with
its reason code, line number and raw bytes, and the rest of the file carries on."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from leds.config import Settings
from leds.db.engine import get_engine
from leds.db.schema import quarantine, records

from ..conftest import env_for
from ..factories import link, location, ndjson, person, ug, vehicle

GOOD_BEFORE = ug(1, person("P-before"))
GOOD_AFTER = ug(3, person("P-after"))


def run_cli(settings: Settings, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "leds.cli", *args], env=env_for(settings), input=stdin,
                          capture_output=True, timeout=300)


def ingest_json(settings: Settings, path: Path) -> dict:
    proc = run_cli(settings, "ingest", str(path), "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def quarantined(settings: Settings) -> list[dict]:
    with get_engine(settings).connect() as c:
        return [dict(r) for r in c.execute(select(quarantine).order_by(quarantine.c.id)).mappings()]


def live_refs(settings: Settings) -> set[str]:
    with get_engine(settings).connect() as c:
        return set(c.execute(select(records.c.ref)).scalars())


def check_one_bad_line(settings: Settings, tmp_path: Path, bad: bytes, reason: str, *needles: str) -> dict:
    """The bad line sits between two good ones; both good ones must get through."""
    path = tmp_path / "input.ndjson"
    path.write_bytes(orjson.dumps(GOOD_BEFORE) + b"\n" + bad + b"\n" + orjson.dumps(GOOD_AFTER) + b"\n")
    summary = ingest_json(settings, path)
    assert summary["accepted"] == 2 and summary["quarantined"] == 1
    assert reason in summary["by_reason"], summary
    assert {"P-before", "P-after"} <= live_refs(settings)
    (entry,) = quarantined(settings)
    assert entry["line_no"] == 2 and entry["origin"] == str(path)
    assert reason in orjson.loads(entry["reasons"])
    assert entry["raw"] == bad, "the raw line is kept byte for byte"
    for needle in needles:
        assert needle in entry["message"], entry["message"]
    return entry


def _bad(record_change, **envelope_change) -> bytes:  # type: ignore[no-untyped-def]
    doc = ug(2, person("P-bad"))
    record_change(doc["record"])
    doc.update(envelope_change)
    return orjson.dumps(doc)


def test_malformed_json_line(settings: Settings, tmp_path: Path) -> None:
    check_one_bad_line(settings, tmp_path, b'{"updategram": "1", "force": "WYP",', "MALFORMED_JSON", "JSON")


def test_unknown_record_type(settings: Settings, tmp_path: Path) -> None:
    bad = _bad(lambda r: r.update(type="spaceship"))
    check_one_bad_line(settings, tmp_path, bad, "UNKNOWN_RECORD_TYPE", "spaceship")


@pytest.mark.parametrize("missing", ["force", "source", "sequence"])
def test_missing_envelope_field(settings: Settings, tmp_path: Path, missing: str) -> None:
    doc = ug(2, person("P-bad"))
    del doc[missing]
    entry = check_one_bad_line(settings, tmp_path, orjson.dumps(doc), "MISSING_FIELD", missing)
    assert entry["message"].startswith(missing)


def test_unknown_force_code(settings: Settings, tmp_path: Path) -> None:
    check_one_bad_line(settings, tmp_path, orjson.dumps(ug(2, person("P-bad"), force="XYZ")), "UNKNOWN_FORCE", "XYZ")


def test_invalid_postcode(settings: Settings, tmp_path: Path) -> None:
    doc = ug(2, location("A-bad", postcode="LS1 4CI"))
    check_one_bad_line(settings, tmp_path, orjson.dumps(doc), "INVALID_POSTCODE",
                       "record.data.address.postcode", "LS1 4CI")


def test_invalid_vrm(settings: Settings, tmp_path: Path) -> None:
    check_one_bad_line(settings, tmp_path, orjson.dumps(ug(2, vehicle("V-bad", vrm="NOT A PLATE!"))), "INVALID_VRM",
                       "record.data.vrm")


def test_invalid_date(settings: Settings, tmp_path: Path) -> None:
    check_one_bad_line(settings, tmp_path, _bad(lambda r: r["data"].update(birth_dates=["1984-02-30"])),
                       "INVALID_DATE", "record.data.birth_dates.0")


def test_date_of_birth_in_the_future(settings: Settings, tmp_path: Path) -> None:
    check_one_bad_line(settings, tmp_path, _bad(lambda r: r["data"].update(birth_dates=["2199-01-01"])),
                       "FUTURE_DATE", "record.data.birth_dates.0", "2199-01-01")


def test_pnc_id_with_wrong_check_character(settings: Settings, tmp_path: Path) -> None:
    # The example in UPDATEGRAM.md: its check character should be U.
    check_one_bad_line(settings, tmp_path, _bad(lambda r: r["data"].update(pnc_id="1984/0123456X")),
                       "INVALID_PNC_ID", "expected U")


def test_non_utf8_bytes(settings: Settings, tmp_path: Path) -> None:
    bad = orjson.dumps(ug(2, person("P-bad"))).replace(b"Smith", b"Sm\xffth")
    check_one_bad_line(settings, tmp_path, bad, "ENCODING", "0xff", "UTF-8")


def test_conflicting_duplicate_through_the_command(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "first.ndjson"
    path.write_bytes(ndjson([ug(2, person("P-x", family="Original"))]))
    ingest_json(settings, path)
    bad = orjson.dumps(ug(2, person("P-x", family="Different")))
    path2 = tmp_path / "input.ndjson"
    path2.write_bytes(orjson.dumps(GOOD_BEFORE) + b"\n" + bad + b"\n" + orjson.dumps(GOOD_AFTER) + b"\n")
    summary = ingest_json(settings, path2)
    assert summary["by_reason"] == {"CONFLICT": 1} and summary["accepted"] == 2


def test_link_to_a_missing_record_is_parked_not_rejected(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "input.ndjson"
    path.write_bytes(ndjson([ug(1, link("L-1", ("person", "P-1"), ("vehicle", "V-later")))]))
    summary = ingest_json(settings, path)
    assert summary["accepted"] == 1 and summary["quarantined"] == 0 and summary["parked_refs"] == 2


def test_empty_file_is_reported_and_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "empty.ndjson"
    path.write_bytes(b"")
    proc = run_cli(settings, "ingest", str(path), "--json")
    assert proc.returncode == 0
    summary = json.loads(proc.stdout)
    assert summary["lines"] == 0 and summary["accepted"] == 0
    assert any("empty" in w for w in summary["warnings"])


def test_unreadable_file_exits_non_zero_with_a_clear_message(settings: Settings, tmp_path: Path) -> None:
    good = tmp_path / "good.ndjson"
    good.write_bytes(ndjson([GOOD_BEFORE]))
    proc = run_cli(settings, "ingest", str(tmp_path / "nope.ndjson"), str(good), "--json")
    assert proc.returncode == 2
    assert b"cannot read" in proc.stderr and b"nope.ndjson" in proc.stderr
    assert json.loads(proc.stdout)["accepted"] == 1, "the readable file still goes in"


def test_standard_input_is_accepted(settings: Settings, tmp_path: Path) -> None:
    proc = run_cli(settings, "ingest", "-", "--json", stdin=ndjson([GOOD_BEFORE, GOOD_AFTER]))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["accepted"] == 2


def test_fifty_megabyte_line_is_quarantined_without_holding_it_in_memory(
        sqlite_settings: Settings, tmp_path: Path) -> None:
    huge = b'{"updategram": "1", "padding": "' + b"x" * (50 << 20) + b'"}'
    path = tmp_path / "huge.ndjson"
    path.write_bytes(orjson.dumps(GOOD_BEFORE) + b"\n" + huge + b"\n" + orjson.dumps(GOOD_AFTER) + b"\n")
    small = tmp_path / "small.ndjson"
    small.write_bytes(orjson.dumps(GOOD_BEFORE) + b"\n")

    def peak_rss_mb(p: Path, home: Path) -> tuple[float, dict]:
        code = ("import resource, json, sys; from leds.cli import app\n"
                "try:\n    app([ 'ingest', sys.argv[1], '--json'])\nexcept SystemExit: pass\n"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)")
        env = env_for(Settings(home=home))
        proc = subprocess.run([sys.executable, "-c", code, str(p)], env=env, capture_output=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return float(proc.stderr.decode().strip().splitlines()[-1]), json.loads(proc.stdout)

    baseline, _ = peak_rss_mb(small, tmp_path / "h1")
    peak, summary = peak_rss_mb(path, sqlite_settings.home)
    assert summary["accepted"] == 2 and summary["by_reason"] == {"LINE_TOO_LONG": 1}
    assert peak - baseline < 25, f"a 50 MB line raised peak memory by {peak - baseline:.0f} MB"
    (entry,) = quarantined(sqlite_settings)
    assert entry["raw"] is None and entry["raw_size"] == len(huge)
    kept = Path(entry["raw_path"]).read_bytes()
    assert hashlib.sha256(kept).hexdigest() == entry["raw_sha256"] == hashlib.sha256(huge).hexdigest()
    assert "limit" in entry["message"] and entry["line_no"] == 2


def test_quarantine_commands_list_show_and_retry(sqlite_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "input.ndjson"
    path.write_bytes(b"not json at all\n" + orjson.dumps(ug(5, person("P-1"), force="XYZ")) + b"\n")
    ingest_json(sqlite_settings, path)
    listed = run_cli(sqlite_settings, "quarantine", "list", "--json")
    rows = [json.loads(x) for x in listed.stdout.splitlines()]
    assert {tuple(r["reasons"]) for r in rows} == {("MALFORMED_JSON",), ("UNKNOWN_FORCE",)}
    forced = run_cli(sqlite_settings, "quarantine", "list", "--reason", "unknown_force", "--json")
    (row,) = [json.loads(x) for x in forced.stdout.splitlines()]
    shown = json.loads(run_cli(sqlite_settings, "quarantine", "show", str(row["id"]), "--json").stdout)
    assert shown["raw_text"].startswith('{"updategram"') and shown["line_no"] == 2
    retried = json.loads(run_cli(sqlite_settings, "quarantine", "retry", "--all", "--json").stdout)
    assert retried["lines"] == 2 and retried["accepted"] == 0 and retried["quarantined"] == 2
    missing = run_cli(sqlite_settings, "quarantine", "show", "999")
    assert missing.returncode == 1 and b"no quarantine entry 999" in missing.stderr
