"""The projected state: its digest, and rebuilding it from the log.

The digest is independent of insertion order: each row (without surrogate
ids) is hashed, the hashes are added modulo 2**256 per table, and the table
sums are hashed together.  Two stores that hold the same facts give the same
digest whatever order the facts arrived in, and whichever database holds them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from sqlalchemy import Engine, Table, delete, func, select

from leds.db.engine import write_transaction
from leds.db.schema import log, record_keys
from leds.ingest import crypto, projectors
from leds.ingest.accepted import Accepted

_MOD = 1 << 256


def _row_columns(table: Table) -> list:  # type: ignore[type-arg]
    return [c for c in table.columns if c.name != "id"]


def table_digest(engine: Engine, table: Table) -> tuple[int, int]:
    cols = _row_columns(table)
    total = 0
    count = 0
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=10_000).execute(select(*cols))
        for row in result:
            h = hashlib.sha256(orjson.dumps(list(row))).digest()
            total = (total + int.from_bytes(h, "big")) % _MOD
            count += 1
    return total, count


def state_digest(engine: Engine) -> str:
    """One hex digest of every projection table of every registered projector."""
    outer = hashlib.sha256()
    for projector in projectors.registered():
        for table in projector.tables:
            total, count = table_digest(engine, table)
            outer.update(f"{table.name}:{count}:{total:064x};".encode())
    return outer.hexdigest()


@dataclass
class RebuildReport:
    log_entries: int
    replayed: int
    erased: int


def rebuild(engine: Engine, *, batch_size: int = 2000,
            on_progress: Callable[[int, int], None] | None = None) -> RebuildReport:
    """Empty every projection and replay the whole log into it, in one
    transaction: a crash part-way leaves the previous projections in place."""
    with engine.connect() as conn, write_transaction(conn):
        total = conn.execute(select(func.count()).select_from(log)).scalar_one()
        for projector in reversed(projectors.registered()):
            for table in projector.tables:
                conn.execute(delete(table))
        done = replayed = erased = 0
        last_id = 0
        while True:
            rows = conn.execute(
                select(log, record_keys.c.dek)
                .join(record_keys, record_keys.c.rkey == log.c.rkey, isouter=True)
                .where(log.c.id > last_id).order_by(log.c.id).limit(batch_size)
            ).all()
            if not rows:
                break
            last_id = rows[-1].id
            items = []
            for row in rows:
                if row.dek is None:
                    erased += 1  # crypto-shredded: this record's data no longer exists
                    continue
                data = crypto.open_sealed(row.dek, row.rkey, row.sequence, row.payload)
                items.append(Accepted(row.force, row.source, row.sequence, row.rkey, row.rtype, row.ref, row.op,
                                      row.dataset, row.handling, row.issued_at,
                                      data.decode() if row.op == "upsert" else None, row.sharing))
            for projector in projectors.registered():
                if not getattr(projector, "live_only", False):  # alerts: a replayed change is not news
                    projector.apply(conn, items)
            replayed += len(items)
            done += len(rows)
            if on_progress:
                on_progress(done, total)
    return RebuildReport(log_entries=total, replayed=replayed, erased=erased)
