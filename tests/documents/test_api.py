"""The API: search with a token that has the scope, the team rule, and the schema."""

from __future__ import annotations

from pathlib import Path

from leds.config import Settings
from leds.db.engine import get_engine
from leds.documents import cases, process
from leds.documents.ingest import ingest

from ..callers import api_client


def test_the_api_searches_for_a_team_member_and_refuses_anyone_else(sqlite_settings: Settings, tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "a.txt").write_text("Dumped the blade in the canal near Armley.")
    engine = get_engine(sqlite_settings)
    with engine.begin() as conn:
        c = cases.create(conn, "op-x", title="X", case_ref="OP/X", handling="OFFICIAL", team=["investigator-wyp"],
                         by="test")
    ingest(engine, c, [str(files)])
    process.process(engine, c, sqlite_settings.home)
    client, headers = api_client(sqlite_settings, scopes=["search_documents"])
    body = {"collection": "op-x", "query": "getting rid of a knife", "purpose": "investigation", "reason": "OP/X"}
    r = client.post("/api/v1/documents/search", json=body, headers=headers)
    assert r.status_code == 200, r.text
    hit = r.json()["results"][0]
    assert hit["document"] == "a.txt"
    r = client.get(f"/api/v1/documents/op-x/documents/{hit['id']}?purpose=investigation&reason=OP/X", headers=headers)
    assert r.status_code == 200 and r.json()["text"].startswith("Dumped")
    assert client.get("/api/v1/documents/collections", headers=headers).json()[0]["name"] == "op-x"
    other, other_headers = api_client(sqlite_settings, role="intelligence_analyst", scopes=["search_documents"])
    r = other.post("/api/v1/documents/search", json=body, headers=other_headers)
    assert r.status_code == 403 and "a.txt" not in r.text
    assert other.get("/api/v1/documents/collections", headers=other_headers).json() == []
    no_scope, h = api_client(sqlite_settings, role="investigator", force="MPS", scopes=["search"])
    assert no_scope.post("/api/v1/documents/search", json=body, headers=h).status_code == 403
