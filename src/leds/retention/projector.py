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
from sqlalchemy import Connection, Engine, Table, delete, select, update

from leds.access.policy import Principal, iter_records
from leds.db.bulk import insert_rows, update_rows
from leds.db.engine import write_transaction
from leds.db.schema import records
from leds.ingest import projectors
from leds.ingest.accepted import Accepted

from .rules import RULES_VERSION, Inputs, Rule, add_years, classify, inputs_of, review_date
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
    changed_rule: int  # rows whose group, rule or review date changed
    added: int
    examined: int  # rows re-classified (scheduled under an older rule table)
    seconds: float


def reschedule(engine: Engine, *, batch: int = 50_000) -> Rescheduled:
    """Bring the schedule in line with the rule table: rows scheduled under an older
    version of the rules are re-classified from their stored inputs (no record is read),
    page by page in key order; only rows whose group, rule or date changes are rewritten,
    then one statement stamps the rest with the new version.  Records with no schedule row
    (a store that predates retention) are classified from their data.  Idempotent, and
    cheap when nothing changed (one indexed probe and one anti-join)."""
    t0 = time.perf_counter()
    changed = added = examined = 0
    with engine.connect() as conn, write_transaction(conn):
        if conn.execute(select(S.rkey).where(S.rules_version != RULES_VERSION).limit(1)).first() is not None:
            last = ""
            rules_of: dict[tuple[Any, ...], Rule] = {}
            dates: dict[tuple[str, int], str] = {}
            cols = [S.rkey, S.force, S.rtype, S.dataset, S.kind, S.offence_class, S.basis, S.age100, S.review_group,
                    S.rule, S.review_on, S.rules_version]
            while True:
                # In key order through the primary key (after a change of rules nearly every row is stale).
                page = conn.execute(select(*cols).where(S.rkey > last).order_by(S.rkey).limit(batch)).all()
                if not page:
                    break
                last = page[-1][0]
                examined += len(page)
                updates = []
                # Few distinct inputs and dates: each classification and date is computed once.
                for rkey, _f, rtype, dataset, kind, oc, basis, age100, group, rule_id, review_on, version in page:
                    if version == RULES_VERSION:
                        continue
                    key = (rtype, dataset, kind, oc, rule_id.startswith("UNDETECTED"))
                    rule = rules_of.get(key)
                    if rule is None:
                        rule = rules_of[key] = classify(Inputs(*key[:4], basis, age100, key[4]))
                    due = dates.get((basis, rule.review_years))
                    if due is None:
                        due = dates[(basis, rule.review_years)] = add_years(basis, rule.review_years)
                    if (rule.group, rule.id, due) != (group, rule_id, review_on):
                        updates.append((rule.group, rule.id, RULES_VERSION, due, rkey))
                update_rows(conn, retention_schedule, ("review_group", "rule", "rules_version", "review_on"),
                            "rkey = ?", updates)
                changed += len(updates)
            conn.execute(update(retention_schedule).where(S.rules_version != RULES_VERSION)
                         .values(rules_version=RULES_VERSION))
        missing = select(records.c.rkey).where(records.c.deleted.is_(False), ~select(S.rkey).where(
            S.rkey == records.c.rkey).exists())
        if conn.execute(missing.limit(1)).first() is not None:
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
    return Rescheduled(changed, added, examined, time.perf_counter() - t0)


projectors.register(RetentionProjector())
