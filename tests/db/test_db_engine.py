"""``leds.db.engine``: SQLite writers wait for the write lock by polling it, so a writer
gets the lock soon after another connection (or process) lets it go, and still gives up
with SQLite's own "database is locked" after the timeout."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import exc, text

from leds.config import Settings
from leds.db.engine import begin_immediate, get_engine, write_transaction


@contextmanager
def _lock_held(path: Path, hold_s: float) -> Iterator[None]:
    """Another connection takes the write lock and, in another thread, holds it for
    ``hold_s`` seconds, then commits; the body runs once the lock is held."""
    held = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(hold_s)
        other.execute("COMMIT")
        other.close()

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(5)
        yield
    finally:
        t.join()


def test_a_writer_polls_for_the_lock_while_another_holds_it(sqlite_settings: Settings) -> None:
    """While another connection holds the lock for 185 ms, the writer tries again and again
    (every 0.05 to 1 ms), so it takes the lock soon after it is let go.  SQLite's own busy
    handler would retry inside one statement, sleeping 1, 2, 5, 10, 15, 20, 25, 25, 25, 50,
    50 ms between tries: the statement would start once, and could wait until 228 ms."""
    engine = get_engine(sqlite_settings)
    path = Path(engine.url.database or "")
    with engine.connect() as conn:
        begins: list[str] = []
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.set_trace_callback(lambda sql: begins.append(sql) if sql.startswith("BEGIN IMMEDIATE") else None)
        with _lock_held(path, 0.185):
            start = time.perf_counter()
            with write_transaction(conn):
                waited = time.perf_counter() - start
                conn.execute(text("CREATE TABLE t_after (x INTEGER)"))
        raw.set_trace_callback(None)
        # The connection's busy_timeout is back to its normal value for its later statements.
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert waited >= 0.18, waited  # it did wait for the holder
    # Many tries, not one: at most 1 ms apart, so well over 20 even on a loaded machine.
    assert len(begins) >= 20, len(begins)


def test_a_writer_gives_up_after_the_timeout_with_sqlites_error(sqlite_settings: Settings) -> None:
    engine = get_engine(sqlite_settings)
    path = Path(engine.url.database or "")
    with _lock_held(path, 0.5):
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("PRAGMA busy_timeout=30000")
        start = time.perf_counter()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            begin_immediate(raw, timeout=0.1)
        assert 0.1 <= time.perf_counter() - start < 0.4
        assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == 30000  # restored after the failure too
        assert not raw.in_transaction
        raw.close()


def test_a_write_transaction_that_cannot_get_the_lock_fails_as_sqlalchemy_errors_do(
        sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Callers that retry on a busy store (ingest) catch SQLAlchemy's OperationalError."""
    import leds.db.engine as db_engine

    engine = get_engine(sqlite_settings)
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_S", 0.1)
    with _lock_held(Path(engine.url.database or ""), 0.5), engine.connect() as conn:
        with pytest.raises(exc.OperationalError, match="database is locked"), write_transaction(conn):
            pass
        assert not conn.in_transaction()

