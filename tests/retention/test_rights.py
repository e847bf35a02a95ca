"""Subject access (s45) with the s48 letter, rectification (s46) linked to the force's
correction, restriction while accuracy is disputed (s47), the one-month clock."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from leds.access.policy import read_records
from leds.config import Settings
from leds.db.engine import get_engine
from leds.errors import BadRequest, Conflict
from leds.retention import rights
from leds.retention.sar import export

from ..callers import lookup, principal
from ..conftest import env_for
from ..factories import load, rec, ug
from .people import ERASED_PERSON, SHARED_EVENT, THIRD_PARTY, quixleberry_docs
from .test_erasure import LEDS


def _dpo():
    return lookup("data_protection_officer", purpose="data_protection")[0]


def test_a_subject_access_pack_leaves_out_the_third_party_in_a_shared_event(settings: Settings,
                                                                            tmp_path: Path) -> None:
    load(settings, quixleberry_docs())
    out = export(get_engine(settings), settings, ERASED_PERSON, tmp_path / "sar", actor="user:dpo")
    pack = json.loads((tmp_path / "sar" / "pack.json").read_text())
    everything = "".join(p.read_text() for p in (tmp_path / "sar").iterdir())
    assert "Plainsman" not in everything and "Harold" not in everything and THIRD_PARTY not in everything
    got = {r["record"]: r for r in pack["records"]}
    assert ERASED_PERSON in got and "Quixleberry" in everything
    assert got[SHARED_EVENT]["data"]["description"] == "[withheld]"
    assert got["WYP|RMS-R|event|EV-Q"]["data"]["description"].startswith("zorbulated")
    assert got[ERASED_PERSON]["provenance"] == {
        "force": "WYP", "source_system": "RMS-R", "source_reference": "Q-1", "version": 1,
        "issued_at": "2025-03-02T14:05:11Z", "dataset": "nominal", "handling": "OFFICIAL-SENSITIVE",
        "versions_held": 1}
    letter = (tmp_path / "sar" / "letter_s48.html").read_text()
    assert "s45(4)(e)" in letter and "section 51" in letter
    assert out["records"] == len(pack["records"]) and out["withheld"] >= 1


def test_leds_sar_export_writes_html_and_json(sqlite_settings: Settings, tmp_path: Path) -> None:
    load(sqlite_settings, quixleberry_docs())
    res = subprocess.run([LEDS, "sar", "export", "--person", ERASED_PERSON, "--out", str(tmp_path / "o")],
                         env=env_for(sqlite_settings), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert {p.name for p in (tmp_path / "o").iterdir()} == {"pack.json", "pack.html", "letter_s48.html"}
    bad = subprocess.run([LEDS, "sar", "export", "--person", "NP-NOBODY", "--out", str(tmp_path / "x")],
                         env=env_for(sqlite_settings), capture_output=True, text=True)
    assert bad.returncode == 3 and not (tmp_path / "x").exists()


def test_a_rectification_is_linked_to_the_owning_forces_corrective_updategram(sqlite_settings: Settings) -> None:
    load(sqlite_settings, quixleberry_docs())
    engine = get_engine(sqlite_settings)
    loc = "WYP|RMS-R|location|A-Q"
    with engine.connect() as conn:
        req = rights.create_request(conn, _dpo(), "rectification", ERASED_PERSON, "I never lived there", rkey=loc,
                                    received_at="2025-06-01T09:00:00Z")
        assert req["status"] == "with_force" and req["owning_force"] == "WYP"
        with pytest.raises(Conflict, match="corrective updategram"):
            rights.decide_request(conn, _dpo(), req["id"], "done", "corrected")
    load(sqlite_settings, [ug(90, rec("location", "A-Q", {"address": {"lines": ["16 Vexmoorgate"], "town": "Leeds",
                                                                      "postcode": "LS6 2QT"}}, "nominal", "OFFICIAL"),
                              source="RMS-R", issued_at="2026-01-01T00:00:00Z")])
    with engine.connect() as conn:
        done = rights.decide_request(conn, _dpo(), req["id"], "done", "force corrected the address")
    assert done["status"] == "done" and done["corrected_sequence"] == 90


def test_a_disputed_record_is_restricted_until_the_request_is_decided(sqlite_settings: Settings) -> None:
    load(sqlite_settings, quixleberry_docs())
    with get_engine(sqlite_settings).connect() as conn:
        def seen() -> bool:
            lk, audit = lookup("investigator", purpose="investigation", reason="OP-2")
            return bool(read_records(conn, principal("investigator"), "investigation", reason="OP-2", audit=audit,
                                     rkeys=[SHARED_EVENT]))

        req = rights.create_request(conn, _dpo(), "restriction", ERASED_PERSON, "I was not there", rkey=SHARED_EVENT)
        assert not seen()
        rights.decide_request(conn, _dpo(), req["id"], "refused", "the record is accurate: CCTV")
        assert seen()


def test_requests_have_a_one_month_clock_and_overdue_ones_are_flagged(sqlite_settings: Settings) -> None:
    assert rights.one_month_after("2026-01-31T09:00:00Z") == "2026-02-28"
    assert rights.one_month_after("2026-12-15T09:00:00Z") == "2027-01-15"
    load(sqlite_settings, quixleberry_docs())
    with get_engine(sqlite_settings).connect() as conn:
        old = rights.create_request(conn, _dpo(), "access", ERASED_PERSON, "all my data",
                                    received_at="2025-01-10T09:00:00Z")
        new = rights.create_request(conn, _dpo(), "erasure", ERASED_PERSON, "erase me")
        with pytest.raises(BadRequest):
            rights.create_request(conn, _dpo(), "rectification", ERASED_PERSON, "wrong", rkey=None)
        listed = {r["id"]: r for r in rights.list_requests(conn, _dpo(), status="open")}
        assert listed[old["id"]]["overdue"] and listed[old["id"]]["due_on"] == "2025-02-10"
        assert not listed[new["id"]]["overdue"]
