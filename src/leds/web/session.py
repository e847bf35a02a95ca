"""Who is signed in to the web app: the existing web sessions (cookie
``leds_session``), and the session's CSRF token on every form that changes state."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request

from leds.access import identity, rules
from leds.access.deps import SESSION_COOKIE, app_engine
from leds.access.policy import Principal


class SignInRequired(Exception):
    """No session, or an expired one: the pages send the user to sign in."""

    def __init__(self, expired: bool) -> None:
        super().__init__("sign in first")
        self.expired = expired


class CsrfRefused(Exception):
    """A form arrived without this session's token: not sent from our own page."""


@dataclass(frozen=True)
class WebUser:
    session: identity.Session
    principal: Principal

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def username(self) -> str:
        return self.session.user.username

    @property
    def display_name(self) -> str:
        return self.session.user.display_name

    @property
    def force(self) -> str:
        return self.session.user.force

    @property
    def roles_text(self) -> str:
        return ", ".join(str(rules.ROLES[r]["title"]) for r in self.session.user.roles if r in rules.ROLES)

    def may(self, action: str) -> bool:
        return action in self.principal.actions()


def current_user(request: Request) -> WebUser:
    """The signed-in user; raises :class:`SignInRequired` (the pages send them to sign in)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    session = identity.resolve_session(app_engine(request), cookie) if cookie else None
    if session is None:
        raise SignInRequired(expired=cookie is not None)
    return WebUser(session, Principal.from_user(session.user))


def optional_user(request: Request) -> WebUser | None:
    try:
        return current_user(request)
    except SignInRequired:
        return None


def csrf_ok(me: WebUser, sent: str | None) -> bool:
    return bool(sent) and secrets.compare_digest(str(sent).encode(), me.csrf_token.encode())


def check_csrf(me: WebUser, sent: str | None) -> None:
    if not csrf_ok(me, sent):
        raise CsrfRefused()
