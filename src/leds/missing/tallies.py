"""The statistics' running counts (``missing_tallies``): each episode counts once in each
breakdown (force, risk, age band, month reported, time missing, and for a child found the
return interview: held on time, late, or awaiting) under its status and its
access columns.  The projector subtracts an episode's old keys and adds its new ones in the
ingest transaction; rows that fall to zero are removed, so the table depends only on the
current episodes (a rebuild gives the same rows)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, text

from .models import AGE_BANDS

TIME_BUCKETS = (("under 24 hours", 0, 24), ("1-2 days", 24, 48), ("2-7 days", 48, 168),
                ("1-4 weeks", 168, 672), ("over 4 weeks", 672, None))
COLUMNS = ("force", "dataset", "handling", "sharing", "risk", "status", "age", "reported_at", "hours_missing", "rhi_at",
           "rhi_due")
Key = tuple[str, str, str, str, str, str, str]


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    return next((name for name, (lo, hi) in AGE_BANDS.items() if lo <= age <= hi), "unknown")


def time_bucket(hours: int) -> str:
    return next(name for name, lo, hi in TIME_BUCKETS if hi is None or hours < hi)


def keys(row: Mapping[str, Any]) -> list[Key]:
    base = (row["force"], row["dataset"], row["handling"], row["sharing"])
    st = row["status"]
    out: list[Key] = [(*base, "force", row["force"], st), (*base, "risk", row["risk"], st),
                      (*base, "age", age_band(row["age"]), st), (*base, "month", row["reported_at"][:7], st)]
    if row["hours_missing"] is not None:
        out.append((*base, "time", time_bucket(row["hours_missing"]), st))
    if row["rhi_due"] is not None:
        out.append((*base, "rhi", rhi_state(row["rhi_at"], row["rhi_due"]), st))
    return out


def rhi_state(held: str | None, due: str) -> str:
    """A child's return home interview: held on time, held late, or awaiting (overdue or not
    is a matter of the clock, so the statistics split the awaiting ones when they are read).
    The same rule in SQL is in migration 0019."""
    if held is None:
        return "awaiting"
    return "on_time" if held <= due else "late"


_PK = ("force", "dataset", "handling", "sharing", "dim", "value", "status")
# One statement for every key a batch moves (SQLite 3.24+ and PostgreSQL): add the delta to
# the key's count, or start it.
_UPSERT = text(
    "INSERT INTO missing_tallies (force, dataset, handling, sharing, dim, value, status, n) "
    "VALUES (:force, :dataset, :handling, :sharing, :dim, :value, :status, :n) "
    "ON CONFLICT (force, dataset, handling, sharing, dim, value, status) DO UPDATE SET n = missing_tallies.n + excluded.n")
_EMPTIED = text(
    "DELETE FROM missing_tallies WHERE force = :force AND dataset = :dataset AND handling = :handling "
    "AND sharing = :sharing AND dim = :dim AND value = :value AND status = :status AND n <= 0")


def apply(conn: Connection, removed: Iterable[Mapping[str, Any]], added: Iterable[Mapping[str, Any]]) -> None:
    """Move the counts by a batch's episodes: two executemany statements whatever the batch's size."""
    delta: Counter[Key] = Counter()
    for r in removed:
        delta.subtract(keys(r))
    for r in added:
        delta.update(keys(r))
    moved = [(dict(zip(_PK, key, strict=True)), d) for key, d in sorted(delta.items()) if d != 0]
    if not moved:
        return
    conn.execute(_UPSERT, [{**k, "n": d} for k, d in moved])
    emptied = [k for k, d in moved if d < 0]
    if emptied:
        conn.execute(_EMPTIED, emptied)
