"""The raw ceiling for ingest: the same rows leds writes, into the same schema
of the same database, by bare ``executemany`` with no validation, no hashing,
no encryption and no duplicate or order checks.  Only JSON parsing remains,
because the rows cannot be built without it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson
from sqlalchemy import Engine

from leds.db.bulk import insert_rows
from leds.db.engine import write_transaction
from leds.db.schema import log, record_keys, record_refs, record_versions, records
from leds.ingest.pipeline import LOG_COLUMNS
from leds.ingest.projectors import RECORD_COLUMNS, VERSION_COLUMNS


def raw_ceiling(engine: Engine, path: Path, batch: int = 5000) -> tuple[int, float]:
    now = "2026-01-01T00:00:00.000000Z"
    key = os.urandom(32)
    n = 0
    started = time.perf_counter()
    with open(path, "rb") as f:
        while True:
            lines = [line for _, line in zip(range(batch), f, strict=False)]
            if not lines:
                break
            rows_log, rows_keys, rows_rec, rows_ver, rows_ref = [], [], [], [], []
            for line in lines:
                d = orjson.loads(line)
                r = d["record"]
                rkey = f"{d['force']}|{d['source']}|{r['type']}|{r['ref']}"
                data = orjson.dumps(r["data"]).decode()
                rows_log.append((d["force"], d["source"], d["sequence"], rkey, r["type"], r["ref"], d["op"],
                                 r["dataset"], r["handling"], "national", d["issued_at"], now, "0" * 64,
                                 data.encode()))
                rows_keys.append((rkey, key, now))
                rows_rec.append((rkey, d["force"], d["source"], r["type"], r["ref"], d["sequence"], False,
                                 r["dataset"], r["handling"], "national", d["issued_at"], data))
                rows_ver.append((rkey, d["force"], d["source"], d["sequence"], d["op"], r["dataset"], r["handling"],
                                 d["issued_at"]))
                if r["type"] == "marker":
                    s = r["data"]["subject"]
                    rows_ref.append((rkey, "subject", f"{s['force']}|{s['source']}|person|{s['ref']}", True))
            with engine.connect() as conn, write_transaction(conn):
                insert_rows(conn, log, LOG_COLUMNS, rows_log)
                insert_rows(conn, record_keys, ("rkey", "dek", "created_at"), rows_keys)
                insert_rows(conn, records, RECORD_COLUMNS, rows_rec)
                insert_rows(conn, record_versions, VERSION_COLUMNS, rows_ver)
                insert_rows(conn, record_refs, ("rkey", "role", "target", "resolved"), rows_ref)
            n += len(lines)
    return n, time.perf_counter() - started
