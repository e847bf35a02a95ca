"""The retention projector: every record gets its review group and next review date when it
is written, in the ingest transaction (and again on ``leds rebuild``), from the published
rule table (:mod:`leds.retention.rules`).  A deleted record leaves the schedule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Table, delete

from leds.db.bulk import insert_rows
from leds.ingest import projectors
from leds.ingest.accepted import Accepted

from .rules import RULES_VERSION, Inputs, classify, inputs_of, review_date
from .tables import retention_schedule

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


projectors.register(RetentionProjector())
