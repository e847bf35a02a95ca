"""``leds anpr ingest``: camera sites and days of reads into Parquet, idempotent per file.

A file is known by the SHA-256 of its bytes: one already in the ledger (``anpr_files``) is
skipped, so loading the same file twice changes nothing.  Its good reads are written with
one DuckDB ``COPY ... PARTITION_BY (day)`` under names derived from that hash (a crash
before the ledger row is written leaves files that the retry overwrites, not duplicates).
Bad reads (the contract's three kinds, plus a confidence outside 0-1 and a missing
read id) are counted by reason and kept aside in ``anpr_rejected`` with the line as read;
reads already past the retention period are counted (``past_retention``) and not kept.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Engine, insert, select

from leds.config import Settings
from leds.db.engine import write_transaction
from leds.errors import BadRequest

from . import store
from .tables import anpr_files, anpr_rejected

CAMERA_COLUMNS = ("camera_id", "lat", "lon", "road", "direction", "force", "site_name")
READ_COLUMNS = ("read_id", "vrm", "camera_id", "read_at", "confidence")
REASONS = ("unknown_camera", "bad_time", "implausible_vrm", "bad_confidence", "missing_read_id", "past_retention")


@dataclass
class FileResult:
    name: str
    sha256: str
    status: str  # loaded | already_loaded
    reads: int = 0
    rejected: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    days: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def _source(path: Path, columns: tuple[str, ...]) -> str:
    """A relation of the file's columns as text, with its line number."""
    if path.suffix.lower() == ".parquet":
        rel = f"read_parquet('{_q(path)}')"
    else:
        rel = f"read_csv('{_q(path)}', header = true, all_varchar = true, quote = '\"', escape = '\"')"
    cols = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in columns)
    return f"(SELECT {cols}, CAST(row_number() OVER () + 1 AS INTEGER) AS line FROM {rel})"  # noqa: S608


def load_cameras(settings: Settings, path: Path, con: duckdb.DuckDBPyConnection) -> int:
    """Merge ``cameras.csv`` into the camera table (the new file wins per camera)."""
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE cam_in AS SELECT * FROM {_source(path, CAMERA_COLUMNS)}")  # noqa: S608
    except duckdb.Error as exc:
        raise BadRequest(f"{path.name}: not a cameras file with columns {','.join(CAMERA_COLUMNS)} ({exc})") from exc
    con.execute("""CREATE OR REPLACE TEMP TABLE cam_new AS
        SELECT trim(camera_id) AS camera_id, try_cast(lat AS DOUBLE) AS lat, try_cast(lon AS DOUBLE) AS lon,
               coalesce(road, '') AS road, coalesce(direction, '') AS direction, coalesce(force, '') AS force,
               coalesce(site_name, '') AS site_name
        FROM cam_in WHERE camera_id IS NOT NULL AND trim(camera_id) <> ''
          AND try_cast(lat AS DOUBLE) BETWEEN -90 AND 90 AND try_cast(lon AS DOUBLE) BETWEEN -180 AND 180""")
    target = store.cameras_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        con.execute(f"""CREATE OR REPLACE TEMP TABLE cam_new AS SELECT * FROM cam_new UNION ALL
            SELECT * FROM {store.cameras_sql(settings)} WHERE camera_id NOT IN (SELECT camera_id FROM cam_new)""")  # noqa: S608
    tmp = target.with_suffix(".tmp")
    con.execute(f"COPY (SELECT * FROM cam_new ORDER BY camera_id) TO '{_q(tmp)}' (FORMAT parquet)")  # noqa: S608
    tmp.replace(target)
    row = con.execute("SELECT count(*) FROM cam_new").fetchone()
    return int(row[0]) if row else 0


