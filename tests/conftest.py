"""Shared fixtures: real stores (SQLite and PostgreSQL), never mocks.

PostgreSQL: the suite uses the server on 127.0.0.1:5432 (or
``LEDS_TEST_PG_URL``) and starts the local cluster itself when it is not
running.  Each test gets its own freshly created database, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from leds.config import Settings, env_var
from leds.db.engine import dispose_all

from .factories import load, mps_records, wyp_records

PG_ADMIN_URL = os.environ.get("LEDS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_ready() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


def _start_postgres() -> None:
    """Start the machine's PostgreSQL cluster (Debian's pg_ctlcluster)."""
    if not shutil.which("pg_ctlcluster"):
        raise RuntimeError("PostgreSQL is not running and pg_ctlcluster is not installed")
    versions = sorted(os.listdir("/etc/postgresql"))
    if not versions:
        raise RuntimeError("PostgreSQL is not running and no cluster is configured under /etc/postgresql")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
                   check=False, capture_output=True, timeout=60)
    for _ in range(60):
        if _pg_ready():
            return
        time.sleep(0.5)
    raise RuntimeError("PostgreSQL did not become ready within 30 s")


@pytest.fixture(scope="session")
def pg_server() -> str:
    if not _pg_ready():
        _start_postgres()
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    name = f"leds_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    yield url
    dispose_all()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment for what a test does not pass: none of leds's variables
    leak in from the shell that runs the tests.  The TestClient speaks plain http, where a
    Secure cookie would never be sent back."""
    for field in Settings.model_fields:
        monkeypatch.delenv(env_var(field), raising=False)
    monkeypatch.setenv(env_var("cookie_secure"), "0")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """A fresh store of each kind, with its own LEDS_HOME."""
    home = tmp_path / "home"
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    yield Settings(home=home, database_url_override=url)
    dispose_all()


@pytest.fixture
def store(settings: Settings) -> Settings:
    """Each kind of store, holding two forces' records (factories.wyp_records and mps_records)."""
    load(settings, wyp_records() + mps_records())
    return settings


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Iterator[Settings]:
    yield Settings(home=tmp_path / "home")
    dispose_all()


def env_for(settings: Settings) -> dict[str, str]:
    """Environment for running the ``leds`` command against ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDS_")}
    env["LEDS_HOME"] = str(settings.home)
    if settings.database_url_override:
        env["LEDS_DATABASE_URL"] = settings.database_url_override
    return env
