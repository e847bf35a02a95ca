from __future__ import annotations

import io
import re
from pathlib import Path

import pyarrow.parquet as pq

from leds.config import Settings
from leds.db.engine import get_engine
from leds.opendata.importer import import_file

from ..quality.test_pages import signed_in

DATA = Path("/work/shared/data/police-uk")


def test_stop_search_crime_mi_and_saved_report_pages(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    import_file(get_engine(settings), DATA / "2022-08-metropolitan-stop-and-search.csv")
    import_file(get_engine(settings), DATA / "2023-05-city-of-london-street.csv")
    c = signed_in(settings, "ana", "national_data_office_analyst", "WYP")
    r = c.get("/reports/stop-search", params={"force": "metropolitan", "month": "2022-08"})
    assert r.status_code == 200
    assert '<svg role="img"' in r.text and "What this data cannot show" in r.text
    assert re.search(r"Black</th>\s*<td[^>]*>6,919</td>", r.text)
    csv = c.get("/reports/stop-search.csv", params={"force": "metropolitan", "ethnicity": "self"})
    assert csv.text.splitlines()[0].startswith("group,searches,share")
    t = pq.read_table(io.BytesIO(c.get("/reports/stop-search.parquet").content))
    assert sum(t.column("searches").to_pylist()) == 17286
    r = c.get("/reports/crime", params={"by": "crime_type"})
    assert r.status_code == 200 and "crime-chart" in r.text
    assert c.get("/reports/crime.csv").status_code == 200
    r = c.get("/reports", params={"grain": "month"})
    assert r.status_code == 200 and 'id="section-lookups"' in r.text
    assert c.get("/reports/mi/ingest.parquet").status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/reports/saved").text).group(1)  # type: ignore[union-attr]
    r = c.post("/reports/saved", data={"csrf_token": csrf, "name": "Arrests", "schedule": "weekly", "params": "{}",
                                        "query": "SELECT count(*) AS n FROM stop_search WHERE outcome = 'Arrest'"})
    assert r.status_code == 200 and "Saved" in r.text
    rid = re.search(r'action="/reports/saved/(\d+)/run"', r.text).group(1)  # type: ignore[union-attr]
    r = c.post(f"/reports/saved/{rid}/run", data={"csrf_token": csrf})
    assert "2564" in r.text and "alerts inbox" in r.text
    r = c.post("/reports/saved", data={"csrf_token": csrf, "name": "Bad", "params": "{}",
                                        "query": "DELETE FROM stop_search"})
    assert r.status_code == 403 and "may only read" in r.text


def test_reports_need_the_reports_role(sqlite_settings: Settings) -> None:
    c = signed_in(sqlite_settings, "fo", "frontline_officer", "WYP")
    assert c.get("/reports").status_code == 403
    assert c.get("/reports/stop-search").status_code == 403
