"""Reading the look-up tables into the operating system's page cache before serving, as
PostgreSQL's ``pg_prewarm`` does for its buffers.

A check reads a few dozen scattered rows (a person's records, the references to them,
their national ids and search rows).  On a national store those tables are gigabytes; a
server that has just started finds none of their pages in memory, so each check waits
on the disk for tens of pages until the cache has filled, which takes a long time at the
rate checks arrive.  ``prewarm`` walks the b-trees that look-ups read (never the log, the
keystore, version history or the audit trail, which look-ups do not read) and stops at a
memory budget, so a store larger than the machine's memory is warmed as far as it fits.

SQLite only: PostgreSQL keeps its own buffers (``pg_prewarm`` is its tool).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine

# The tables a check, search or view reads (their indexes come with them).  Listed in the
# order they are warmed: the small, most-probed indexes first, the records last.
LOOKUP_TABLES = ("search_names", "search_persons", "search_dobs", "search_vehicles", "search_places",
                 "person_ids", "record_refs", "search_text", "records")
# Look-ups read these only through their (covering) indexes: person_ids' rows hold the
# matcher's features, which only matching reads.
INDEXES_ONLY = ("person_ids",)


@dataclass
class Prewarmed:
    btrees: list[tuple[str, int]] = field(default_factory=list)  # (name, bytes read)
    skipped: list[str] = field(default_factory=list)  # past the budget
    seconds: float = 0.0

    @property
    def bytes(self) -> int:
        return sum(n for _, n in self.btrees)


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo (Linux), in bytes; None elsewhere."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def lookup_btrees(conn: Connection) -> list[str]:
    """The b-trees (tables and indexes) of :data:`LOOKUP_TABLES` that the store has, in order;
    FTS5's own tables come with ``search_text``."""
    rows = conn.exec_driver_sql(
        "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index') AND rootpage > 0").all()
    by_table: dict[str, list[str]] = {}
    for name, tbl in rows:
        owner = "search_text" if tbl.startswith("search_text_fts") else tbl
        by_table.setdefault(owner, []).append(name)
    out: list[str] = []
    for table in LOOKUP_TABLES:
        if table in INDEXES_ONLY:
            by_table[table] = [n for n in by_table.get(table, []) if n != table]
        # Indexes before their table: they are smaller and every look-up starts in one.
        out += sorted(by_table.get(table, []), key=lambda n: (n == table, n))
    return out


def prewarm(engine: Engine, *, budget: int | None = None,
            on_btree: Callable[[str, int, int], None] | None = None) -> Prewarmed:
    """Read the look-up b-trees of a SQLite store, in order, until ``budget`` bytes (default:
    half the memory available now).  ``on_btree(name, bytes, done_so_far)`` after each."""
    report = Prewarmed()
    if engine.dialect.name != "sqlite":
        return report
    if budget is None:
        avail = available_memory()
        budget = avail // 2 if avail else 1 << 30
    started = time.monotonic()
    with engine.connect() as conn:
        for name in lookup_btrees(conn):
            if report.bytes >= budget:
                report.skipped.append(name)
                continue
            # dbstat visits every page of the b-tree (one row per page): reading it is the point.
            size = 0
            pages = conn.exec_driver_sql("SELECT pgsize FROM dbstat('main') WHERE name = ?", (name,))
            for (pgsize,) in pages:
                size += int(pgsize or 0)
                if report.bytes + size >= budget:
                    break
            pages.close()
            report.btrees.append((name, size))
            if on_btree:
                on_btree(name, size, report.bytes)
    report.seconds = time.monotonic() - started
    return report
