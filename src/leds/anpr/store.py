"""Where ANPR reads live: Parquet under ``LEDS_HOME/anpr``, partitioned by day, read with DuckDB.

Layout::

    LEDS_HOME/anpr/cameras.parquet              camera sites (the latest cameras.csv wins per camera)
    LEDS_HOME/anpr/reads/day=YYYY-MM-DD/*.parquet   one file per ingested file and day
    LEDS_HOME/anpr/models/model-vN.json         the courier model's versions

A read row: ``read_id, vrm`` (as read, normalised: upper case, letters and digits only),
``vkey`` (the vehicle check's confusable key, :func:`leds.search.keys.vrm_key`: the vehicle
the read is counted for), ``camera_id, t`` (epoch seconds, UTC), ``hour`` (0-23, UTC),
``dow`` (1 Monday .. 7 Sunday), ``confidence``, ``day``.  Integer time columns keep the
feature SQL (:mod:`leds.anpr.features`) the same on DuckDB and Spark.

Retention: reads older than ``settings.anpr_retention_days`` are never read (every query
goes through :func:`reads_sql`) and their partitions are deleted by :func:`purge_expired`.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from leds.config import Settings
from leds.search.keys import CONFUSABLE

if TYPE_CHECKING:
    import duckdb  # loaded by connect(): a serving process that runs no ANPR query does not carry it

# The confusable key in SQL, derived from the one table the vehicle check uses.  A chain of
# replace() is 30% faster than translate() in DuckDB (3M plates: 1.8 s against 2.6 s).
KEY_FROM = "".join(chr(k) for k in CONFUSABLE)
KEY_TO = "".join(str(v) for v in CONFUSABLE.values())


def key_sql(column: str) -> str:
    out = column
    for a, b in zip(KEY_FROM, KEY_TO, strict=True):
        out = f"replace({out}, '{a}', '{b}')"
    return out


# A plausible plate: 2 to 7 letters and digits with at least one of each (current, prefix,
# suffix and dateless formats all pass; "??", "", "UNREADABLE" and "12345678" do not).
# ``vrm_n`` holds letters and digits only.  Two regular expressions, not translate():
# 1.0 s against 4.3 s on 3M plates.
PLATE_SQL = ("length(vrm_n) BETWEEN 2 AND 7 AND regexp_matches(vrm_n, '[A-Z]') "
             "AND regexp_matches(vrm_n, '[0-9]')")


def root(settings: Settings) -> Path:
    return settings.home / "anpr"


def reads_dir(settings: Settings) -> Path:
    return root(settings) / "reads"


def cameras_path(settings: Settings) -> Path:
    return root(settings) / "cameras.parquet"


def models_dir(settings: Settings) -> Path:
    return root(settings) / "models"


def cutoff(settings: Settings, today: date | None = None) -> str:
    """The first day still inside the retention period (YYYY-MM-DD)."""
    today = today or datetime.now(UTC).date()
    return (today - timedelta(days=settings.anpr_retention_days)).isoformat()


# DuckDB's own default is 80% of the machine's memory: profiling every route of a national
# day (60M reads, 164 routes) took 19.7 GB of a shared 23 GB machine before it was stopped.
# Past this limit DuckDB spills its temporary tables and joins to ``spill`` on disk.
MEMORY_LIMIT = "4GB"


def connect(threads: int | None = None, memory: str | None = MEMORY_LIMIT,
            spill: Path | None = None) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory:
        con.execute(f"SET memory_limit = '{memory}'")
    if spill:
        spill.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
    return con


def has_reads(settings: Settings) -> bool:
    return any(reads_dir(settings).glob("day=*/*.parquet"))


def reads_sql(settings: Settings, since: str | None = None) -> str:
    """A FROM-able relation of the reads inside the retention period (never a read past it),
    from day ``since`` (YYYY-MM-DD) on if given: only those day partitions are read."""
    first = max(cutoff(settings), since or "")
    pattern = str(reads_dir(settings) / "day=*" / "*.parquet").replace("'", "''")
    return (f"(SELECT read_id, vrm, vkey, camera_id, t, hour, dow, confidence, CAST(day AS VARCHAR) AS day "  # noqa: S608
            f"FROM read_parquet('{pattern}', hive_partitioning = true, hive_types = {{'day': VARCHAR}}) "
            f"WHERE day >= '{first}')")


def cameras_sql(settings: Settings) -> str:
    return f"read_parquet('{str(cameras_path(settings)).replace(chr(39), chr(39) * 2)}')"


def purge_expired(settings: Settings, today: date | None = None) -> list[str]:
    """Delete the day partitions older than the retention period; returns the days deleted."""
    first = cutoff(settings, today)
    gone = []
    for d in sorted(reads_dir(settings).glob("day=*")):
        day = d.name.removeprefix("day=")
        if day < first:
            shutil.rmtree(d)
            gone.append(day)
    return gone
