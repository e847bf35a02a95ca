from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leds.access import identity
from leds.cli import app
from leds.config import Settings
from leds.db.engine import get_engine

from ..conftest import env_for

DATA = Path("/work/shared/data/police-uk")


def test_opendata_import_and_report_commands(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    for k, v in env_for(sqlite_settings).items():
        if k.startswith("LEDS_"):
            monkeypatch.setenv(k, v)
    runner = CliRunner()
    files = [str(DATA / "2022-08-metropolitan-stop-and-search.csv"), str(DATA / "2023-05-city-of-london-street.csv")]
    res = runner.invoke(app, ["opendata", "import", *files, "--json"])
    assert res.exit_code == 0, res.output
    assert [f["rows"] for f in json.loads(res.output)["files"]] == [17286, 774]
    res = runner.invoke(app, ["opendata", "import", *files, "--json"])
    assert [f["unchanged"] for f in json.loads(res.output)["files"]] == [True, True]
    bad = tmp_path / "2023-05-city-of-london-street.csv"
    bad.write_text((DATA / "2023-05-city-of-london-street.csv").read_text().replace("2023-05,", "2023-13,", 1))
    res = runner.invoke(app, ["opendata", "import", str(bad)])
    assert res.exit_code == 1 and f"{bad}:2: Month '2023-13' is not YYYY-MM" in res.output
    res = runner.invoke(app, ["report", "stop-search", "--force", "metropolitan", "--json"])
    assert json.loads(res.output)["total"] == 17286
    identity.create_user(get_engine(sqlite_settings), "ana", roles=["national_data_office_analyst"], force="WYP",
                         vetting="SC", password="correct horse battery")
    res = runner.invoke(app, ["report", "query", "SELECT count(*) FROM record_counts", "--user", "ana"])
    assert res.exit_code == 3 and "may not see record_counts" in res.output
    res = runner.invoke(app, ["report", "save", "--user", "ana", "--name", "n", "--query",
                              "SELECT count(*) AS n FROM street_crime WHERE crime_type = $t", "--param",
                              "t=Shoplifting", "--json"])
    assert res.exit_code == 0, res.output
    rid = json.loads(res.output)["id"]
    res = runner.invoke(app, ["report", "run", str(rid), "--user", "ana", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["rows"][0][0] > 0
