"""Recompute every quality figure from the store with DuckDB, and compare with (or replace)
the counters kept at ingest.

The records' current versions (read through the access policy's ``iter_records``, as the
service's own batch job) are streamed into DuckDB as Arrow batches, and the log's envelope
columns (never its sealed data) are counted for ``ingest.accepted``; the rules run
as one SQL query, the same rules as :func:`leds.quality.evaluate.evaluate` (a test keeps the
two in step).  Quarantined lines are not in the log: they are read from the quarantine
(each entry on the day it was first seen, times seen).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa
from sqlalchemy import Connection, Engine, delete, func, literal_column, select

from leds.access.policy import Principal, iter_records
from leds.db.bulk import insert_rows, update_rows
from leds.db.engine import write_transaction
from leds.db.schema import log, quarantine
from leds.standard.codes import EVENT_KINDS, LINK_ROLES

from .evaluate import BIRTH, CODE, DUPLICATE, SEX, TIMELY
from .projector import FACT_COLUMNS, upsert_counts
from .rules import ARREST_WITHIN_S, RECORD_RULES
from .tables import quality_counts, quality_facts, quality_failures, quality_quarantined

CHUNK = 100_000
Key = tuple[str, str, str, str]


@dataclass
class Recomputed:
    counts: dict[Key, tuple[int, int]] = field(default_factory=dict)  # (day, force, source, rule) -> (passed, total)
    quarantined: dict[tuple[str, str, str], int] = field(default_factory=dict)
    facts: list[tuple[Any, ...]] = field(default_factory=list)
    records: int = 0
    log_entries: int = 0
    seconds: float = 0.0


REC_SCHEMA = pa.schema([("rkey", pa.string()), ("force", pa.string()), ("source", pa.string()),
                        ("rtype", pa.string()), ("sequence", pa.int64()), ("issued_at", pa.string()),
                        ("data", pa.string())])


def _record_batches(conn: Connection) -> Iterator[pa.RecordBatch]:
    """The current persons, links and events, read through the access policy as the service's
    own batch job (the system principal, for system maintenance)."""
    system = Principal.system()
    for rtype in ("person", "link", "event"):
        cols: list[list[Any]] = [[] for _ in REC_SCHEMA.names]
        for v in iter_records(conn, system, "system_maintenance", rtype=rtype, batch=CHUNK):
            if v.data is None:
                continue
            for col, value in zip(cols, (v.rkey, v.force, v.source, v.rtype, v.sequence, v.issued_at,
                                         orjson.dumps(v.data).decode()), strict=True):
                col.append(value)
            if len(cols[0]) >= CHUNK:
                yield pa.record_batch(cols, schema=REC_SCHEMA)
                cols = [[] for _ in REC_SCHEMA.names]
        if cols[0]:
            yield pa.record_batch(cols, schema=REC_SCHEMA)


RULES_SQL = f"""
WITH r AS (
  SELECT rkey, force, source, rtype, sequence, substr(issued_at, 1, 10) AS day, issued_at, data,
         json_extract_string(data, '$.role') AS role, json_extract_string(data, '$.kind') AS kind
  FROM recs
), dup AS (
  SELECT p.rkey FROM pids p JOIN r USING (rkey)
  QUALIFY count(*) OVER (PARTITION BY p.person_id, r.force, r.source) > 1
)
SELECT rkey, force, source, sequence, day,
  CASE rtype WHEN 'person' THEN {BIRTH | SEX | DUPLICATE}
             WHEN 'link' THEN {CODE}
             ELSE {CODE} + CASE WHEN kind = 'arrest' AND json_extract_string(data, '$.occurred_at') IS NOT NULL
                                THEN {TIMELY} ELSE 0 END END AS checked,
  CASE rtype
    WHEN 'person' THEN
      CASE WHEN coalesce(json_array_length(data, '$.birth_dates'), 0) > 0 THEN 0 ELSE {BIRTH} END
      + CASE WHEN json_extract_string(data, '$.sex') IS NOT NULL THEN 0 ELSE {SEX} END
      + CASE WHEN rkey IN (SELECT rkey FROM dup) THEN {DUPLICATE} ELSE 0 END
    WHEN 'link' THEN CASE WHEN role IN (SELECT code FROM link_roles) THEN 0 ELSE {CODE} END
    ELSE CASE WHEN kind IN (SELECT code FROM event_kinds) THEN 0 ELSE {CODE} END
      + CASE WHEN kind = 'arrest' AND json_extract_string(data, '$.occurred_at') IS NOT NULL
              AND epoch(CAST(issued_at AS TIMESTAMPTZ))
                  - epoch(CAST(json_extract_string(data, '$.occurred_at') AS TIMESTAMPTZ)) > {ARREST_WITHIN_S}
             THEN {TIMELY} ELSE 0 END
  END AS failed
