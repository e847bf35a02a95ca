"""``leds anpr ingest``: camera sites and days of reads into Parquet, idempotent per file.

A file is known by the SHA-256 of its bytes: one already in the ledger (``anpr_files``) is
skipped, so loading the same file twice changes nothing.  The whole file is judged and
written by set-based SQL in DuckDB, with no Python per read: one pass finds read ids given
twice (:func:`_find_duplicates`), then one ``COPY ... PARTITION_BY (day)`` writes every read
(:func:`_one_pass`) to a staging folder, good reads by day and bad ones apart; the day files
are moved into place under names derived from the hash (the files of a load that crashed
before its ledger row are replaced, not added to).  Bad reads (the contract's unknown camera,
unparseable time and implausible plate, plus a repeated read id, a confidence outside 0-1
and a missing read id) are counted by reason and kept aside in ``anpr_rejected`` with the
line as read; reads already past the retention period are counted (``past_retention``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
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

_KEPT, _PAST = "_kept", "_past"  # staging partitions: reads kept aside, reads past retention
CAMERA_COLUMNS = ("camera_id", "lat", "lon", "road", "direction", "force", "site_name")
READ_COLUMNS = ("read_id", "vrm", "camera_id", "read_at", "confidence")
REASONS = ("duplicate_read_id", "unknown_camera", "bad_time", "implausible_vrm", "bad_confidence", "missing_read_id", "past_retention")


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
    out = store.reads_dir(settings)
    prefix = f"f{sha[:20]}_"
    staging = out / f"_staging-{sha[:20]}"  # outside the day=* glob: never read as reads
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _find_duplicates(path, con)
        written = con.execute(f"""COPY ({_one_pass(path, settings, store.cutoff(settings))})
            TO '{_q(staging)}' (FORMAT parquet, PARTITION_BY (day), FILENAME_PATTERN '{prefix}{{i}}',
                                COMPRESSION zstd, RETURN_STATS)""").fetchall()  # noqa: S608
    except duckdb.Error as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BadRequest(f"{path.name}: not a reads file with columns {','.join(READ_COLUMNS)} ({exc})") from exc
    # Files of an earlier attempt at this file that crashed before its ledger row are replaced, not added to.
    for old in out.glob(f"day=*/{prefix}*.parquet"):
        old.unlink()
    good, days, kept_files = 0, set(), []
    counts: dict[str, int] = {}
    for file, rows, *_, part, _ in written:
        day = part["day"]
        if day == _KEPT:
            kept_files.append(file)
        elif day == _PAST:
            counts["past_retention"] = counts.get("past_retention", 0) + int(rows)
        else:
            target = out / f"day={day}" / Path(file).name
            target.parent.mkdir(exist_ok=True)
            Path(file).replace(target)
            good += int(rows)
            days.add(day)
    kept = _kept_rows(con, kept_files)
    shutil.rmtree(staging, ignore_errors=True)
    for _, _, reason, _ in kept:
        counts[reason] = counts.get(reason, 0) + 1
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
                                               days=json.dumps(sorted(days))))
    return FileResult(path.name, sha, "loaded", good, rejected, counts, sorted(days))


def _find_duplicates(path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """The read ids given more than once in the file, each with the line of its first read
    (temp table ``dup``).  Hashes first: a GROUP BY on 64-bit hashes (20M reads: 5.5 s of
    CPU, against 7.1 s on the strings); the exact ids are looked up only if two hashes meet."""
    csv = _source(path, ("read_id",))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE dup_h AS SELECT h FROM
        (SELECT hash(trim(read_id)) AS h FROM {csv} WHERE read_id IS NOT NULL) GROUP BY h HAVING count(*) > 1""")  # noqa: S608
    con.execute("CREATE OR REPLACE TEMP TABLE dup (read_id VARCHAR, first INTEGER)")
    row = con.execute("SELECT count(*) FROM dup_h").fetchone()
    if row and row[0]:
        con.execute(f"""INSERT INTO dup SELECT trim(read_id), min(line) FROM {csv}
            WHERE hash(trim(read_id)) IN (SELECT h FROM dup_h) GROUP BY trim(read_id) HAVING count(*) > 1""")  # noqa: S608


