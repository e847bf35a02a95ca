"""The ``leds anpr`` commands as an operator runs them: JSON shapes of the interface, exit
codes, and the audit entry each query leaves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from leds.audit.tables import audit_entries
from leds.config import Settings
from leds.db.engine import get_engine
from tests.conftest import env_for


def _leds(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).with_name("leds")), "anpr", *args], env=env_for(settings),
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_the_commands_print_the_interfaces_json_and_are_audited(sqlite_settings: Settings,
                                                                 week: dict[str, Any]) -> None:
    s = sqlite_settings
    files = [str(f) for f in week["files"]]
    first = _leds(s, "ingest", "--cameras", str(week["cameras"]), *files, "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["loaded"] > 0
    trained = _leds(s, "train", "--labels", str(week["labels"]), "--routes", str(week["routes"]), "--json")
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["version"] == 1
    out = json.loads(_leds(s, "profile", "--routes", str(week["routes"]), "--top", "3", "--json").stdout)
    names = [r["name"] for r in json.loads(week["routes"].read_text())["routes"]]
    assert list(out) == ["routes"] and sorted(out["routes"]) == sorted(names)
    assert all(len(v) == 3 and set(v[0]) == {"vrm", "score", "reasons"} for v in out["routes"].values())
    cloned = json.loads(_leds(s, "cloned", "--json").stdout)
    assert list(cloned) == ["plates"] and {p["vrm"] for p in cloned["plates"]} == set(week["cloned"])
    convoy = json.loads(_leds(s, "convoys", "--vrm", cloned["plates"][0]["vrm"], "--json").stdout)
    assert set(convoy) == {"vrm", "convoys"}
    with get_engine(s).connect() as conn:
        kinds = [k for (k,) in conn.execute(select(audit_entries.c.kind))]
    assert {"anpr train", "anpr profile", "anpr cloned", "anpr convoys"} <= set(kinds)
