"""The users command: accounts made, changed and disabled, each change audited."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import text

from leds.config import Settings
from leds.db.engine import get_engine

from ..conftest import env_for


def leds(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leds.cli", *args], env=env_for(settings), input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_account_lifecycle_is_audited_as_alteration(sqlite_settings: Settings) -> None:
    made = leds(sqlite_settings, "users", "add", "pc1", "--role", "frontline_officer", "--force", "wyp",
                "--vetting", "NPPV2", "--password-stdin", stdin="a long enough password\n")
    assert made.returncode == 0, made.stderr
    assert leds(sqlite_settings, "users", "grant", "pc1", "--role", "investigator").returncode == 0
    assert leds(sqlite_settings, "users", "disable", "pc1").returncode == 0
    (row,) = [json.loads(x) for x in leds(sqlite_settings, "users", "list", "--json").stdout.splitlines()]
    assert row["roles"] == ["frontline_officer", "investigator"] and row["disabled"] is True
    with get_engine(sqlite_settings).connect() as c:
        changes = [json.loads(d)["change"] for (d,) in c.execute(
            text("SELECT detail FROM audit_entries WHERE action = 'alteration' ORDER BY id"))]
    assert changes == ["created", "granted", "disabled"]
    assert "a long enough password" not in made.stdout + made.stderr


def test_bad_grants_are_clear_errors(sqlite_settings: Settings) -> None:
    r = leds(sqlite_settings, "users", "add", "pc2", "--role", "wizard", "--force", "WYP", "--vetting", "SC")
    assert r.returncode == 2 and "unknown role" in r.stderr and "frontline_officer" in r.stderr
    r = leds(sqlite_settings, "users", "add", "pc2", "--role", "auditor", "--force", "XX", "--vetting", "SC")
    assert r.returncode == 2 and "unknown force" in r.stderr
    r = leds(sqlite_settings, "users", "disable", "nobody")
    assert r.returncode == 2 and "no account named" in r.stderr
