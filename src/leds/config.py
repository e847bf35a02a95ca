"""Settings, read from the environment.

``LEDS_HOME`` holds all local state (default ``./leds-data``): the SQLite store,
secrets, quarantined oversized lines, models and exports.  ``LEDS_DATABASE_URL``
switches the store to PostgreSQL (e.g. ``postgresql+psycopg://user@host/db``).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url_override: str | None = None
    max_line_bytes: int = 1 << 20

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("LEDS_HOME", "./leds-data")).expanduser().resolve()
        return cls(
            home=home,
            database_url_override=os.environ.get("LEDS_DATABASE_URL") or None,
            max_line_bytes=int(os.environ.get("LEDS_MAX_LINE_BYTES", 1 << 20)),
        )

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


def get_settings() -> Settings:
    return Settings.from_env()
