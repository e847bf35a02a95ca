"""A throw-away PostgreSQL database for a benchmark, on the tests' server (started by the
tests' own helper if it is not running)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from leds.db.engine import dispose_all


def pg_database() -> tuple[str, Callable[[], None]]:
    """A fresh database's URL, and a function that drops it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.conftest import PG_ADMIN_URL, _pg_ready, _start_postgres

    if not _pg_ready():
        _start_postgres()
    name = f"leds_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        dispose_all()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, drop
