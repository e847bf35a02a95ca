from __future__ import annotations

from leds.config import Settings

from ..callers import api_client
from .planted import planted_lines
from .test_scorecard import ingest


def test_api_scorecard_framework_and_audited_drill_down(settings: Settings) -> None:
    ingest(settings, planted_lines())
    client, auth = api_client(settings, "force_data_manager", "DER",
                              scopes=["view_data_quality", "view_record", "search"])
    with client:
        r = client.get("/api/v1/quality/scorecard", params={"by": "force", "rule": "person.birth_date.present"},
                       headers=auth)
        assert r.status_code == 200, r.text
        assert {(x["force"], x["passed"], x["total"]) for x in r.json()["rows"]} == {("WYP", 10, 10), ("DER", 6, 10)}
        r = client.get("/api/v1/quality/failures", params={"rule": "person.birth_date.present", "force": "DER"},
                       headers=auth)
        assert r.status_code == 400  # no reason given
        r = client.get("/api/v1/quality/failures", params={"rule": "person.birth_date.present", "force": "DER",
                                                           "purpose": "data_quality"}, headers=auth)
        assert r.status_code == 200, r.text
        assert sorted(x["ref"] for x in r.json()["records"]) == ["D-0", "D-1", "D-2", "D-3"]
        r = client.get("/api/v1/quality/framework", headers=auth)
        league = {x["force"]: x for x in r.json()["league"]}
        assert league["MPS"]["measures"]["timeliness"]["rag"] == "red"  # 60% against the PNC's 90%
        assert league["DER"]["measures"]["completeness"]["value"] == 60.0
        assert client.get("/api/v1/quality/changes", params={"period": "2025-W10"}, headers=auth).json()["new"] == 10
    officer, auth2 = api_client(settings, "frontline_officer", "DER", scopes=["view_data_quality", "check"])
    with officer:
        assert officer.get("/api/v1/quality/scorecard", headers=auth2).status_code == 403
