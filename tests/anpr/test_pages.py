"""The analyst's page: a flagged vehicle linked to leds's records through the access policy
(an analyst of one force cannot see keeper details the policy hides), with a map of its
reads drawn on the server; and the API routes under the gate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leds.access import identity
from leds.anpr import service, store
from leds.anpr.ingest import ingest
from leds.app import create_app
from leds.config import Settings
from leds.db.engine import get_engine
from tests.callers import api_client, lookup
from tests.factories import load, rec, rec_link, ug

PASSWORD = "correct horse battery staple"
CAMERAS = ("camera_id,lat,lon,road,direction,force,site_name\n"
           "C1,53.80,-1.55,A61,N,WYP,Leeds\nC2,53.70,-1.50,M1,S,WYP,Wakefield\nC3,53.38,-1.47,M1,S,SYP,Sheffield\n")


def _records(settings: Settings) -> None:
    hidden = rec("person", "P-H", {"names": [{"given": ["Harriet"], "family": "Keeper", "kind": "primary"}],
                                   "birth_dates": ["1980-02-02"]})
    hidden["sharing"] = "force"  # WYP's own: not shared nationally
    docs = [rec("vehicle", "V-H", {"vrm": "KX20 HID", "make": "Audi", "model": "A3", "colour": "Black"}, "vehicle",
                "OFFICIAL"),
            hidden,
            rec_link("K-H", ("person", "P-H"), ("vehicle", "V-H"), "keeper", "vehicle"),
            rec("marker", "M-H", {"subject": {"type": "vehicle", "ref": "V-H"}, "code": "DR", "detail": "drugs"},
                "vehicle", "OFFICIAL")]
    load(settings, [ug(i, d) for i, d in enumerate(docs, 1)])


def _reads(settings: Settings, tmp: Path) -> None:
    (tmp / "cameras.csv").write_text(CAMERAS)
    day = store.cutoff(settings)
    (tmp / "reads.csv").write_text("read_id,vrm,camera_id,read_at,confidence\n"
                                   f"a,KX20HID,C1,{day}T21:00:00Z,0.9\nb,KX2OHID,C2,{day}T21:12:00Z,0.7\n"
                                   f"c,KX20HID,C3,{day}T21:40:00Z,0.9\n")
    ingest(settings, get_engine(settings), tmp / "cameras.csv", [tmp / "reads.csv"])


def test_an_analyst_of_one_force_cannot_see_keeper_details_the_policy_hides(settings: Settings) -> None:
    _records(settings)
    with get_engine(settings).connect() as conn:
        mps = service.linked_records(conn, lookup("intelligence_analyst", "MPS", "intelligence_development",
                                                  "Op Kestrel")[0], "KX2OHID")
        wyp = service.linked_records(conn, lookup("intelligence_analyst", "WYP", "intelligence_development",
                                                  "Op Kestrel")[0], "KX20HID")
    [seen_by_mps] = mps["vehicles"]
    [seen_by_wyp] = wyp["vehicles"]
    assert seen_by_mps["people"] == [] and "Keeper" not in str(mps)
    assert [m["code"] for m in seen_by_mps["markers"]] == ["DR"]
    assert [p["name"] for p in seen_by_wyp["people"]] and "Keeper" in str(seen_by_wyp["people"])


def _signed_in(settings: Settings, name: str, role: str, force: str) -> tuple[TestClient, str]:
    engine = get_engine(settings)
    if identity.get_user(engine, name) is None:
        identity.create_user(engine, name, roles=[role], force=force, vetting="SC", password=PASSWORD)
    c = TestClient(create_app(settings), base_url="http://127.0.0.1")
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/sign-in").text)
    assert token
    r = c.post("/sign-in", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/anpr").text)
    assert m
    return c, m.group(1)


def test_the_vehicle_page_maps_its_reads_and_shows_only_what_the_policy_allows(
        sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDS_COOKIE_SECURE", "0")
    settings = sqlite_settings
    _records(settings)
    _reads(settings, tmp_path)
    q = {"purpose": "intelligence_development", "reason-intelligence-development": "Op Kestrel"}
    c, csrf = _signed_in(settings, "analyst-mps", "intelligence_analyst", "MPS")
    page = c.get("/anpr/vehicle/KX20HID", params={**q, "csrf_token": csrf})
    assert page.status_code == 200
    assert "<svg" in page.text and page.text.count('fill="#00703c"') == 3  # three reads, one of them an OCR slip
    assert "KX2OHID" in page.text and "Harriet" not in page.text and "None you may see" in page.text
    c2, csrf2 = _signed_in(settings, "analyst-wyp", "intelligence_analyst", "WYP")
    assert "Harriet" in c2.get("/anpr/vehicle/KX20HID", params={**q, "csrf_token": csrf2}).text
    unconfirmed = c2.get("/anpr/vehicle/KX20HID", params={**q, "csrf_token": "forged"})
    assert 'id="confirm"' in unconfirmed.text and "Harriet" not in unconfirmed.text


def test_the_api_answers_under_the_anpr_action_only(sqlite_settings: Settings, tmp_path: Path) -> None:
    _reads(sqlite_settings, tmp_path)
    client, auth = api_client(sqlite_settings, "intelligence_analyst", scopes=["anpr"])
    body = {"purpose": "intelligence_development", "reason": "Op Kestrel"}
    r = client.post("/api/v1/anpr/cloned", headers=auth, json=body)
    assert r.status_code == 200 and r.json() == {"plates": []}
    r = client.post("/api/v1/anpr/convoys", headers=auth, json={**body, "vrm": "KX20HID"})
    assert r.status_code == 200 and r.json() == {"vrm": "KX20HID", "convoys": []}
    assert client.post("/api/v1/anpr/profile", headers=auth, json=body).status_code == 404  # no routes yet
    officer, auth2 = api_client(sqlite_settings, "frontline_officer", scopes=["anpr", "check"])
    assert officer.post("/api/v1/anpr/cloned", headers=auth2, json=body).status_code == 403
