"""Settings: every environment variable leds reads, read here and nowhere else.

Each field is read from ``LEDS_<FIELD>`` (``LEDS_HOME``, ``LEDS_SQLITE_POOL``, ...), except
``database_url_override``, which is ``LEDS_DATABASE_URL``.  ``LEDS_HOME`` holds all local
state (default ``./leds-data``): the SQLite store, secrets, quarantined oversized lines,
models and exports.  ``LEDS_DATABASE_URL`` switches the store to PostgreSQL (e.g.
``postgresql+psycopg://user@host/db``).  README.md's settings table lists them all.

Code is given the :class:`Settings` object (``create_app(settings)``, ``get_engine(settings)``)
and reads its fields; nothing else reads the environment (tests/architecture enforces it).
Values passed to the constructor win over the environment: ``Settings(home=tmp)`` in a test
uses ``tmp`` whatever ``LEDS_HOME`` says.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# `leds serve`'s profile: what a serving process is tuned for, where a field is not set
# explicitly.  A connection per concurrent request, 12 kept per process, each with a 48 MiB
# page cache (576 MiB per process when all are full): pages SQLite holds itself are not read
# again from the OS (at 1M persons, 30 s of person checks gave 129 /s with 16 MiB per
# connection and 176 /s with 64 MiB, docs/performance.md); the OS page cache is filled by
# serve's prewarm.  Look-ups read scattered rows: no readahead on the store's file (see
# db.engine).  Handler threads per process: a few, not anyio's 40 (see leds.app).
SERVE_PROFILE: dict[str, Any] = {
    "sqlite_cache_mb": 48,
    "sqlite_pool": 12,
    "sqlite_random_reads": True,
    "serve_threads": 4,
}
PROFILES: dict[str, dict[str, Any]] = {"default": {}, "serve": SERVE_PROFILE}


class Settings(BaseSettings):
    """leds's configuration (immutable, hashable).  Every field is documented in README.md."""

    model_config = SettingsConfigDict(env_prefix="LEDS_", frozen=True, extra="ignore", populate_by_name=True,
                                      use_attribute_docstrings=True)

    home: Path = Path("./leds-data")
    """All local state: the SQLite store, secrets, quarantine, models and exports."""
    database_url_override: str | None = Field(
        default=None, validation_alias="LEDS_DATABASE_URL")
    """A PostgreSQL URL; unset, the store is SQLite in ``home``."""
    max_line_bytes: int = Field(default=1 << 20, gt=0)
    """Longest updategram line accepted; longer ones are quarantined."""
    actor: str | None = None
    """Who runs an audited command (``leds audit ...``); unset, ``os:<login name>``."""
    cookie_secure: bool = True
    """Mark session and sign-in cookies ``Secure`` (HTTPS only).  Off only for plain HTTP on loopback."""
    web_assets: Path | None = None
    """A folder holding ``govuk-frontend/dist/govuk``, for installs outside a checkout."""
    oidc_metadata_url: str | None = None
    """A force identity provider's ``.well-known/openid-configuration``."""
    oidc_client_id: str | None = None
    """The client id leds has at that provider."""
    oidc_client_secret: SecretStr | None = None
    """The client secret leds has at that provider."""
    profile: Literal["default", "serve"] = "default"
    """Defaults for the tuning fields below; ``leds serve`` sets ``serve`` for its processes."""
    sqlite_cache_mb: int = Field(default=128, gt=0)
    """SQLite page cache per connection, in MiB."""
    sqlite_pool: int = Field(default=32, gt=0)
    """SQLite connections kept per process (as many again may be opened in a burst)."""
    sqlite_random_reads: bool = False
    """Advise the kernel that reads of the store are random (no readahead)."""
    serve_threads: int | None = Field(default=None, gt=0)
    """Handler threads per serving process; unset, anyio's default (40)."""
    broker_url: str | None = None
    """Redis URL (``redis://host:port/db``): alert delivery workers share the outbox through Redis Streams."""
    smtp_url: str = "smtp://leds-alerts@127.0.0.1:25"
    """Where alert e-mails are sent: ``smtp://SENDER@host:port`` (the sender address, then the relay)."""
    anpr_retention_days: int = Field(default=365, gt=0, le=3650)
    """How long ANPR reads are kept (days); older reads are never shown and are deleted at the next ingest."""

    @model_validator(mode="before")
    @classmethod
    def _profile_defaults(cls, data: Any) -> Any:
        # A profile fills the tuning fields that were not given (by argument or environment).
        if isinstance(data, dict) and data.get("profile") in PROFILES:
            return {**PROFILES[data["profile"]], **data}
        return data

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, home: Path) -> Path:
        return home.expanduser().resolve()

    @field_validator("database_url_override", "actor", "oidc_metadata_url", "oidc_client_id", "web_assets",
                     "broker_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @classmethod
    def from_env(cls) -> Settings:
        return cls()

    @property
    def database_url(self) -> str:
        if self.database_url_override:
            return self.database_url_override
        return f"sqlite:///{self.home / 'leds.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def oidc_configured(self) -> bool:
        """Sign-in through a force's identity provider is on when all three are set."""
        return bool(self.oidc_metadata_url and self.oidc_client_id and self.oidc_client_secret)

    def ensure_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.quarantine_dir.mkdir(exist_ok=True)
        self.secrets_dir.mkdir(mode=0o700, exist_ok=True)

    @cached_property
    def hash_secret(self) -> bytes:
        """The key for content hashes in the log (HMAC-SHA256).  Keyed so that a
        hash left in the log after erasure cannot be used to confirm a guess."""
        return self.secret("content-hash.key")

    def secret(self, name: str) -> bytes:
        """A 256-bit secret kept in ``LEDS_HOME/secrets/NAME`` (mode 0600), made on first use."""
        self.ensure_home()
        path = self.secrets_dir / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
        return path.read_bytes()


def env_var(field: str) -> str:
    """The environment variable that sets ``field``."""
    return "LEDS_DATABASE_URL" if field == "database_url_override" else f"LEDS_{field.upper()}"


def get_settings() -> Settings:
    return Settings.from_env()


def use_profile(profile: Literal["default", "serve"]) -> Settings:
    """Put this process, and the processes it starts (uvicorn's workers, which read their
    settings from the environment they inherit), under ``profile``; its settings."""
    os.environ["LEDS_PROFILE"] = profile
    return get_settings()
