"""Identity over the API: sign-in, tokens, sessions, lock-out, and audited refusals."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from leds.access import identity
from leds.app import create_app
from leds.config import Settings
from leds.db.engine import get_engine
from leds.db.schema import users
from leds.ingest.pipeline import Ingestor, ingest_paths

from ..factories import ndjson, person, ug

PASSWORD = "correct horse battery staple"


@pytest.fixture
def app(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("LEDS_COOKIE_SECURE", "0")  # the test client speaks plain http
    path = tmp_path / "people.ndjson"
    wyp = person("P-1", family="Smith")
    secret = person("P-2", family="Hidden")
    secret["handling"] = "SECRET"
    path.write_bytes(ndjson([ug(1, wyp), ug(2, secret)]))
    ingest_paths(Ingestor(settings), [path])
    engine = get_engine(settings)
    identity.create_user(engine, "officer", roles=["frontline_officer"], force="WYP", vetting="NPPV2",
                         password=PASSWORD)
    identity.create_user(engine, "auditor", roles=["auditor"], force="WYP", vetting="SC", password=PASSWORD)
    return TestClient(create_app(settings))


def token(client: TestClient, user: str = "officer", scopes: list[str] | None = None, password: str = PASSWORD):
    return client.post("/api/v1/auth/tokens", json={"username": user, "password": password,
                                                    "scopes": scopes or ["view_record", "check"]})


def audit_rows(settings: Settings, action: str) -> list[dict]:
    with get_engine(settings).connect() as c:
        return [dict(r) for r in c.execute(text("SELECT * FROM audit_entries WHERE action = :a ORDER BY id"),
                                           {"a": action}).mappings()]


def test_token_reads_a_record_with_a_reason_and_the_look_up_is_audited(app: TestClient, settings: Settings) -> None:
    t = token(app).json()["token"]
    r = app.get("/api/v1/records/WYP|NICHE-RMS|person|P-1", params={"purpose": "incident_response"},
                headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["names"][0]["family"] == "Smith"
    consultations = audit_rows(settings, "consultation")
    assert consultations and consultations[-1]["actor"] == "user:officer"


def test_no_reason_is_a_clear_400_and_is_audited_as_denied(app: TestClient, settings: Settings) -> None:
    t = token(app).json()["token"]
    h = {"Authorization": f"Bearer {t}"}
    r = app.get("/api/v1/records/WYP|NICHE-RMS|person|P-1", headers=h)
    assert r.status_code == 400 and "reason is required" in r.json()["detail"]
    r = app.get("/api/v1/records/WYP|NICHE-RMS|person|P-1", params={"purpose": "nosiness"}, headers=h)
    assert r.status_code == 400
    assert audit_rows(settings, "denied"), "the refused look-up is in the audit trail"


def test_a_record_above_the_users_vetting_looks_like_no_record(app: TestClient) -> None:
    t = token(app).json()["token"]
    r = app.get("/api/v1/records/WYP|NICHE-RMS|person|P-2", params={"purpose": "incident_response"},
                headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 404 and "Hidden" not in r.text


def test_a_role_without_the_action_is_refused_and_audited(app: TestClient, settings: Settings) -> None:
    t = token(app, "auditor", ["view_audit"]).json()["token"]
    r = app.get("/api/v1/records/WYP|NICHE-RMS|person|P-1", params={"purpose": "audit"},
                headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 403
    assert any(row["actor"] == "user:auditor" for row in audit_rows(settings, "denied"))


def test_a_token_cannot_be_used_beyond_its_scopes(app: TestClient) -> None:
    t = token(app, scopes=["check"]).json()["token"]
    r = app.get("/api/v1/records/WYP|NICHE-RMS|person|P-1", params={"purpose": "incident_response"},
                headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 403 and "scopes" in r.json()["detail"]


def test_a_disabled_users_token_stops_working_immediately(app: TestClient, settings: Settings) -> None:
    t = token(app).json()["token"]
    h = {"Authorization": f"Bearer {t}"}
    assert app.get("/api/v1/me", headers=h).status_code == 200
    identity.set_disabled(get_engine(settings), "officer", True)
    assert app.get("/api/v1/me", headers=h).status_code == 401


def test_an_expired_token_is_refused(app: TestClient, settings: Settings) -> None:
    t = token(app).json()["token"]
    with get_engine(settings).begin() as c:
        c.execute(text("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000000Z'"))
    assert app.get("/api/v1/me", headers={"Authorization": f"Bearer {t}"}).status_code == 401


def test_five_failures_lock_the_account_even_against_the_right_password(app: TestClient, settings: Settings) -> None:
    for _ in range(5):
        assert token(app, password="wrong password!!").status_code == 401
    r = token(app)
    assert r.status_code == 401 and "locked" in r.json()["detail"]
    refused = audit_rows(settings, "authentication")
    assert sum('"refused"' in row["detail"] for row in refused) >= 6
    with get_engine(settings).begin() as c:
        c.execute(users.update().where(users.c.username == "officer").values(locked_until=None))
    assert token(app).status_code == 200


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(app: TestClient) -> None:
    a = token(app, user="nobody", password="whatever123456")
    b = token(app, password="not the password")
    assert a.status_code == b.status_code == 401 and a.json() == b.json()


def test_passwords_are_never_logged_or_audited(app: TestClient, settings: Settings,
                                              caplog: pytest.LogCaptureFixture) -> None:
    wrong = "Wr0ng-but-distinctive-passw0rd"
    with caplog.at_level(logging.DEBUG):
        token(app, password=wrong)
        token(app)
        app.post("/api/v1/auth/session", json={"username": "officer", "password": PASSWORD})
    assert wrong not in caplog.text and PASSWORD not in caplog.text
    with get_engine(settings).connect() as c:
        everything = " ".join(str(row) for row in c.execute(text("SELECT * FROM audit_entries")).all())
        stored = c.execute(select(users.c.password_hash).where(users.c.username == "officer")).scalar_one()
    assert wrong not in everything and PASSWORD not in everything
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_web_session_needs_the_csrf_token_for_changes(app: TestClient) -> None:
    r = app.post("/api/v1/auth/session", json={"username": "officer", "password": PASSWORD})
    assert r.status_code == 200
    csrf = r.json()["csrf_token"]
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    assert app.get("/api/v1/me").json()["user"] == "officer"
    assert app.delete("/api/v1/auth/session").status_code == 403, "no CSRF token, no sign-out"
    assert app.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert app.get("/api/v1/me").status_code == 401


def test_session_remembers_the_last_reason(app: TestClient) -> None:
    app.post("/api/v1/auth/session", json={"username": "officer", "password": PASSWORD})
    assert app.get("/api/v1/me").json()["last_purpose"] is None
    app.get("/api/v1/records/WYP|NICHE-RMS|person|P-1", params={"purpose": "safeguarding"})
    assert app.get("/api/v1/me").json()["last_purpose"] == "safeguarding"


def test_system_account_submitting_for_another_force_is_refused_and_audited(app: TestClient,
                                                                           settings: Settings) -> None:
    from leds.access import systems
    from leds.ingest.pipeline import utcnow

    _, tok = systems.create(get_engine(settings), "wyp-rms", "WYP", utcnow())
    r = app.post("/api/v1/updategrams", content=ndjson([ug(9, person("P-9"), force="MPS")]),
                 headers={"Authorization": f"Bearer {tok}"})
    assert r.json()["by_reason"] == {"NOT_AUTHORISED": 1}
    assert any(row["actor"] == "system-account:wyp-rms" for row in audit_rows(settings, "denied"))


def test_looking_up_someone_with_your_own_surname_raises_a_signal_for_auditors(app: TestClient,
                                                                             settings: Settings) -> None:
    engine = get_engine(settings)
    identity.create_user(engine, "pc-smith", roles=["frontline_officer"], force="WYP", vetting="NPPV2",
                         password=PASSWORD, surname="Smith")
    t = token(app, "pc-smith").json()["token"]
    r = app.get("/api/v1/records/WYP|NICHE-RMS|person|P-1", params={"purpose": "incident_response"},
                headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 200
    from leds.audit.signals import list_signals

    found = list_signals(engine, kind="personal_connection", actor="user:pc-smith")
    assert [s.subject_key for s in found] == ["WYP|NICHE-RMS|person|P-1"]
    # An officer without that surname raises none.
    t2 = token(app).json()["token"]
    app.get("/api/v1/records/WYP|NICHE-RMS|person|P-1", params={"purpose": "incident_response"},
            headers={"Authorization": f"Bearer {t2}"})
    assert list_signals(engine, kind="personal_connection", actor="user:officer") == []


def test_auditor_sees_who_looked_at_a_person_and_an_officer_is_refused_the_audit_trail(
        app: TestClient, settings: Settings) -> None:
    officer = {"Authorization": f"Bearer {token(app).json()['token']}"}
    app.get("/api/v1/records/WYP|NICHE-RMS|person|P-1", params={"purpose": "safeguarding"}, headers=officer)
    refused = app.get("/api/v1/audit/who-looked-at", params={"subject": "WYP|NICHE-RMS|person|P-1"},
                      headers=officer)
    assert refused.status_code == 403
    auditor = {"Authorization": f"Bearer {token(app, 'auditor', ['view_audit']).json()['token']}"}
    seen = app.get("/api/v1/audit/who-looked-at", params={"subject": "WYP|NICHE-RMS|person|P-1"}, headers=auditor)
    assert seen.status_code == 200
    assert [(e["actor"], e["purpose"]) for e in seen.json()] == [("user:officer", "safeguarding")]
    mine = app.get("/api/v1/audit/users/user:officer", headers=auditor).json()
    assert any(e["action"] == "denied" for e in mine), "the refused audit query is itself in the trail"
