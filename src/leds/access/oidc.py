"""Sign-in through a force's own identity provider (OpenID Connect).

Configured by settings, off unless all three are set:

* ``LEDS_OIDC_METADATA_URL``: the provider's ``.well-known/openid-configuration``
* ``LEDS_OIDC_CLIENT_ID`` and ``LEDS_OIDC_CLIENT_SECRET``

A provider proves who someone is; it does not say what they may see.  The
identity (issuer and subject) must be linked to a leds account beforehand
(``leds users add NAME --oidc-subject 'ISSUER|SUB' ...``), which carries the
roles, force, vetting and entitlements.  An unlinked identity is refused and
the refusal audited.
"""

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import RedirectResponse
from sqlalchemy import Engine, select

from leds.config import Settings
from leds.db.schema import users
from leds.errors import Forbidden, Unauthenticated

from . import identity
from .views import set_session_cookie


def install(app: FastAPI, settings: Settings, engine: Engine) -> bool:
    """Add the OIDC routes when configured; returns whether it did."""
    if not settings.oidc_configured:
        return False
    from authlib.integrations.starlette_client import OAuth, OAuthError
    from starlette.middleware.sessions import SessionMiddleware

    # Holds only the OAuth state and nonce between the redirect and the callback.
    app.add_middleware(SessionMiddleware, secret_key=settings.secret("web-session.key").hex(), session_cookie="leds_oidc",
                       same_site="lax", https_only=settings.cookie_secure, max_age=600)
    assert settings.oidc_client_secret is not None  # oidc_configured
    oauth = OAuth()
    oauth.register("force_idp", client_id=settings.oidc_client_id,
                   client_secret=settings.oidc_client_secret.get_secret_value(),
                   server_metadata_url=settings.oidc_metadata_url,
                   client_kwargs={"scope": "openid profile"})
    client = oauth.create_client("force_idp")

    def audit(actor: str, outcome: str, detail: dict[str, Any]) -> None:
        from leds.audit import AuditEvent, get_writer

        get_writer(settings).record(AuditEvent(action="authentication", actor=actor,
                                               detail={"outcome": outcome, "method": "oidc", **detail}))

    @app.get("/auth/oidc/login", tags=["identity"], summary="Sign in with your force's identity provider")
    async def oidc_login(request: Request) -> Any:
        return await client.authorize_redirect(request, str(request.url_for("oidc_callback")))

    @app.get("/auth/oidc/callback", tags=["identity"], name="oidc_callback", include_in_schema=False)
    async def oidc_callback(request: Request) -> Any:
        try:
            token = await client.authorize_access_token(request)
        except OAuthError as exc:
            audit("oidc:unknown", "refused", {"why": exc.error})
            raise Unauthenticated("the identity provider's answer was not valid") from None
        claims = token.get("userinfo") or {}
        subject = f"{claims.get('iss')}|{claims.get('sub')}"
        with engine.connect() as conn:
            username = conn.execute(select(users.c.username).where(users.c.oidc_subject == subject)).scalar()
        user = identity.get_user(engine, username) if username else None
        if user is None or user.disabled:
            audit(f"oidc:{subject}", "refused", {"why": "not linked to an active leds account"})
            raise Forbidden("this identity is not linked to an active leds account; "
                            "ask your system administrator")
        session_token, _ = identity.create_session(engine, user)
        response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
        set_session_cookie(response, session_token, settings)
        audit(f"user:{user.username}", "signed in", {"subject": subject})
        return response

    return True
