"""``leds.db.engine``: SQLite writers wait for the write lock by polling it, so a writer
gets the lock soon after another connection (or process) lets it go, and still gives up
with SQLite's own "database is locked" after the timeout."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from leds.config import Settings
from leds.db.engine import begin_immediate, get_engine, write_transaction


def _holder(path: Path, hold_s: float, held: threading.Event) -> None:
    """Another connection takes the write lock, holds it for ``hold_s``, then commits."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(hold_s)
    other.execute("COMMIT")
    other.close()


def test_a_writer_gets_the_lock_soon_after_it_is_let_go(sqlite_settings: Settings) -> None:
    engine = get_engine(sqlite_settings)
    path = Path(engine.url.database or "")
    held = threading.Event()
    t = threading.Thread(target=_holder, args=(path, 0.185, held))
    t.start()
    held.wait(5)
    start = time.perf_counter()
    with engine.connect() as conn, write_transaction(conn):
        waited = time.perf_counter() - start
        conn.execute(text("CREATE TABLE t_after (x INTEGER)"))
    t.join()
    # It waited for the holder (185 ms) and took the lock soon after its release.  SQLite's
    # own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 ms between tries, so
    # it would try at 178 ms, then not again until 228 ms.
    assert 0.18 <= waited < 0.215, waited
    with engine.connect() as conn:
        # The connection's busy_timeout is back to its normal value for its later statements.
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_a_writer_gives_up_after_the_timeout_with_sqlites_error(sqlite_settings: Settings) -> None:
    engine = get_engine(sqlite_settings)
    path = Path(engine.url.database or "")
    held = threading.Event()
    t = threading.Thread(target=_holder, args=(path, 0.5, held))
    t.start()
    held.wait(5)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA busy_timeout=30000")
    start = time.perf_counter()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        begin_immediate(raw, timeout=0.1)
    assert 0.1 <= time.perf_counter() - start < 0.4
    assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == 30000  # restored after the failure too
    assert not raw.in_transaction
    raw.close()
    t.join()
