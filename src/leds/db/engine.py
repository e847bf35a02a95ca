"""Engines and connections for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, event

from leds.config import Settings


class StoreError(RuntimeError):
    """The store cannot be reached or is not in a usable state."""


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy's "begin" event (below) issue BEGIN, not the driver.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL: readers never block the writer.  synchronous=NORMAL in WAL mode
    # survives a process crash (SIGKILL) without loss; only an OS crash or
    # power cut can lose the last transactions, never corrupt the file.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # Page cache per connection (MiB): large for ingest's one writer; `leds serve` asks for less,
    # since it holds a connection per concurrent request and the OS page cache is shared.
    cur.execute(f"PRAGMA cache_size=-{int(os.environ.get('LEDS_SQLITE_CACHE_MB', '128')) * 1024}")
    cur.execute("PRAGMA temp_store=MEMORY")
    # Checkpoint the WAL every ~64 MiB rather than every 4 MiB: ingest commits
    # big batches, and each checkpoint costs an fsync of the database file.
    cur.execute("PRAGMA wal_autocheckpoint=16384")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


@contextmanager
def write_transaction(conn: Connection) -> Iterator[Connection]:
    """A transaction that will write.  On SQLite it takes the write lock at the
    start, so concurrent writers queue (busy_timeout) instead of deadlocking
    when two of them try to upgrade a read lock."""
    conn.execution_options(write=True)
    try:
        with conn.begin():
            yield conn
    finally:
        conn.execution_options(write=False)


_ENGINES: dict[str, Engine] = {}


def _engine_for(url: str) -> Engine:
    if url in _ENGINES:
        return _ENGINES[url]
    if url.startswith("sqlite"):
        # Room for many concurrent readers (WAL readers do not block each other).
        engine = create_engine(url, connect_args={"timeout": 30}, pool_size=32, max_overflow=32)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        # psycopg prepares a statement after a few runs, and PostgreSQL may then
        # switch to a generic plan made while a table was still empty: a
        # sequential scan that never goes away as the table grows.  Plan each
        # execution with its real parameters instead.
        engine = create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=20,
                               connect_args={"options": "-c plan_cache_mode=force_custom_plan"})
    _ENGINES[url] = engine
    return engine


def get_engine(settings: Settings, *, migrate: bool = True) -> Engine:
    """The engine for the configured store, migrated to the current schema."""
    settings.ensure_home()
    engine = _engine_for(settings.database_url)
    if migrate:
        from .migrate import upgrade

        upgrade(engine)
    return engine


def dispose_all() -> None:
    """Close every pooled connection (tests, and before a process forks)."""
    while _ENGINES:
        _ENGINES.popitem()[1].dispose()

