from __future__ import annotations

from leds.config import Settings
from leds.sharing.agreement import example

from ..callers import api_client


def test_the_api_adds_approves_and_exports_under_an_agreement(crimes: Settings) -> None:
    client, inv = api_client(crimes, "investigator", scopes=["export"])
    _, dpo = api_client(crimes, "data_protection_officer", scopes=["view_record"])
    bad = {k: v for k, v in example().items() if k not in ("lawful_basis", "retention", "review_date")}
    r = client.post("/api/v1/sharing/agreements", json=bad, headers=inv)
    assert r.status_code == 400
    assert all(p in r.json()["detail"] for p in ("$.lawful_basis", "$.retention", "$.review_date"))
    assert client.post("/api/v1/sharing/agreements", json=example(), headers=inv).status_code == 201
    r = client.post("/api/v1/sharing/agreements/DSA-2026-001/exports", json={}, headers=inv)
    assert r.status_code == 403 and "draft" in r.json()["detail"]
    assert client.post("/api/v1/sharing/agreements/DSA-2026-001/approve", headers=inv).status_code == 403
    r = client.post("/api/v1/sharing/agreements/DSA-2026-001/approve", headers=dpo)
    assert r.status_code == 200 and r.json()["state"] == "approved"
    r = client.post("/api/v1/sharing/agreements/DSA-2026-001/exports", json={"fields": {"event": ["description"]}},
                    headers=inv)
    assert r.status_code == 403 and "description" in r.json()["detail"]
    r = client.post("/api/v1/sharing/agreements/DSA-2026-001/exports", json={}, headers=inv)
    assert r.status_code == 201 and r.json()["records"] == 45
    detail = client.get("/api/v1/sharing/agreements/DSA-2026-001", headers=dpo).json()
    assert detail["exports"][0]["manifest"]["signature"] == r.json()["manifest"]["signature"]
    listed = client.get("/api/v1/sharing/agreements", headers=dpo).json()["agreements"]
    assert [a["state"] for a in listed] == ["approved"]
