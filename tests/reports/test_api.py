from __future__ import annotations

from pathlib import Path

from leds.config import Settings
from leds.db.engine import get_engine
from leds.opendata.importer import import_file

from ..callers import api_client

DATA = Path("/work/shared/data/police-uk")


def test_reports_api_statistics_mi_and_saved_reports(settings: Settings) -> None:
    engine = get_engine(settings)
    import_file(engine, DATA / "2022-08-metropolitan-stop-and-search.csv")
    import_file(engine, DATA / "2023-05-city-of-london-street.csv")
    client, auth = api_client(settings, "national_data_office_analyst", "WYP",
                              scopes=["view_reports", "view_data_quality"])
    with client:
        r = client.get("/api/v1/reports/stop-search", params={"force": "metropolitan", "month": "2022-08"},
                       headers=auth)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 17286
        r = client.get("/api/v1/reports/crime", params={"by": "crime_type"}, headers=auth)
        assert r.json()["total"] == 774
        assert client.get("/api/v1/reports/mi", params={"grain": "month"}, headers=auth).status_code == 200
        r = client.post("/api/v1/reports/saved", headers=auth, json={
            "name": "Searches", "query": "SELECT count(*) AS n FROM stop_search WHERE type = $t",
            "params": {"t": "Vehicle search"}})
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        r = client.post(f"/api/v1/reports/saved/{rid}/run", headers=auth, json={})
        assert r.json()["rows"] == [[272]] and r.json()["delivered"] is True
        r = client.post("/api/v1/reports/saved", headers=auth, json={
            "name": "Sneaky", "query": "SELECT * FROM record_counts", "params": {}})
        assert r.status_code == 403
        r = client.post("/api/v1/reports/query", headers=auth, json={"query": "DROP TABLE stop_search"})
        assert r.status_code == 403 and "may only read" in r.json()["detail"]
        r = client.post("/api/v1/reports/query", headers=auth, json={
            "query": "SELECT count(*) AS n FROM stop_search WHERE type = $t", "params": {"t": "Vehicle search",
                                                                                        "unused": 1}})
        assert r.json()["rows"] == [[272]]
    officer, auth2 = api_client(settings, "frontline_officer", "WYP", scopes=["view_reports", "check"])
    with officer:
        assert officer.get("/api/v1/reports/mi", headers=auth2).status_code == 403