def _kept_rows(con: duckdb.DuckDBPyConnection, files: list[str]) -> list[tuple[int, str | None, str, str]]:
    """(line, read id, reason, the read as it came) of the staged bad reads (see :func:`_one_pass`)."""
    if not files:
        return []
    rows = con.execute("SELECT CAST(t AS INTEGER), read_id, vkey, vrm FROM read_parquet(?) ORDER BY t", [files]).fetchall()
    return [(int(line), rid, str(reason), str(raw)) for line, rid, reason, raw in rows]


def _one_pass(path: Path, settings: Settings, first: str) -> str:
    """Every read of the file, as one query for one ``COPY ... PARTITION_BY (day)``: a good
    read in its day's partition; a read kept aside in partition ``_kept`` with its line number
    in ``t``, its reason in ``vkey`` and the read as it came in ``vrm`` (the same columns, so
    that one pass over the file writes both: a second pass for the bad reads cost a quarter of
    the time, 9.7 s of CPU of 37 on 20M reads); a read past retention in ``_past``, counted.

    Where the time goes, per 5M reads (bench/bench_anpr.py's national slice): parsing 0.7 s of
    CPU, the plate's normalisation 0.5, the plausibility check 0.5, the confusable key 0.7 (a
    chain of replace(); translate() took 1.0), trims 0.6, times 0.4, writing zstd Parquet 2.5.
    Times are plain UTC timestamps for day, hour and weekday (on TIMESTAMPTZ each is a
    time-zone computation, 2-4x slower); no sort on write (it cost 7 s of 34 on 3M reads)."""
    return f"""
        WITH r AS (
          SELECT *, trim(read_id) AS rid, trim(camera_id) AS cam,
                 regexp_replace(upper(coalesce(vrm, '')), '[^A-Z0-9]', '', 'g') AS vrm_n,
                 try_cast(read_at AS TIMESTAMPTZ) AS ts, try_cast(confidence AS DOUBLE) AS conf
          FROM {_source(path, READ_COLUMNS)}),
        j AS (
          SELECT r.*, make_timestamp(epoch_us(ts)) AS utc, CASE
              WHEN rid IS NULL OR rid = '' THEN 'missing_read_id'
              WHEN d.first IS NOT NULL THEN 'duplicate_read_id'
              WHEN c.camera_id IS NULL THEN 'unknown_camera'
              WHEN ts IS NULL THEN 'bad_time'
              WHEN NOT ({store.PLATE_SQL}) THEN 'implausible_vrm'
              WHEN conf IS NULL OR conf < 0 OR conf > 1 THEN 'bad_confidence'
              WHEN ts < CAST('{first} 00:00:00+00' AS TIMESTAMPTZ) THEN 'past_retention'
            END AS reason
          FROM r LEFT JOIN (SELECT DISTINCT camera_id FROM {store.cameras_sql(settings)}) c
            ON c.camera_id = r.cam
          LEFT JOIN (SELECT read_id AS dup_id, first FROM dup) d ON d.dup_id = r.rid AND d.first <> r.line)
        SELECT CASE WHEN reason IS NULL THEN rid WHEN reason <> 'past_retention' THEN read_id END AS read_id,
               CASE WHEN reason IS NULL THEN vrm_n WHEN reason <> 'past_retention' THEN
                 concat_ws(',', coalesce(read_id, ''), coalesce(vrm, ''), coalesce(camera_id, ''),
                           coalesce(read_at, ''), coalesce(confidence, '')) END AS vrm,
               CASE WHEN reason IS NULL THEN {store.key_sql("vrm_n")} ELSE reason END AS vkey,
               CASE WHEN reason IS NULL THEN cam END AS camera_id,
               CASE WHEN reason IS NULL THEN CAST(epoch(ts) AS BIGINT) ELSE line END AS t,
               CASE WHEN reason IS NULL THEN CAST(hour(utc) AS INTEGER) END AS hour,
               CASE WHEN reason IS NULL THEN CAST(isodow(utc) AS INTEGER) END AS dow,
               CASE WHEN reason IS NULL THEN conf END AS confidence,
               CASE WHEN reason IS NULL THEN CAST(CAST(utc AS DATE) AS VARCHAR)
                    WHEN reason = 'past_retention' THEN '{_PAST}' ELSE '{_KEPT}' END AS day
        FROM j"""  # noqa: S608


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
