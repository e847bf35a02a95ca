from __future__ import annotations

import io
import re

import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from leds.access import identity
from leds.app import create_app
from leds.config import Settings
from leds.db.engine import get_engine

from ..web.test_web import PASSWORD, sign_in
from .planted import planted_lines
from .test_scorecard import ingest


def signed_in(settings: Settings, username: str, role: str, force: str) -> TestClient:
    identity.create_user(get_engine(settings), username, roles=[role], force=force, vetting="SC", password=PASSWORD)
    c = TestClient(create_app(settings), base_url="http://127.0.0.1")
    assert sign_in(c, username, PASSWORD).status_code == 303
    return c


def test_scorecard_page_chart_table_drill_down_and_exports(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    ingest(settings, planted_lines())
    c = signed_in(settings, "dm", "force_data_manager", "DER")
    r = c.get("/quality", params={"rule": "person.birth_date.present"})
    assert r.status_code == 200
    assert '<svg role="img"' in r.text and "<title id=\"rule-chart-title\">" in r.text
    assert re.search(r"DER</th>\s*<td[^>]*>6</td>\s*<td[^>]*>10</td>\s*<td[^>]*>60.0%", r.text)
    assert 'href="/quality/failures?rule=person.birth_date.present&amp;force=DER"' in r.text
    r = c.get("/quality/failures", params={"rule": "person.birth_date.present", "force": "DER"})
    assert r.status_code == 200 and all(f">D-{i}<" in r.text for i in range(4))
    csv = c.get("/quality/scorecard.csv", params={"by": "source"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "DER,NICHE,person.birth_date.present,completeness,6,10" in csv.text
    pqt = pq.read_table(io.BytesIO(c.get("/quality/scorecard.parquet").content))
    assert {"force", "rule", "passed", "total"} <= set(pqt.column_names)
    r = c.get("/quality/framework")
    assert r.status_code == 200 and 'id="league"' in r.text and "pilot" in r.text
    r = c.get("/quality/framework/MPS")
    assert r.status_code == 200 and "trend-chart" in r.text
    assert c.get("/quality/framework.csv").status_code == 200
    assert c.get("/quality/failures", params={"rule": "nope", "force": "DER"}).status_code == 400
    r = c.get("/quality")
    assert re.search(r"DER</th>\s*<td[^>]*>80.0%</td>", r.text)  # completeness: 16 of 20 (birth date and sex)


def test_a_role_without_data_quality_gets_no_dashboard(sqlite_settings: Settings) -> None:
    c = signed_in(sqlite_settings, "fo", "frontline_officer", "WYP")
    assert c.get("/quality").status_code == 403
    assert c.get("/quality/failures", params={"rule": "code.standard", "force": "WYP"}).status_code == 403
