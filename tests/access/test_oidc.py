"""OIDC sign-in against a real (minimal) OpenID provider served over loopback HTTP.

The provider publishes discovery metadata and a JWKS, redirects with a code,
and issues RS256-signed ID tokens, so Authlib's client does real discovery,
real token exchange and real signature, issuer, audience and nonce checks.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import uvicorn
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from leds.access import identity
from leds.app import create_app
from leds.config import Settings
from leds.db.engine import get_engine

CLIENT_ID, CLIENT_SECRET = "leds-test", "s3cret-for-tests-only"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Provider:
    def __init__(self, port: int, subject: str):
        self.issuer = f"http://127.0.0.1:{port}"
        self.subject = subject
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"})
        self.codes: dict[str, str] = {}  # code -> nonce
        self.app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/jwks", self.jwks),
        ])

    async def discovery(self, request: Request) -> JSONResponse:
        i = self.issuer
        return JSONResponse({"issuer": i, "authorization_endpoint": f"{i}/authorize", "token_endpoint": f"{i}/token",
                             "jwks_uri": f"{i}/jwks", "response_types_supported": ["code"],
                             "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"]})

    async def authorize(self, request: Request) -> RedirectResponse:
        q = request.query_params
        assert q["client_id"] == CLIENT_ID
        code = secrets.token_urlsafe(16)
        self.codes[code] = q.get("nonce", "")
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        nonce = self.codes.pop(str(form["code"]))
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.subject, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": nonce, "name": "Test Officer"}
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                             "id_token": id_token})

    async def jwks(self, request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})


@pytest.fixture
def provider() -> Iterator[Provider]:
    port = _free_port()
    idp = Provider(port, subject="officer-7731")
    server = uvicorn.Server(uvicorn.Config(idp.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield idp
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def client(sqlite_settings: Settings, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("LEDS_OIDC_METADATA_URL", f"{provider.issuer}/.well-known/openid-configuration")
    monkeypatch.setenv("LEDS_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LEDS_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("LEDS_COOKIE_SECURE", "0")
    # Settings read the environment when made: these, after the variables above are set.
    return TestClient(create_app(Settings(home=sqlite_settings.home)), base_url="http://testserver")


def sign_in(client: TestClient) -> object:
    login = client.get("/auth/oidc/login", follow_redirects=False)
    assert login.status_code in (302, 307)
    # The browser goes to the provider (real HTTP on loopback), which redirects back with a code.
    import httpx

    at_idp = httpx.get(login.headers["location"], follow_redirects=False)
    back = urlparse(at_idp.headers["location"])
    assert parse_qs(back.query)["code"]
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_a_linked_identity_signs_in_and_gets_a_session(client: TestClient, sqlite_settings: Settings,
                                                      provider: Provider) -> None:
    identity.create_user(get_engine(sqlite_settings), "pc7731", roles=["frontline_officer"], force="WYP",
                         vetting="NPPV2", password=None, oidc_subject=f"{provider.issuer}|officer-7731")
    r = sign_in(client)
    assert r.status_code == 303, getattr(r, "text", r)
    assert client.get("/api/v1/me").json()["user"] == "pc7731"


def test_an_unlinked_identity_is_refused_and_audited(client: TestClient, sqlite_settings: Settings) -> None:
    r = sign_in(client)
    # The sign-in callback is a browser page: the refusal is a GOV.UK error page.
    assert r.status_code == 403 and "not linked" in r.text and r.headers["content-type"].startswith("text/html")
    assert client.get("/api/v1/me").status_code == 401
    with get_engine(sqlite_settings).connect() as c:
        rows = c.execute(text("SELECT actor, detail FROM audit_entries WHERE action = 'authentication'")).all()
    assert any(a.startswith("oidc:") and "refused" in d for a, d in rows)


def test_a_disabled_linked_account_is_refused(client: TestClient, sqlite_settings: Settings,
                                              provider: Provider) -> None:
    engine = get_engine(sqlite_settings)
    identity.create_user(engine, "pc7731", roles=["frontline_officer"], force="WYP", vetting="NPPV2",
                         password=None, oidc_subject=f"{provider.issuer}|officer-7731")
    identity.set_disabled(engine, "pc7731", True)
    assert sign_in(client).status_code == 403


def test_oidc_is_off_unless_configured(sqlite_settings: Settings, tmp_path: Path) -> None:
    assert TestClient(create_app(sqlite_settings)).get("/auth/oidc/login").status_code == 404
