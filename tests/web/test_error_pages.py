"""The one error map, web side: a LedsError raised under a page is a GOV.UK error page with
the error's status and message; under /api/ it is the one JSON error body."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from leds.access.policy import PurposeRequired
from leds.app import create_app
from leds.config import Settings
from leds.errors import Conflict, Forbidden, NotFound

from .test_web import PASSWORD, Web, sign_in


@pytest.fixture
def web(sqlite_settings: Settings) -> Web:
    return Web(sqlite_settings)


def _raising(exc: Exception) -> Callable[[], None]:
    def route() -> None:
        raise exc

    return route


def _client_raising(web: Web) -> TestClient:
    app = create_app(web.settings)
    errors = {"conflict": Conflict("this pair was judged a moment ago"),
              "forbidden": Forbidden("your role may not see records of this force", field="force"),
              "missing": NotFound("no such person, or not one you may see"),
              "purpose": PurposeRequired("a reason is required")}
    for prefix in ("/boom", "/api/v1/boom"):
        for name, exc in errors.items():
            app.add_api_route(f"{prefix}/{name}", _raising(exc))
    return TestClient(app, base_url="http://127.0.0.1")


def test_a_leds_error_under_a_page_is_a_govuk_page_with_its_status_and_message(web: Web) -> None:
    web.account("inv")
    c = _client_raising(web)
    assert sign_in(c, "inv", PASSWORD).status_code == 303
    r = c.get("/boom/conflict")
    assert r.status_code == 409 and "govuk-template" in r.text
    assert "This pair was judged a moment ago." in r.text and "Test investigator" in r.text  # signed in: the nav
    r = c.get("/boom/forbidden")
    assert r.status_code == 403 and "You cannot see this page" in r.text
    assert "Your role may not see records of this force." in r.text
    r = c.get("/boom/missing")
    assert r.status_code == 404 and "Not found" in r.text and "No such person, or not one you may see." in r.text
    r = c.get("/boom/purpose")
    assert r.status_code == 400 and "Select a reason for this look-up, then try again." in r.text


def test_a_leds_error_under_the_api_is_the_one_json_body(web: Web) -> None:
    c = _client_raising(web)
    r = c.get("/api/v1/boom/conflict")
    assert r.status_code == 409 and r.json() == {"detail": "this pair was judged a moment ago"}
    r = c.get("/api/v1/boom/forbidden")
    assert r.status_code == 403
    assert r.json() == {"detail": {"field": "force", "message": "your role may not see records of this force"}}
    r = c.get("/api/v1/boom/purpose")
    assert r.status_code == 400 and r.json() == {"detail": "a reason is required"}
