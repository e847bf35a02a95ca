"""POST /api/v1/updategrams over real HTTP semantics (FastAPI's TestClient on a real store)."""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from leds.access import systems
from leds.app import create_app
from leds.config import Settings
from leds.db.engine import get_engine
from leds.db.schema import quarantine, records
from leds.ingest.pipeline import utcnow

from ..factories import ndjson, person, ug


def client_and_token(settings: Settings, force: str = "WYP") -> tuple[TestClient, str]:
    _, token = systems.create(get_engine(settings), f"{force.lower()}-rms", force, utcnow())
    return TestClient(create_app(settings)), token


def test_force_system_submits_updategrams(settings: Settings) -> None:
    client, token = client_and_token(settings)
    r = client.post("/api/v1/updategrams", content=ndjson([ug(1, person("P-1")), ug(2, person("P-2"))]),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 2
    with get_engine(settings).connect() as c:
        assert sorted(c.execute(select(records.c.ref)).scalars()) == ["P-1", "P-2"]


def test_no_token_or_a_wrong_token_is_refused(settings: Settings) -> None:
    client, _ = client_and_token(settings)
    assert client.post("/api/v1/updategrams", content=b"{}").status_code == 401
    r = client.post("/api/v1/updategrams", content=b"{}", headers={"Authorization": "Bearer leds_sys_wrong"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_a_sender_cannot_submit_for_another_force(settings: Settings) -> None:
    client, token = client_and_token(settings, "WYP")
    r = client.post("/api/v1/updategrams", content=ndjson([ug(1, person("P-1"), force="MPS")]),
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["by_reason"] == {"NOT_AUTHORISED": 1}
    with get_engine(settings).connect() as c:
        q = c.execute(select(quarantine)).mappings().one()
    assert q["origin"] == "api:wyp-rms" and "submits for WYP, not MPS" in q["message"]


def test_disabled_account_token_stops_working_at_once(settings: Settings) -> None:
    client, token = client_and_token(settings)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/updategrams", content=ndjson([ug(1, person("P-1"))]), headers=headers).status_code == 200
    systems.disable(get_engine(settings), "wyp-rms")
    assert client.post("/api/v1/updategrams", content=ndjson([ug(2, person("P-2"))]), headers=headers).status_code == 401


def test_bad_lines_in_a_request_are_quarantined_and_the_rest_accepted(settings: Settings) -> None:
    client, token = client_and_token(settings)
    body = b"not json\n" + ndjson([ug(1, person("P-1"))])
    r = client.post("/api/v1/updategrams", content=body, headers={"Authorization": f"Bearer {token}"})
    assert r.json()["accepted"] == 1 and r.json()["by_reason"] == {"MALFORMED_JSON": 1}


def test_empty_body_is_a_clear_400(settings: Settings) -> None:
    client, token = client_and_token(settings)
    r = client.post("/api/v1/updategrams", content=b"", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400 and "empty" in r.json()["detail"]


def test_openapi_documents_the_ingest_endpoint(sqlite_settings: Settings) -> None:
    spec = TestClient(create_app(sqlite_settings)).get("/api/v1/openapi.json").json()
    assert "/api/v1/updategrams" in spec["paths"]
    assert orjson.dumps(spec)  # serialisable
