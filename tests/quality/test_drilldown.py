from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from leds.access import identity
from leds.access.policy import AccessDenied
from leds.config import Settings
from leds.db.engine import get_engine
from leds.quality import service

from ..callers import lookup, principal
from ..factories import link, ndjson, ug
from .planted import planted_lines
from .test_scorecard import ingest


def secret_link() -> bytes:
    rec = link("WL-intel", ("person", "W-1"), ("person", "W-2"), role="Co-Habitee")
    rec["sharing"] = "force"  # WYP's own: not shared nationally
    return ndjson([ug(50, rec)])


def test_drill_down_shows_only_the_failing_records_the_user_may_see(settings: Settings) -> None:
    ingest(settings, planted_lines())
    ingest(settings, secret_link())
    with get_engine(settings).connect() as conn:
        lk, audit = lookup("force_data_manager", "WYP", purpose="data_quality")
        own = service.failures(conn, lk, "code.standard", "WYP")
        lk2, audit2 = lookup("force_data_manager", "DER", purpose="data_quality")
        other = service.failures(conn, lk2, "code.standard", "WYP")
    assert own["failing"] == other["failing"] == 5  # 3 roles, 1 kind, the link WYP keeps to itself
    assert {r["ref"] for r in own["records"]} == {"WL-0", "WL-1", "WL-2", "WE-1", "WL-intel"}
    assert {r["ref"] for r in other["records"]} == {"WL-0", "WL-1", "WL-2", "WE-1"}
    assert other["not_visible"] == 1
    assert {r["why"] for r in own["records"]} == {"role=Co-Habitee", "kind=ASB_REPORT"}
    # One audited consultation, naming exactly the records shown.
    (entry,) = [e for e in audit2 if e.action == "consultation"]
    assert set(entry.subjects) == {r["rkey"] for r in other["records"]}
    assert entry.detail["kind"] == "data quality drill-down"


def test_a_user_without_data_quality_role_is_refused_and_an_analyst_sees_no_records(settings: Settings) -> None:
    ingest(settings, planted_lines())
    with get_engine(settings).connect() as conn:
        lk, audit = lookup("frontline_officer", "DER", purpose="data_quality")
        with pytest.raises(AccessDenied):
            service.failures(conn, lk, "person.birth_date.present", "DER")
        assert [e.action for e in audit] == ["denied"]
        lk, _ = lookup("national_data_office_analyst", "DER", purpose="data_quality")
        doc = service.failures(conn, lk, "person.birth_date.present", "DER")
    assert (doc["failing"], doc["shown"], doc["not_visible"]) == (4, 0, 4)


def test_low_vetting_hides_official_sensitive_records(settings: Settings) -> None:
    ingest(settings, planted_lines())
    from leds.access.lookup import Lookup

    from ..callers import Audit

    p = principal("force_data_manager", "DER", vetting="RV")
    with get_engine(settings).connect() as conn:
        doc = service.failures(conn, Lookup(p, "data_quality", None, Audit()), "person.birth_date.present", "DER")
    assert doc["shown"] == 0 and doc["failing"] == 4


def test_cli_failures_acts_as_the_named_user_and_scorecard_prints_the_contract(settings: Settings,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from leds.cli import app

    from ..conftest import env_for

    ingest(settings, planted_lines())
    identity.create_user(get_engine(settings), "dm-der", roles=["force_data_manager"], force="DER", vetting="SC",
                         password="correct horse battery")
    for k, v in env_for(settings).items():
        if k.startswith("LEDS_"):
            monkeypatch.setenv(k, v)
    runner = CliRunner()
    res = runner.invoke(app, ["quality", "scorecard", "--json", "--by", "force", "--period", "week"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["rows"]
    assert {"force", "source", "rule", "dimension", "passed", "total"} <= set(rows[0])
    der = [r for r in rows if r["force"] == "DER" and r["rule"] == "person.birth_date.present"]
    assert [(r["period"], r["passed"], r["total"]) for r in der] == [("2025-W10", 6, 10)]
    res = runner.invoke(app, ["quality", "failures", "person.birth_date.present", "--force", "DER",
                              "--user", "dm-der", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert sorted(r["ref"] for r in doc["records"]) == ["D-0", "D-1", "D-2", "D-3"]
    res = runner.invoke(app, ["quality", "failures", "person.birth_date.present", "--force", "DER",
                              "--user", "nobody"])
    assert res.exit_code == 2 and "no enabled user" in res.output
