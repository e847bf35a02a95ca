"""People who use leds: accounts, passwords, API tokens and web sessions.

Passwords are hashed with argon2id.  Tokens and session ids are 256 random
bits; only their SHA-256 is stored.  A disabled account's tokens and sessions
stop working at once, because every request resolves them against the
account's current state.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from leds.db import fast
from leds.db.schema import api_tokens, users, web_sessions
from leds.standard.codes import DATASETS, FORCES

from .rules import ACTIONS, ROLES, VETTING

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_PREFIX = "leds_tok_"
DEFAULT_TOKEN_TTL = timedelta(hours=8)
SESSION_TTL = timedelta(hours=10)  # a shift

_hasher = PasswordHasher()  # argon2id, the library's recommended parameters


class IdentityError(ValueError):
    """A request about accounts that cannot be honoured; the message is safe to show."""


class LoginFailed(IdentityError):
    pass


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    force: str
    vetting: str
    datasets: tuple[str, ...]
    surname: str | None
    postcode: str | None
    disabled: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(ts: str) -> datetime:
    """A timestamp written by :func:`_ts` (ISO 8601, UTC): an aware datetime."""
    return datetime.fromisoformat(ts).astimezone(UTC)


def token_digest(token: str) -> str:
    """What is stored for a token or session id: 256 random bits need no slow hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def _user(row) -> User:  # type: ignore[no-untyped-def]
    return User(row["id"], row["username"], row["display_name"], tuple(orjson.loads(row["roles"])), row["force"],
                row["vetting"], tuple(orjson.loads(row["datasets"])), row["surname"], row["postcode"],
                bool(row["disabled"]))


def validate_grants(roles: list[str], force: str, vetting: str, datasets: list[str]) -> None:
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise IdentityError(f"unknown role(s) {bad}; roles are: {', '.join(ROLES)}" if bad else "give at least one role")
    if force not in FORCES:
        raise IdentityError(f"unknown force code {force!r}")
    if vetting not in VETTING:
        raise IdentityError(f"unknown vetting level {vetting!r}; levels are: {', '.join(VETTING)}")
    bad = [d for d in datasets if d not in DATASETS]
    if bad:
        raise IdentityError(f"unknown dataset(s) {bad}; datasets are: {', '.join(DATASETS)}")


def default_datasets(roles: list[str]) -> list[str]:
    out: list[str] = []
    for r in roles:
        out += [d for d in ROLES[r]["datasets"] if d not in out]  # type: ignore[attr-defined]
    return out


def create_user(engine: Engine, username: str, *, roles: list[str], force: str, vetting: str,
                password: str | None, display_name: str | None = None, datasets: list[str] | None = None,
                surname: str | None = None, postcode: str | None = None, oidc_subject: str | None = None) -> User:
    force = force.upper()
    validate_grants(roles, force, vetting, datasets or [])
    datasets = default_datasets(roles) if datasets is None else datasets
    if not username or len(username) > 64 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise IdentityError("a username is 1-64 letters, digits, dots, dashes or underscores")
    if password is not None and len(password) < 12:
        raise IdentityError("a password must be at least 12 characters")
    try:
        with engine.begin() as conn:
            conn.execute(insert(users).values(
                username=username, display_name=display_name or username,
                password_hash=_hasher.hash(password) if password is not None else None, oidc_subject=oidc_subject,
                roles=orjson.dumps(roles).decode(), force=force, vetting=vetting,
                datasets=orjson.dumps(datasets).decode(), surname=surname, postcode=postcode, disabled=False,
                failed_logins=0, created_at=_ts(_now())))
    except IntegrityError as exc:
        raise IdentityError(f"an account named {username!r} already exists") from exc
    found = get_user(engine, username)
    assert found is not None
    return found


def get_user(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    return _user(row) if row else None


def get_user_by_id(engine: Engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(select(users).order_by(users.c.username)).mappings()]


def set_disabled(engine: Engine, username: str, disabled: bool) -> None:
    with engine.begin() as conn:
        n = conn.execute(update(users).where(users.c.username == username).values(disabled=disabled)).rowcount
    if not n:
        raise IdentityError(f"no account named {username!r}")


def grant(engine: Engine, username: str, *, roles: list[str] = (), datasets: list[str] = (),  # type: ignore[assignment]
          vetting: str | None = None, revoke: bool = False) -> User:
    user = get_user(engine, username)
    if user is None:
        raise IdentityError(f"no account named {username!r}")
    if revoke:
        new_roles = [r for r in user.roles if r not in roles]
        new_datasets = [d for d in user.datasets if d not in datasets]
    else:
        new_roles = list(user.roles) + [r for r in roles if r not in user.roles]
        new_datasets = list(user.datasets) + [d for d in datasets if d not in user.datasets]
    new_vetting = vetting or user.vetting
    validate_grants(new_roles, user.force, new_vetting, new_datasets)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user.id).values(
            roles=orjson.dumps(new_roles).decode(), datasets=orjson.dumps(new_datasets).decode(), vetting=new_vetting))
    updated = get_user(engine, username)
    assert updated is not None
    return updated


