from __future__ import annotations

import json
import subprocess
from pathlib import Path

import orjson

from leds.access.identity import create_user
from leds.config import Settings
from leds.db.engine import get_engine
from leds.sharing.agreement import example

from ..conftest import env_for

LEDS = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "leds")


def _leds(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEDS, "sharing", *args], env=env_for(settings), capture_output=True, text=True,
                          timeout=120)


def test_the_sharing_commands_from_agreement_to_verified_export(sqlite_settings: Settings, tmp_path: Path) -> None:
    from ..factories import load
    from .conftest import crime_docs

    load(sqlite_settings, crime_docs())
    create_user(get_engine(sqlite_settings), "dpo1", roles=["data_protection_officer"], force="WYP", vetting="SC",
                password=None)
    bad = {k: v for k, v in example().items() if k not in ("lawful_basis", "retention", "review_date")}
    (tmp_path / "bad.json").write_bytes(orjson.dumps(bad))
    (tmp_path / "dsa.json").write_bytes(orjson.dumps(example()))
    r = _leds(sqlite_settings, "agreement", "add", str(tmp_path / "bad.json"))
    assert r.returncode == 2
    assert all(p in r.stderr for p in ("$.lawful_basis", "$.retention", "$.review_date"))
    assert _leds(sqlite_settings, "agreement", "add", str(tmp_path / "dsa.json")).returncode == 0
    r = _leds(sqlite_settings, "export", "--agreement", "DSA-2026-001", "--out", str(tmp_path / "x"))
    assert r.returncode == 5 and "draft" in r.stderr
    assert _leds(sqlite_settings, "approve", "DSA-2026-001", "--user", "dpo1").returncode == 0
    listed = json.loads(_leds(sqlite_settings, "agreements", "--json").stdout)
    assert [(a["id"], a["state"], a["approved_by"]) for a in listed["agreements"]] == [
        ("DSA-2026-001", "approved", "user:dpo1")]
    r = _leds(sqlite_settings, "export", "--agreement", "DSA-2026-001", "--out", str(tmp_path / "x"), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["records"] == 45
    assert _leds(sqlite_settings, "verify", str(tmp_path / "x")).returncode == 0
    (tmp_path / "x" / "event.ndjson").write_bytes(b"")
    bad = _leds(sqlite_settings, "verify", str(tmp_path / "x"))
    assert bad.returncode == 1 and "event.ndjson" in bad.stderr
