"""The web app, as a browser would drive it (FastAPI's TestClient on a real store, SQLite
and PostgreSQL): sign-in, sessions, CSRF, the reason picker, the look-up pages, the audit
page, security headers, and every kind of bad input answered with a clear 4xx page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from leds.access import identity
from leds.app import create_app
from leds.audit import queries
from leds.config import Settings
from leds.db.engine import get_engine

from ..factories import P1, event, link, load, marker, person, ug, vehicle

PASSWORD = "correct horse battery staple"
SCRIPT = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"
ACCOUNTS = {"inv": "investigator", "ana": "intelligence_analyst", "aud": "auditor", "fo": "frontline_officer",
            "cr": "control_room"}


@pytest.fixture(autouse=True)
def plain_http_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    # The TestClient speaks plain http; a Secure cookie would never be sent back.
    monkeypatch.setenv("LEDS_COOKIE_SECURE", "0")


def _store(settings: Settings) -> None:
    docs = [person("P-1", family="Fisher", given="Christopher", dob="1999-01-07"),
            marker("M-1", "P-1", code="FI"),
            person("P-2", family="Fisher", given="Anne", dob="1961-05-02"),
            vehicle("V-1", vrm="AB12 CDE"),
            link("K-1", ("person", "P-1"), ("vehicle", "V-1"), role="keeper"),
            event("E-1"), link("K-2", ("person", "P-1"), ("event", "E-1"), role="subject")]
    load(settings, [ug(i, d) for i, d in enumerate(docs, 1)])


@dataclass
class Web:
    settings: Settings

    def client(self) -> TestClient:
        return TestClient(create_app(self.settings), base_url="http://127.0.0.1")

    def account(self, username: str) -> None:
        """Made when first needed: each argon2 hash takes a while."""
        engine = get_engine(self.settings)
        if identity.get_user(engine, username) is None:
            role = ACCOUNTS[username]
            identity.create_user(engine, username, roles=[role], force="WYP", vetting="SC", password=PASSWORD,
                                 display_name=f"Test {role}")

    def signed_in(self, username: str) -> tuple[TestClient, str]:
        self.account(username)
        c = self.client()
        r = sign_in(c, username, PASSWORD)
        assert r.status_code == 303, r.text
        return c, csrf_of(c.get("/"))


@pytest.fixture
def web(settings: Settings) -> Iterator[Web]:
    _store(settings)
    yield Web(settings)


@pytest.fixture
def sqlite_web(sqlite_settings: Settings) -> Iterator[Web]:
    _store(sqlite_settings)
    yield Web(sqlite_settings)


def csrf_of(r: Response) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert m, "no CSRF token on the page"
    return m.group(1)


def sign_in(c: TestClient, username: str, password: str) -> Response:
    token = csrf_of(c.get("/sign-in"))
    return c.post("/sign-in", data={"username": username, "password": password, "csrf_token": token, "next": "/"},
                  follow_redirects=False)


def error_summary(r: Response) -> list[str]:
    block = re.search(r'govuk-error-summary__list">(.*?)</ul>', r.text, re.S)
    return [html.unescape(t).strip() for t in re.findall(r"<a [^>]*>(.*?)</a>", block.group(1), re.S)] if block else []


def check_person(c: TestClient, csrf: str, **fields: str) -> Response:
    return c.post("/check/person", data={"csrf_token": csrf, **fields}, follow_redirects=False)


REASON = {"purpose": "incident_response"}


# -- signing in --------------------------------------------------------------------------------
def test_sign_in_then_home_shows_what_the_user_may_do(web: Web) -> None:
    c, _ = web.signed_in("inv")
    r = c.get("/")
    assert r.status_code == 200
    assert "Law Enforcement Data Service" in r.text and "Test investigator" in r.text
    for label in ("Person check", "Vehicle check", "Search", "Match review"):
        assert label in r.text
    assert 'href="/audit"' not in r.text


def test_navigation_shows_only_the_pages_a_role_allows(sqlite_web: Web) -> None:
    ana, _ = sqlite_web.signed_in("ana")
    page = ana.get("/").text
    assert 'href="/search"' in page and 'href="/check/person"' not in page and 'href="/audit"' not in page
    aud, _ = sqlite_web.signed_in("aud")
    page = aud.get("/").text
    assert 'href="/audit"' in page and 'href="/search"' not in page and 'href="/check/person"' not in page


def test_wrong_password_unknown_user_and_lockout_read_the_same(sqlite_web: Web) -> None:
    sqlite_web.account("inv")
    sqlite_web.account("fo")
    c = sqlite_web.client()
    wrong = sign_in(c, "inv", "not the password at all")
    unknown = sign_in(c, "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert error_summary(wrong) == error_summary(unknown) == [
        "The username or password is not right, or the account is locked or disabled"]
    for _ in range(5):
        sign_in(c, "fo", "not the password at all")
    locked = sign_in(c, "fo", PASSWORD)  # the right password, but locked now
    assert locked.status_code == 401 and error_summary(locked) == error_summary(unknown)
    assert "locked for 15 minutes" in locked.text
    # The trail keeps what the page does not say.
    why = [e.detail.get("why") for e in queries.looked_at_by(get_engine(sqlite_web.settings), "user:fo",
                                                              actions=["authentication"])]
    assert why[0] == "too many failed attempts: this account is locked for a while"
    assert "wrong username or password" in why


def test_sign_in_needs_both_fields_and_a_token_from_our_own_form(sqlite_web: Web) -> None:
    sqlite_web.account("inv")
    c = sqlite_web.client()
    token = csrf_of(c.get("/sign-in"))
    r = c.post("/sign-in", data={"username": "", "password": "", "csrf_token": token})
    assert r.status_code == 400 and error_summary(r) == ["Enter your username", "Enter your password"]
    forged = sqlite_web.client().post("/sign-in", data={"username": "inv", "password": PASSWORD,
                                                         "csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 400 and "leds_session" not in forged.headers.get("set-cookie", "")


def test_signed_out_user_is_sent_to_sign_in_and_back(sqlite_web: Web) -> None:
    sqlite_web.account("inv")
    c = sqlite_web.client()
    r = c.get("/check/vehicle", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=%2Fcheck%2Fvehicle"
    page = c.get(r.headers["location"])
    token = csrf_of(page)
    r = c.post("/sign-in", data={"username": "inv", "password": PASSWORD, "csrf_token": token,
                                 "next": "/check/vehicle"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/check/vehicle"


def test_sign_in_never_redirects_to_another_site(sqlite_web: Web) -> None:
    sqlite_web.account("inv")
    c = sqlite_web.client()
    token = csrf_of(c.get("/sign-in"))
    r = c.post("/sign-in", data={"username": "inv", "password": PASSWORD, "csrf_token": token,
                                 "next": "//evil.example/x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_session_cookie_is_httponly_and_samesite_strict(sqlite_web: Web) -> None:
    sqlite_web.account("inv")
    r = sign_in(sqlite_web.client(), "inv", PASSWORD)
    cookie = r.headers["set-cookie"].lower()
    assert "leds_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_expired_session_goes_to_sign_in_with_a_clear_message(web: Web) -> None:
    c, csrf = web.signed_in("inv")
    identity.end_session(get_engine(web.settings), c.cookies["leds_session"])
    r = c.get("/check/person", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in?expired=1")
    assert "Your session has expired. Sign in again to continue." in c.get(r.headers["location"]).text
    # A form sent after expiry cannot be replayed: a 401 with the sign-in form and the same message.
    c.cookies.set("leds_session", "expired-token-value")
    r = check_person(c, csrf, surname="Fisher", **REASON)
    assert r.status_code == 401 and "Your session has expired" in r.text and 'action="/sign-in"' in r.text


def test_sign_out_ends_the_session(sqlite_web: Web) -> None:
    c, csrf = sqlite_web.signed_in("inv")
    r = c.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?signed_out=1"
    assert c.get("/", follow_redirects=False).status_code == 303


# -- CSRF and headers -----------------------------------------------------------------------------
def test_forms_without_the_sessions_csrf_token_are_refused(sqlite_web: Web) -> None:
    c, _ = sqlite_web.signed_in("inv")
    for token in ("", "wrong-token"):
        r = check_person(c, token, surname="Fisher", **REASON)
        assert r.status_code == 403 and "This form has expired" in r.text
    r = c.post("/sign-out", data={}, follow_redirects=False)
    assert r.status_code == 403


def test_pages_carry_strict_security_headers_and_are_never_cached(sqlite_web: Web) -> None:
    c, _ = sqlite_web.signed_in("inv")
    r = c.get("/check/person")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in r.text  # no inline script: GOV.UK Frontend starts from a static file
    assert '<script type="module" src="/assets/app/init.js"></script>' in r.text


def test_govuk_frontend_assets_are_served_locally(sqlite_web: Web) -> None:
    c = sqlite_web.client()
    css = c.get("/assets/frontend/govuk-frontend.min.css")
    assert css.status_code == 200 and "govuk-template" in css.text
    assert c.get("/assets/frontend/govuk-frontend.min.js").status_code == 200
    assert c.get("/assets/app/init.js").status_code == 200
    font = re.search(r"url\((/assets/fonts/[^)]+\.woff2)\)", css.text)
    assert font and c.get(font.group(1)).status_code == 200
    page = c.get("/sign-in").text
    assets = re.findall(r'<(?:link|script)[^>]+(?:href|src)="([^"]+)"', page)
    assert assets and all(a.startswith("/assets/") for a in assets)  # nothing from a CDN


def test_the_app_will_not_start_without_its_assets(sqlite_settings: Settings, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDS_WEB_ASSETS", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="scripts/setup.sh"):
        create_app(Settings(home=sqlite_settings.home))  # made after the variable is set


# -- the reason picker ----------------------------------------------------------------------------
def test_a_look_up_without_a_reason_is_refused_with_an_error_summary(web: Web) -> None:
    c, csrf = web.signed_in("inv")
    r = check_person(c, csrf, surname="Fisher")
    assert r.status_code == 400 and error_summary(r) == ["Select a reason for this look-up"]
    assert 'href="#purpose"' in r.text
    r = check_person(c, csrf, surname="Fisher", purpose="investigation")
    assert r.status_code == 400 and error_summary(r) == ["Enter the case or reference for ‘Investigation’"]
    r = check_person(c, csrf, surname="Fisher", purpose="curiosity")
    assert r.status_code == 400 and error_summary(r) == ["Select a reason for this look-up"]


def test_the_reason_is_remembered_for_the_session(sqlite_web: Web) -> None:
    c, csrf = sqlite_web.signed_in("inv")
    r = check_person(c, csrf, surname="Fisher", purpose="investigation", **{"reason-investigation": "OP-42"})
    assert r.status_code == 200 and "Reason given: <strong" in r.text and "Investigation: OP-42" in r.text
    form = c.get("/check/vehicle").text
    assert re.search(r'value="investigation"\s+checked', form)
    assert 'value="OP-42"' in form
    # A page reached by a link uses the remembered reason.
    person = c.get("/person/" + P1)
    assert person.status_code == 200 and "Investigation: OP-42" in person.text


def test_a_linked_page_without_a_remembered_reason_asks_for_one(sqlite_web: Web) -> None:
    c, csrf = sqlite_web.signed_in("inv")
    r = c.get("/person/" + P1)
    assert r.status_code == 200 and "Give a reason before you open this page" in r.text
    r = c.get("/person/" + P1, params={"asked": "1", "csrf_token": csrf})
    assert r.status_code == 400 and error_summary(r) == ["Select a reason for this look-up"]
    r = c.get("/person/" + P1, params={"purpose": "safeguarding", "csrf_token": csrf})
    assert r.status_code == 200 and "Christopher Fisher" in r.text


def test_a_reason_in_someone_elses_link_is_never_used_as_it_stands(sqlite_web: Web) -> None:
    c, _ = sqlite_web.signed_in("inv")
    r = c.get("/person/" + P1, params={"purpose": "safeguarding"})  # no token: not our own form
    assert r.status_code == 200 and "Give a reason before you open this page" in r.text
    assert "Christopher Fisher" not in r.text and re.search(r'value="safeguarding"\s+checked', r.text)
    r = c.get("/search", params={"surname": "Fisher", **REASON})
    assert r.status_code == 200 and 'id="confirm-search"' in r.text and 'id="result-count"' not in r.text
    assert 'value="Fisher"' in r.text


# -- the look-up pages ----------------------------------------------------------------------------
def test_person_check_shows_markers_first_and_says_it_is_recorded(web: Web) -> None:
    c, csrf = web.signed_in("inv")
    r = check_person(c, csrf, surname="Fisher", forename="Christopher", **{"dob-day": "7", "dob-month": "1",
                                                                           "dob-year": "1999"}, **REASON)
    assert r.status_code == 200
    page = r.text
    assert "Every look-up is recorded" in page and "Incident response" in page
    assert page.index('id="markers"') < page.index('id="identity"')
    assert "FI firearms" in page
    assert "WYP · NICHE-RMS" in page  # provenance on the facts shown


def test_vehicle_check_finds_a_mark_with_one_confused_character(web: Web) -> None:
    c, csrf = web.signed_in("inv")
    r = c.post("/check/vehicle", data={"csrf_token": csrf, "vrm": "AB12 CD3".replace("3", "E").replace("1", "I"),
                                       **REASON})
    assert r.status_code == 200 and "AB12 CDE" in r.text and "Similar mark" in r.text
    assert "Christopher Fisher" in r.text


def test_search_by_partial_name_and_age_range(web: Web) -> None:
    c, csrf = web.signed_in("inv")
    r = c.get("/search", params={"surname": "Fis*", "age_from": "18", "age_to": "40", "csrf_token": csrf, **REASON})
    assert r.status_code == 200
    assert re.search(r'id="result-count">1 person record found', r.text)
    assert "Christopher Fisher" in r.text and "Anne Fisher" not in r.text


def test_person_and_record_pages(sqlite_web: Web) -> None:
    c, csrf = sqlite_web.signed_in("inv")
    r = c.get("/person/" + P1, params={"csrf_token": csrf, **REASON})
    assert r.status_code == 200 and "Christopher Fisher" in r.text and "FI firearms" in r.text
    rec = c.get("/record/" + P1)
    assert rec.status_code == 200 and "NICHE-RMS" in rec.text and 'id="versions"' in rec.text


def test_control_room_cannot_open_source_records(sqlite_web: Web) -> None:
    c, csrf = sqlite_web.signed_in("cr")
    r = c.get("/record/" + P1, params={"csrf_token": csrf, **REASON})
    assert r.status_code == 403 and "recorded" in r.text


def test_an_analyst_is_refused_the_audit_page(web: Web) -> None:
    c, _ = web.signed_in("ana")
    r = c.get("/audit")
    assert r.status_code == 403 and "You cannot see this page" in r.text


def test_the_audit_trail_shows_the_look_ups_just_made(web: Web) -> None:
    inv, csrf = web.signed_in("inv")
    assert check_person(inv, csrf, surname="Fisher", purpose="investigation",
                        **{"reason-investigation": "OP-77"}).status_code == 200
    aud, _ = web.signed_in("aud")
    r = aud.get("/audit", params={"actor": "inv"})
    assert r.status_code == 200
    table = r.text[r.text.index('id="looked-at-by"'):]
    assert "person check" in table and "Investigation: OP-77" in table
    r = aud.get("/audit", params={"subject": P1})
    assert r.status_code == 200 and "user:inv" in r.text[r.text.index('id="who-looked-at"'):]


def test_match_review_page_is_for_reviewers(sqlite_web: Web) -> None:
    c, csrf = sqlite_web.signed_in("ana")
    r = c.get("/review", params={"csrf_token": csrf, **REASON})
    assert r.status_code == 200 and "Match review" in r.text
    fo, _ = sqlite_web.signed_in("fo")
    assert fo.get("/review").status_code == 403


# -- bad input: always a clear 4xx page, never a 500 ----------------------------------------------
def test_malformed_date_of_birth(web: Web) -> None:
    c, csrf = web.signed_in("inv")
    for day, month, year, message in (("31", "2", "1999", "Date of birth must be a real date, like 27 3 1985"),
                                      ("x", "1", "1999", "Date of birth must be a real date, like 27 3 1985"),
                                      ("7", "", "1999", "Date of birth must include a month"),
                                      ("1", "1", "2999", "Date of birth must be today or in the past")):
        r = check_person(c, csrf, surname="Fisher", **{"dob-day": day, "dob-month": month, "dob-year": year},
                         **REASON)
        assert r.status_code == 400, (day, month, year)
        assert message in error_summary(r)


def test_oversized_queries(sqlite_web: Web) -> None:
    c, csrf = sqlite_web.signed_in("inv")
    r = check_person(c, csrf, surname="x" * 5000, **REASON)
    assert r.status_code == 400 and error_summary(r) == ["Surname must be 100 characters or fewer"]
    r = c.post("/check/vehicle", data={"csrf_token": csrf, "vrm": "A" * 300, **REASON})
    assert r.status_code == 400 and error_summary(r)
    r = c.get("/search", params={"surname": "Fisher", "marks": "m" * 201, "csrf_token": csrf, **REASON})
    assert r.status_code == 400 and "Marks, scars or tattoos must be 200 characters or fewer" in error_summary(r)
    r = check_person(c, csrf, surname="Fisher", purpose="investigation", **{"reason-investigation": "r" * 501})
    assert r.status_code == 400 and error_summary(r) == ["The explanation must be 500 characters or fewer"]
    r = c.post("/check/person", data={"csrf_token": csrf, "surname": "y" * 100_000, **REASON})
    assert r.status_code == 413
    r = c.get("/person/" + "z" * 300)
    assert r.status_code == 404


PERSON_TEXT = ("surname", "forename", "pnc_id", "postcode", "dob-day", "dob-month", "dob-year", "age_from", "age_to",
               "sex")
SEARCH_TEXT = ("surname", "forename", "marks", "district", "text", "force", "dataset", "height_from", "height_to",
               "age_from", "age_to", "page")


@pytest.mark.parametrize("attack", [SCRIPT, SQL])
def test_injection_in_every_text_field_is_escaped_and_never_a_500(web: Web, attack: str) -> None:
    c, csrf = web.signed_in("inv")

    def safe(r: Response) -> None:
        assert r.status_code < 500, r.text[:500]
        assert SCRIPT not in r.text

    for field in PERSON_TEXT:
        base = {"surname": "Fisher"} if field != "surname" else {}
        safe(check_person(c, csrf, **base, **{field: attack}, **REASON))
    safe(check_person(c, csrf, surname="Fisher", purpose="investigation", **{"reason-investigation": attack}))
    safe(check_person(c, csrf, surname="Fisher", purpose=attack))
    safe(c.post("/check/vehicle", data={"csrf_token": csrf, "vrm": attack, **REASON}))
    for field in SEARCH_TEXT:
        base = {"surname": "Fisher"} if field != "surname" else {}
        safe(c.get("/search", params={**base, field: attack, "csrf_token": csrf, **REASON}))
    safe(c.get("/person/" + attack, params={"csrf_token": csrf, **REASON}))
    safe(c.get("/record/" + attack, params={"csrf_token": csrf, **REASON}))
    safe(c.get("/review", params={"offset": attack}))
    safe(c.post("/review", data={"csrf_token": csrf, "a": attack, "b": attack, "verdict": "same", "why": attack}))
    aud, _ = web.signed_in("aud")
    safe(aud.get("/audit", params={"subject": attack, "actor": attack}))
    anon = web.client()
    r = sign_in(anon, attack, attack)
    safe(r)
    if attack == SCRIPT:  # what was typed comes back escaped
        assert html.escape(SCRIPT, quote=True) in r.text or "&lt;script&gt;" in r.text


def test_unknown_person_id_is_a_404_page(web: Web) -> None:
    c, csrf = web.signed_in("inv")
    r = c.get("/person/NP-DOESNOTEXIST", params={"csrf_token": csrf, **REASON})
    assert r.status_code == 404 and "govuk-heading-l" in r.text and "no such person" in r.text.lower()
    r = c.get("/record/WYP|NICHE-RMS|person|P-404", params={"csrf_token": csrf, **REASON})
    assert r.status_code == 404


def test_unknown_pages_and_bad_addresses_are_govuk_pages(sqlite_web: Web) -> None:
    c, _ = sqlite_web.signed_in("inv")
    r = c.get("/no-such-page")
    assert r.status_code == 404 and "Page not found" in r.text and "govuk-template" in r.text
    r = c.get("/review", params={"offset": "-5"})
    assert r.status_code == 400 and "govuk-template" in r.text
    # The API keeps its JSON errors.
    assert c.get("/api/v1/no-such").headers["content-type"].startswith("application/json")


def test_control_characters_are_refused_in_every_field_never_a_500(web: Web) -> None:
    """A NUL cannot be stored in PostgreSQL text nor written to the audit trail: the
    pages refuse it with a message before it reaches either."""
    nul = "Fi\x00sher"
    c, csrf = web.signed_in("inv")
    for field in ("surname", "forename", "pnc_id", "postcode", "dob-day"):
        base = {"surname": "Fisher"} if field != "surname" else {}
        r = check_person(c, csrf, **base, **{field: nul}, **REASON)
        assert r.status_code == 400 and error_summary(r)[0].startswith("Remove the character"), field
        assert "\x00" not in r.text
    r = check_person(c, csrf, surname="Fisher", purpose="investigation", **{"reason-investigation": nul})
    assert r.status_code == 400 and "\x00" not in r.text
    assert c.post("/check/vehicle", data={"csrf_token": csrf, "vrm": "AB1\x002", **REASON}).status_code == 400
    for field in ("surname", "marks", "text", "district"):
        base = {"surname": "Fisher"} if field != "surname" else {}
        r = c.get("/search", params={**base, field: nul, "csrf_token": csrf, **REASON})
        assert r.status_code == 400, field
    assert c.get("/person/NP-%00", params={"csrf_token": csrf, **REASON}).status_code == 404
    assert c.get("/record/WYP|X|person|%00", params={"csrf_token": csrf, **REASON}).status_code == 404
    r = c.post("/review", data={"csrf_token": csrf, "a": "x", "b": "y", "verdict": "same", "why": nul})
    assert r.status_code < 500
    aud, _ = web.signed_in("aud")
    assert aud.get("/audit", params={"subject": nul}).status_code == 400
    assert aud.get("/audit", params={"actor": nul}).status_code == 400
    web.account("inv")
    assert sign_in(web.client(), "in\x00v", PASSWORD).status_code == 400