FROM r
"""  # noqa: S608 (numbers from the rule table only)


def recompute(engine: Engine) -> Recomputed:
    """Every figure, from the store, without touching the counters."""
    from leds.matching.tables import person_ids

    started = time.perf_counter()
    out = Recomputed()
    db = duckdb.connect()
    db.register("link_roles", pa.table({"code": list(LINK_ROLES)}))
    db.register("event_kinds", pa.table({"code": list(EVENT_KINDS)}))
    with engine.connect() as conn:
        db.register("recs_in", pa.RecordBatchReader.from_batches(REC_SCHEMA, _record_batches(conn)))
        db.execute("CREATE TABLE recs AS SELECT * FROM recs_in")
        pids = conn.execute(select(person_ids.c.rkey, person_ids.c.person_id)).all()
        db.register("pids_in", pa.table({"rkey": pa.array([r[0] for r in pids], pa.string()),
                                         "person_id": pa.array([r[1] for r in pids], pa.string())}))
        db.execute("CREATE TABLE pids AS SELECT * FROM pids_in")
        db.execute("CREATE TABLE facts AS " + RULES_SQL)
        out.records = int(db.execute("SELECT count(*) FROM facts").fetchall()[0][0])
        out.facts = [tuple(r) for r in db.execute(
            "SELECT rkey, force, source, sequence, day, checked, failed FROM facts").fetchall()]
        counts: dict[Key, list[int]] = {}
        for r in RECORD_RULES:
            for day, force, source, passed, total in db.execute(
                    "SELECT day, force, source, sum(CASE WHEN failed & $bit = 0 THEN 1 ELSE 0 END), count(*) "
                    "FROM facts WHERE checked & $bit <> 0 GROUP BY ALL", {"bit": r.bit}).fetchall():
                counts[(day, force, source, r.id)] = [int(passed), int(total)]
        day_of_issue = func.substr(log.c.issued_at, literal_column("1"), literal_column("10"))  # one expression
        for day, force, source, n in conn.execute(
                select(day_of_issue, log.c.force, log.c.source, func.count())
                .group_by(day_of_issue, log.c.force, log.c.source)):
            counts[(day, force, source, "ingest.accepted")] = [int(n), int(n)]
            out.log_entries += int(n)
        quarantined: Counter[tuple[str, str, str]] = Counter()
        for first, force, source, times in conn.execute(
                select(quarantine.c.first_seen, quarantine.c.force, quarantine.c.source, quarantine.c.times_seen)):
            quarantined[(first[:10], force or "", source or "")] += int(times)
    db.close()
    out.counts = {k: (v[0], v[1]) for k, v in counts.items()}
    out.quarantined = dict(quarantined)
    out.seconds = time.perf_counter() - started
    return out


def live(engine: Engine) -> tuple[dict[Key, tuple[int, int]], dict[tuple[str, str, str], int]]:
    """The counters as ingest keeps them."""
    with engine.connect() as conn:
        counts = {(r[0], r[1], r[2], r[3]): (int(r[4]), int(r[5])) for r in conn.execute(select(quality_counts))
                  if r[4] or r[5]}
        q = {(r[0], r[1], r[2]): int(r[3]) for r in conn.execute(select(quality_quarantined))}
    return counts, q


def differences(engine: Engine, again: Recomputed) -> list[dict[str, Any]]:
    """Where the live counters and the recompute disagree (empty when they agree)."""
    counts, q = live(engine)
    out: list[dict[str, Any]] = []
    for k in sorted(set(counts) | set(again.counts)):
        if counts.get(k) != again.counts.get(k):
            out.append({"day": k[0], "force": k[1], "source": k[2], "rule": k[3],
                        "live": counts.get(k), "recomputed": again.counts.get(k)})
    for qk in sorted(set(q) | set(again.quarantined)):
        if q.get(qk, 0) != again.quarantined.get(qk, 0):
            out.append({"day": qk[0], "force": qk[1], "source": qk[2], "rule": "ingest.accepted (quarantined)",
                        "live": q.get(qk, 0), "recomputed": again.quarantined.get(qk, 0)})
    return out


def replace(engine: Engine, again: Recomputed) -> None:
    """Make the counters the recomputed ones, in one transaction.  The failure history keeps
    its days: failures no longer found are resolved today, new ones open on their record's day."""
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    failing = {(r.id, f[0]): (f[1], f[2], f[4]) for f in again.facts for r in RECORD_RULES if f[6] & r.bit}
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(delete(quality_facts))
        conn.execute(delete(quality_counts))
        insert_rows(conn, quality_facts, FACT_COLUMNS, again.facts)
        total: Counter[Key] = Counter({k: v[1] for k, v in again.counts.items()})
        passed: Counter[Key] = Counter({k: v[0] for k, v in again.counts.items()})
        upsert_counts(conn, passed, total)
        f = quality_failures.c
        open_now = {(r[0], r[1]) for r in conn.execute(select(f.rule, f.rkey).where(f.resolved.is_(None)))}
        update_rows(conn, quality_failures, ("resolved",), "rule = ? AND rkey = ? AND resolved IS NULL",
                    [(today, rule, rkey) for rule, rkey in open_now - set(failing)])
        insert_rows(conn, quality_failures, ("rule", "rkey", "opened", "force", "source"),
                    [(rule, rkey, *failing[(rule, rkey)][2:], *failing[(rule, rkey)][:2])
                     for rule, rkey in set(failing) - open_now])
