"""Machine credentials for force systems that submit updategrams.

A token is shown once, at creation.  Only its SHA-256 is stored: tokens are
256 bits of randomness, so a fast hash is as strong as a slow one here (slow
hashes such as argon2 are for human-chosen passwords).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from leds.db.schema import system_accounts
from leds.standard.codes import FORCES

from .identity import token_digest

TOKEN_PREFIX = "leds_sys_"


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class SystemAccount:
    id: int
    name: str
    force: str
    disabled: bool


def create(engine: Engine, name: str, force: str, now: str) -> tuple[SystemAccount, str]:
    force = force.upper()
    if force not in FORCES:
        raise AccountError(f"unknown force code {force!r}")
    if not name or len(name) > 64:
        raise AccountError("the name must be 1 to 64 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with engine.begin() as conn:
            new_id = conn.execute(insert(system_accounts).values(
                name=name, force=force, token_hash=token_digest(token), created_at=now, disabled=False)).inserted_primary_key
    except IntegrityError as exc:
        raise AccountError(f"a system account named {name!r} already exists") from exc
    assert new_id is not None
    return SystemAccount(new_id[0], name, force, False), token


def authenticate(engine: Engine, token: str) -> SystemAccount | None:
    """The enabled account this token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = token_digest(token)
    with engine.connect() as conn:
        row = conn.execute(select(system_accounts).where(system_accounts.c.token_hash == digest)).mappings().first()
    if row is None or row["disabled"] or not hmac.compare_digest(row["token_hash"], digest):
        return None
    return SystemAccount(row["id"], row["name"], row["force"], row["disabled"])


def list_all(engine: Engine) -> list[SystemAccount]:
    with engine.connect() as conn:
        rows = conn.execute(select(system_accounts).order_by(system_accounts.c.name)).mappings().all()
    return [SystemAccount(r["id"], r["name"], r["force"], r["disabled"]) for r in rows]


def disable(engine: Engine, name: str) -> None:
    with engine.begin() as conn:
        n = conn.execute(update(system_accounts).where(system_accounts.c.name == name).values(disabled=True)).rowcount
    if not n:
        raise AccountError(f"no system account named {name!r}")
