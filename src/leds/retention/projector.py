"""The retention projector: every record gets its review group and next review date when it
is written, in the ingest transaction (and again on ``leds rebuild``), from the published
rule table (:mod:`leds.retention.rules`).  A deleted record leaves the schedule.
:func:`reschedule` brings the schedule in line with a changed rule table, and schedules
the records of a store that predates retention."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, delete, func, select

from leds.access.policy import Principal, iter_records
from leds.db.bulk import insert_rows
from leds.db.engine import write_transaction
from leds.db.schema import records
from leds.ingest import projectors
from leds.ingest.accepted import Accepted

from .rules import RULES_VERSION, Inputs, classify, inputs_of, review_date
from .tables import retention_schedule

S = retention_schedule.c

COLUMNS = ("rkey", "force", "rtype", "dataset", "kind", "offence_class", "basis", "age100", "review_group", "rule",
           "rules_version", "review_on")


def schedule_row(rkey: str, force: str, i: Inputs) -> tuple[Any, ...]:
    rule = classify(i)
    return (rkey, force, i.rtype, i.dataset, i.kind, i.offence_class, i.basis, i.age100, rule.group, rule.id,
            RULES_VERSION, review_date(i, rule))


class RetentionProjector:
    name = "retention"
    tables: Sequence[Table] = (retention_schedule,)

    def apply(self, conn: Connection, items: list[Accepted]) -> None:
        changed = [a for a in items if a.current]
        if not changed:
            return
        stale = [a.rkey for a in changed if not a.new_record]
        for i in range(0, len(stale), 500):
            conn.execute(delete(retention_schedule).where(retention_schedule.c.rkey.in_(stale[i:i + 500])))
        rows = []
        for a in changed:
            if a.op == "delete" or a.data_json is None:
                continue
            data = orjson.loads(a.data_json) if a.rtype in ("event", "person") else None
            rows.append(schedule_row(a.rkey, a.force, inputs_of(a.rtype, a.dataset, a.issued_at, data)))
        insert_rows(conn, retention_schedule, COLUMNS, rows)


# -- re-scheduling -----------------------------------------------------------------------------
@dataclass
class Rescheduled:
    changed_rule: int
    added: int
    seconds: float


def reschedule(engine: Engine, *, batch: int = 20_000) -> Rescheduled:
    """Bring the schedule in line with the rule table: rows scheduled under an older
    version of the rules are re-classified from their stored inputs (no record is read),
    and records with no schedule row (a store that predates retention) are classified
    from their data.  Idempotent, and cheap when nothing changed (two indexed counts)."""
    t0 = time.perf_counter()
    changed = added = 0
    with engine.connect() as conn, write_transaction(conn):
        stale = conn.execute(select(*[S[c] for c in COLUMNS]).where(S.rules_version != RULES_VERSION)).all()
        for i in range(0, len(stale), batch):
            part = stale[i:i + batch]
            rows = [schedule_row(r.rkey, r.force, Inputs(r.rtype, r.dataset, r.kind, r.offence_class, r.basis,
                                                         r.age100, r.rule.startswith("UNDETECTED")))
                    for r in part]
            for j in range(0, len(part), 500):
                conn.execute(delete(retention_schedule).where(S.rkey.in_([r.rkey for r in part[j:j + 500]])))
            insert_rows(conn, retention_schedule, COLUMNS, rows)
            changed += len(rows)
        missing = select(records.c.rkey).where(records.c.deleted.is_(False), ~select(S.rkey).where(
            S.rkey == records.c.rkey).exists())
        if conn.execute(select(func.count()).select_from(missing.subquery())).scalar_one():
            rows = []
            have = {r[0] for r in conn.execute(select(S.rkey))}
            for rtype in ("person", "event", "location", "vehicle", "marker", "link", "missing_episode"):
                for v in iter_records(conn, Principal.system(), "retention", rtype=rtype):
                    if v.rkey not in have:
                        rows.append(schedule_row(v.rkey, v.force, inputs_of(v.rtype, v.dataset, v.issued_at, v.data)))
                        if len(rows) >= batch:
                            insert_rows(conn, retention_schedule, COLUMNS, rows)
                            added += len(rows)
                            rows = []
            insert_rows(conn, retention_schedule, COLUMNS, rows)
            added += len(rows)
    return Rescheduled(changed, added, time.perf_counter() - t0)


projectors.register(RetentionProjector())