def ingest_file(settings: Settings, engine: Engine, path: Path, con: duckdb.DuckDBPyConnection) -> FileResult:
    sha = _sha256(path)
    with engine.connect() as conn:
        if conn.execute(select(anpr_files.c.sha256).where(anpr_files.c.sha256 == sha)).first():
            return FileResult(path.name, sha, "already_loaded")
    judged = _judged(path, settings, store.cutoff(settings))
    try:
        bad = con.execute(f"""SELECT line, read_id, reason,
                concat_ws(',', coalesce(read_id, ''), coalesce(vrm, ''), coalesce(camera_id, ''),
                          coalesce(read_at, ''), coalesce(confidence, ''))
            FROM ({judged}) WHERE reason IS NOT NULL ORDER BY line""").fetchall()  # noqa: S608
    except duckdb.Error as exc:
        raise BadRequest(f"{path.name}: not a reads file with columns {','.join(READ_COLUMNS)} ({exc})") from exc
    counts: dict[str, int] = {}
    for _, _, reason, _ in bad:
        counts[reason] = counts.get(reason, 0) + 1
    kept = [b for b in bad if b[2] != "past_retention"]
    out = store.reads_dir(settings)
    out.mkdir(parents=True, exist_ok=True)
    prefix = f"f{sha[:20]}_"
    written = con.execute(f"""COPY (
        SELECT trim(read_id) AS read_id, vrm_n AS vrm, {store.key_sql("vrm_n")} AS vkey,
               trim(camera_id) AS camera_id, CAST(epoch(ts) AS BIGINT) AS t, CAST(hour(utc) AS INTEGER) AS hour,
               CAST(isodow(utc) AS INTEGER) AS dow, conf AS confidence, CAST(CAST(utc AS DATE) AS VARCHAR) AS day
        FROM (SELECT *, make_timestamp(epoch_us(ts)) AS utc FROM ({judged}) WHERE reason IS NULL))
        TO '{_q(out)}' (FORMAT parquet, PARTITION_BY (day), FILENAME_PATTERN '{prefix}{{i}}',
                        OVERWRITE_OR_IGNORE true, COMPRESSION zstd)""").fetchall()  # noqa: S608
    good = int(written[0][0]) if written else 0
    days = sorted({f.parent.name.removeprefix("day=") for f in out.glob(f"day=*/{prefix}*.parquet")})
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rejected = sum(counts.values())
    with engine.connect() as conn, write_transaction(conn):
        if conn.execute(select(anpr_files.c.sha256).where(anpr_files.c.sha256 == sha)).first():
            return FileResult(path.name, sha, "already_loaded")  # a concurrent load won
        for i in range(0, len(kept), 5000):
            conn.execute(insert(anpr_rejected), [
                {"file_sha256": sha, "line": line, "read_id": (rid or "")[:100] or None, "reason": reason,
                 "raw": raw[:2000], "kept_at": now} for line, rid, reason, raw in kept[i:i + 5000]])
        conn.execute(insert(anpr_files).values(sha256=sha, name=path.name[:400], loaded_at=now, reads=good,
                                               rejected=rejected, by_reason=json.dumps(counts, sort_keys=True),
                                               days=json.dumps(days)))
    return FileResult(path.name, sha, "loaded", good, rejected, counts, days)


def _judged(path: Path, settings: Settings, first: str) -> str:
    """Each read of the file with its reason for being kept aside (NULL: good), as a query
    that streams: the bad reads are fetched and the good ones written by two passes over the
    file, never held whole in memory (3M reads, bench/bench_anpr.py: a table of them took
    957 MB).  No sort on write (it cost 7 s of 34 on 3M reads); times as plain UTC timestamps
    for day, hour and weekday (on TIMESTAMPTZ each is a time-zone computation, 2-4x slower);
    see leds.anpr.store for the key and the plate check."""
    return f"""
        WITH r AS (
          SELECT *, regexp_replace(upper(coalesce(vrm, '')), '[^A-Z0-9]', '', 'g') AS vrm_n,
                 try_cast(read_at AS TIMESTAMPTZ) AS ts, try_cast(confidence AS DOUBLE) AS conf
          FROM {_source(path, READ_COLUMNS)})
        SELECT r.*, CASE
            WHEN read_id IS NULL OR trim(read_id) = '' THEN 'missing_read_id'
            WHEN c.camera_id IS NULL THEN 'unknown_camera'
            WHEN ts IS NULL THEN 'bad_time'
            WHEN NOT ({store.PLATE_SQL}) THEN 'implausible_vrm'
            WHEN conf IS NULL OR conf < 0 OR conf > 1 THEN 'bad_confidence'
            WHEN ts < CAST('{first} 00:00:00+00' AS TIMESTAMPTZ) THEN 'past_retention'
          END AS reason
        FROM r LEFT JOIN (SELECT DISTINCT camera_id FROM {store.cameras_sql(settings)}) c
          ON c.camera_id = trim(r.camera_id)"""  # noqa: S608


def ingest(settings: Settings, engine: Engine, cameras: Path, files: list[Path],
           threads: int | None = None) -> dict[str, Any]:
    """Load the cameras, then each file; returns what each file gave.  Expired partitions
    are deleted first (retention)."""
    purged = store.purge_expired(settings)
    con = store.connect(threads)
    try:
        n_cams = load_cameras(settings, cameras, con)
        results = [ingest_file(settings, engine, f, con) for f in files]
    finally:
        con.close()
    by_reason: dict[str, int] = {}
    for r in results:
        for k, v in r.by_reason.items():
            by_reason[k] = by_reason.get(k, 0) + v
    return {"cameras": n_cams, "purged_days": purged,
            "loaded": sum(r.reads for r in results), "rejected": sum(r.rejected for r in results),
            "by_reason": by_reason, "files": [r.__dict__ for r in results]}
