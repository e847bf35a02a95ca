"""Engines and connections for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import itertools
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as exc_

from leds.config import Settings


class StoreError(RuntimeError):
    """The store cannot be reached or is not in a usable state."""


BUSY_TIMEOUT_S = 30.0  # how long a statement or a writer waits for SQLite's write lock
# While another connection (or process) holds the write lock, a writer tries again after
# these pauses (then every last one).  SQLite's own busy handler waits 1, 2, 5, 10, 15,
# 20, 25 ms ... between tries, so a lock held for a millisecond could keep the next writer
# asleep for 8 ms or more: with two serving processes, each process's audit writer, and
# every request waiting on it, slept while the other committed.
_LOCK_PAUSES_S = (0.00005, 0.0001, 0.0002, 0.0005, 0.001)


def _sqlite_pragmas(settings: Settings, dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy's "begin" event (below) issue BEGIN, not the driver.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL: readers never block the writer.  synchronous=NORMAL in WAL mode
    # survives a process crash (SIGKILL) without loss; only an OS crash or
    # power cut can lose the last transactions, never corrupt the file.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    # Page cache per connection (MiB): large for ingest's one writer; `leds serve` asks for less,
    # since it holds a connection per concurrent request and the OS page cache is shared.
    cur.execute(f"PRAGMA cache_size=-{settings.sqlite_cache_mb * 1024}")
    cur.execute("PRAGMA temp_store=MEMORY")
    # Deleted or overwritten content is zeroed in place, so an erased record's bytes are in
    # no free page or free cell of the file (erasure then only empties the WAL, not VACUUM:
    # docs/retention.md).  Ingest cost measured in bench/bench_ingest.py: within noise.
    cur.execute("PRAGMA secure_delete=ON")
    # Checkpoint the WAL every ~64 MiB rather than every 4 MiB: ingest commits
    # big batches, and each checkpoint costs an fsync of the database file.
    cur.execute("PRAGMA wal_autocheckpoint=16384")
    if settings.sqlite_random_reads:
        path = cur.execute("PRAGMA database_list").fetchone()[2]
        if path:
            _advise_random(path)
    cur.close()


def _advise_random(path: str) -> int:
    """Tell the kernel that reads of the store's file are random (posix_fadvise), so a page
    that is not cached costs one page, not a readahead window: a serving process reads
    a few scattered rows per look-up, and readahead would fill the page cache with
    neighbours it never reads.  SQLite does not expose its descriptors, so this finds the
    process's descriptors open on the file (Linux; elsewhere it does nothing)."""
    fds = "/proc/self/fd"
    if not hasattr(os, "posix_fadvise") or not os.path.isdir(fds):
        return 0
    real = os.path.realpath(path)
    advised = 0
    for name in os.listdir(fds):
        try:
            if os.readlink(f"{fds}/{name}") == real:
                os.posix_fadvise(int(name), 0, 0, os.POSIX_FADV_RANDOM)
                advised += 1
        except OSError:
            continue
    return advised


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get("write"):
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        try:
            begin_immediate(raw)
        except sqlite3.Error as exc:  # raised as SQLAlchemy raises a failed statement's error
            raise exc_.OperationalError("BEGIN IMMEDIATE", None, exc) from exc
    else:
        conn.exec_driver_sql("BEGIN")


def begin_immediate(raw: sqlite3.Connection, timeout: float | None = None) -> None:
    """``BEGIN IMMEDIATE`` (take the write lock now), polling for the lock every fraction of a
    millisecond instead of SQLite's sleeps; ``sqlite3.OperationalError`` ("database is
    locked") after ``timeout`` seconds (default ``BUSY_TIMEOUT_S``), as with ``busy_timeout``."""
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + (BUSY_TIMEOUT_S if timeout is None else timeout)
        for attempt in itertools.count():
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(_LOCK_PAUSES_S[min(attempt, len(_LOCK_PAUSES_S) - 1)])
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")


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


def _engine_for(settings: Settings) -> Engine:
    """One engine per store and process, made with the settings of its first caller
    (``dispose_all`` forgets it, so that the next is made with new settings)."""
    url = settings.database_url
    if url in _ENGINES:
        return _ENGINES[url]
    if url.startswith("sqlite"):
        # Room for many concurrent readers (WAL readers do not block each other).
        # `leds serve` keeps fewer connections (sqlite_pool), so that connections kept
        # times page cache bounds a serving process's memory; as many again may be opened in
        # a burst (a request can hold two), and are closed, with their cache, when returned.
        kept = settings.sqlite_pool
        pool = {"pool_size": kept, "max_overflow": kept}
        engine = create_engine(url, connect_args={"timeout": 30}, **pool)
        event.listen(engine, "connect", lambda dbapi_conn, record: _sqlite_pragmas(settings, dbapi_conn, record))
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
    engine = _engine_for(settings)
    if migrate:
        from .migrate import upgrade

        upgrade(engine)
    return engine


def dispose_all() -> None:
    """Close every pooled connection (tests, and before a process forks)."""
    while _ENGINES:
        _ENGINES.popitem()[1].dispose()