def check_password(engine: Engine, username: str, password: str) -> User:
    """The account, if the password is right and the account may sign in.

    Raises :class:`LoginFailed` with a message that never says which of the
    username or password was wrong.  Five failures in a row lock the account
    for fifteen minutes."""
    now = _now()
    refusal: str | None = None
    with engine.begin() as conn:  # commits the failure count even when the answer is no
        row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
        if row is None or row["password_hash"] is None:
            _hasher.hash("spend comparable time: do not reveal that the account does not exist")
            refusal = "wrong username or password"
        elif row["disabled"]:
            refusal = "this account is disabled"
        elif row["locked_until"] and _parse(row["locked_until"]) > now:
            refusal = "too many failed attempts: this account is locked for a while"
        else:
            try:
                _hasher.verify(row["password_hash"], password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                failures = row["failed_logins"] + 1
                locked = _ts(now + LOCKOUT) if failures >= MAX_FAILED_LOGINS else None
                conn.execute(update(users).where(users.c.id == row["id"]).values(
                    failed_logins=0 if locked else failures, locked_until=locked))
                refusal = "wrong username or password"
            else:
                values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
                if _hasher.check_needs_rehash(row["password_hash"]):
                    values["password_hash"] = _hasher.hash(password)
                conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
    if refusal is not None:
        raise LoginFailed(refusal)
    assert row is not None
    return _user(row)


def set_password(engine: Engine, username: str, password: str) -> None:
    if len(password) < 12:
        raise IdentityError("a password must be at least 12 characters")
    with engine.begin() as conn:
        n = conn.execute(update(users).where(users.c.username == username).values(
            password_hash=_hasher.hash(password), failed_logins=0, locked_until=None)).rowcount
    if not n:
        raise IdentityError(f"no account named {username!r}")


# --- API tokens ------------------------------------------------------------------------------
def issue_token(engine: Engine, user: User, scopes: list[str], ttl: timedelta = DEFAULT_TOKEN_TTL) -> tuple[str, str]:
    """A bearer token limited to ``scopes`` (actions) and to ``ttl``; returns (token, expires_at)."""
    bad = [s for s in scopes if s not in ACTIONS]
    if bad or not scopes:
        raise IdentityError(f"unknown scope(s) {bad}; scopes are actions: {', '.join(ACTIONS)}" if bad
                            else "give at least one scope")
    if ttl <= timedelta(0) or ttl > timedelta(days=30):
        raise IdentityError("a token may live from one second to 30 days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _now()
    expires = _ts(now + ttl)
    with engine.begin() as conn:
        conn.execute(insert(api_tokens).values(user_id=user.id, token_hash=token_digest(token),
                                               scopes=orjson.dumps(scopes).decode(), created_at=_ts(now),
                                               expires_at=expires, revoked=False))
    return token, expires


# The caller of every API request is looked up with these: built once, values bound per call.
_TOKEN_LOOKUP = (select(users, api_tokens.c.scopes, api_tokens.c.revoked, api_tokens.c.expires_at.label("token_expires"))
                 .join(api_tokens, users.c.id == api_tokens.c.user_id)
                 .where(api_tokens.c.token_hash == bindparam("digest")))
_SESSION_LOOKUP = (select(users, web_sessions.c.id.label("session_id"), web_sessions.c.csrf_token,
                          web_sessions.c.purpose, web_sessions.c.purpose_text,
                          web_sessions.c.expires_at.label("session_expires"))
                   .join(web_sessions, users.c.id == web_sessions.c.user_id)
                   .where(web_sessions.c.session_hash == bindparam("digest")))


def resolve_token(engine: Engine, token: str) -> tuple[User, tuple[str, ...]] | None:
    """The account and scopes of a live token, or None (unknown, expired, revoked, or account disabled)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = fast.first_alone(engine, _TOKEN_LOOKUP, {"digest": token_digest(token)})
    if row is None or row["revoked"] or row["disabled"] or _parse(row["token_expires"]) <= _now():
        return None
    return _user(row), tuple(orjson.loads(row["scopes"]))


def revoke_tokens(engine: Engine, user: User) -> int:
    with engine.begin() as conn:
        return conn.execute(update(api_tokens).where(api_tokens.c.user_id == user.id).values(revoked=True)).rowcount


# --- web sessions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    id: int
    user: User
    csrf_token: str
    purpose: str | None
    purpose_text: str | None


def create_session(engine: Engine, user: User, ttl: timedelta = SESSION_TTL) -> tuple[str, Session]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    with engine.begin() as conn:
        sid = conn.execute(insert(web_sessions).values(
            user_id=user.id, session_hash=token_digest(token), csrf_token=csrf, created_at=_ts(now),
            expires_at=_ts(now + ttl))).inserted_primary_key
    assert sid is not None
    return token, Session(sid[0], user, csrf, None, None)


def resolve_session(engine: Engine, token: str) -> Session | None:
    row = fast.first_alone(engine, _SESSION_LOOKUP, {"digest": token_digest(token)})
    if row is None or row["disabled"] or _parse(row["session_expires"]) <= _now():
        return None
    return Session(row["session_id"], _user(row), row["csrf_token"], row["purpose"], row["purpose_text"])


def remember_purpose(engine: Engine, session: Session, purpose: str, text: str | None) -> None:
    """The web app offers the last reason again; it never invents one."""
    with engine.begin() as conn:
        conn.execute(update(web_sessions).where(web_sessions.c.id == session.id)
                     .values(purpose=purpose, purpose_text=text))


def end_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(web_sessions).where(web_sessions.c.session_hash == token_digest(token))
                     .values(expires_at=_ts(_now())))
