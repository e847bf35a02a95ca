"""What leds holds is shown beside the questions it bears on; ``leds maturity import`` loads a
round from a file (and refuses a level without evidence), ``leds maturity schema`` publishes
the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from leds.config import Settings
from leds.db.engine import get_engine
from leds.db.schema import log
from leds.office.evidence import held

from ..conftest import env_for
from ..quality.planted import planted_lines
from ..quality.test_scorecard import ingest
from .test_api_and_pages import signed_in
from .test_maturity import FW, ROUNDS, _answers


def test_leds_held_evidence_per_force_and_beside_the_questions(sqlite_settings: Settings) -> None:
    ingest(sqlite_settings, planted_lines())  # one WYP line quarantined; DER misses 4 of 10 birth dates
    with get_engine(sqlite_settings).connect() as conn:
        ev = held(conn)
        wyp_accepted = conn.execute(select(func.count()).select_from(log).where(log.c.force == "WYP")).scalar_one()
    assert ev["WYP"]["quarantine_rate"]["value"] == round(100 / (wyp_accepted + 1), 1)
    assert ev["MPS"]["quarantine_rate"]["value"] == 0.0
    assert ev["MPS"]["timeliness"]["value"] == 60.0  # 3 of 5 arrests on within 24 hours
    assert 0 < ev["DER"]["quality_score"]["value"] < 100
    with get_engine(sqlite_settings).connect() as conn:
        from leds.office.benefits import compute, trend

        months = trend(conn, "data_quality")
        assert [m["period"] for m in months] == ["2025-03"] and months[0]["value"] == compute(conn, "data_quality")
    c = signed_in(sqlite_settings, "dm-der", "force_data_manager", "DER")
    page = c.get("/office/maturity/assess", params={"framework": FW, "label": "2025"}).text
    assert 'id="leds-processes-quality"' in page and f"{ev['DER']['quality_score']['value']}%" in page


def test_cli_imports_a_round_from_a_file_and_refuses_a_level_without_evidence(
        sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leds.cli import app

    for k, v in env_for(sqlite_settings).items():
        if k.startswith("LEDS_"):
            monkeypatch.setenv(k, v)
    runner = CliRunner()
    schema = runner.invoke(app, ["maturity", "schema", "assessment"])
    assert schema.exit_code == 0 and json.loads(schema.stdout)["title"] == "Assessment"
    good = tmp_path / "wyp-2025.json"
    good.write_text(json.dumps({"framework": FW, "force": "WYP", "label": "2025", "submit": True,
                                "answers": _answers(ROUNDS["WYP"]["2025"])}))
    r = runner.invoke(app, ["maturity", "import", str(good)])
    assert r.exit_code == 0, r.output
    assert "8 of 8 answered, submitted" in r.stdout
    bad = tmp_path / "mps.json"
    bad.write_text(json.dumps({"framework": FW, "force": "MPS", "label": "2025",
                               "answers": [{"question": "people-quality", "level": 4, "evidence": ""}]}))
    r = runner.invoke(app, ["maturity", "import", str(bad)])
    assert r.exit_code == 1 and "without evidence" in r.output
    r = runner.invoke(app, ["maturity", "dashboard", "--json"])
    assert json.loads(r.stdout)["forces"] == ["WYP"]
