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
from sqlalchemy import Connection, Engine, Table, delete, func, select, text

from leds.access.policy import Principal, iter_records
from leds.db.bulk import insert_rows
from leds.db.engine import write_transaction
from leds.db.schema import records
from leds.ingest import projectors
from leds.ingest.accepted import Accepted

from .rules import (
    NEEDS_DATA,
    RULES_VERSION,
    Inputs,
    Rule,
    add_years,
    classify,
    inputs_of,
    review_date,
)
from .tables import retention_schedule

S = retention_schedule.c

COLUMNS = ("rkey", "force", "class_key", "basis", "review_group", "rule", "rules_version", "review_on")


def class_key(i: Inputs) -> str:
    """What the classifier reads of a record, as one text (``retention_schedule.class_key``):
    "rtype|dataset|kind|offence class|undetected".  A bar in a kind becomes a slash (no rule
    names a kind with either, so the class is the same)."""
    return "|".join((i.rtype, i.dataset or "", (i.kind or "").replace("|", "/"), i.offence_class or "",
                      "1" if i.undetected else "0"))


def inputs_of_class(key: str, basis: str = "") -> Inputs:
    """The inverse of :func:`class_key` (the basis date is the row's own)."""
    rtype, dataset, kind, oc, undetected = key.split("|")
    return Inputs(rtype, dataset or None, kind or None, oc or None, basis, undetected == "1")


def rtype_of(key: str) -> str:
    return key.split("|", 1)[0]


_rules: dict[tuple[Any, ...], tuple[Rule, str]] = {}


def rule_of(i: Inputs) -> tuple[Rule, str]:
    """``classify(i)`` and ``class_key(i)``, remembered for each class of record under the rule
    table in force (the classifier does not read the basis date): a few hundred
    classes, asked once for every record written."""
    key = (RULES_VERSION, i.rtype, i.dataset, i.kind, i.offence_class, i.undetected)
    got = _rules.get(key)
    if got is None:
        if len(_rules) > 4096:
            _rules.clear()
        got = _rules[key] = (classify(i), class_key(i))
    return got


def schedule_row(rkey: str, force: str, i: Inputs) -> tuple[Any, ...]:
    """The schedule row of a record (``COLUMNS``)."""
    rule, key = rule_of(i)
    return (rkey, force, key, i.basis, rule.group, rule.id, RULES_VERSION, review_date(i, rule))


class RetentionProjector:
    name = "retention"
    tables: Sequence[Table] = (retention_schedule,)

    def apply(self, conn: Connection, items: list[Accepted]) -> None:
        changed = [a for a in items if a.current]
        if not changed:
            return
        stale = [a.rkey for a in changed if not a.new_record]
        for i in range(0, len(stale), 500):
            conn.execute(
                delete(retention_schedule).where(retention_schedule.c.rkey.in_(stale[i : i + 500]))
            )
        rows = []
        for a in changed:
            if a.op == "delete" or a.data_json is None:
                continue
            data = orjson.loads(a.data_json) if a.rtype in NEEDS_DATA else None
            rows.append(
                schedule_row(a.rkey, a.force, inputs_of(a.rtype, a.dataset, a.issued_at, data))
            )
        insert_rows(conn, retention_schedule, COLUMNS, rows)


def schedule_gaps(conn: Connection) -> tuple[int, int]:
    """What the schedule is missing: live records with no schedule row, and rows with no review
    group or date (both 0 on a store whose every record is scheduled)."""
    unscheduled = conn.execute(select(func.count()).select_from(records).where(
        records.c.deleted.is_(False), ~select(S.rkey).where(S.rkey == records.c.rkey).exists())).scalar_one()
    blank = conn.execute(select(func.count()).select_from(retention_schedule).where(
        (S.review_group == "") | (S.review_on == ""))).scalar_one()
    return int(unscheduled), int(blank)


# -- re-scheduling -----------------------------------------------------------------------------
@dataclass
class Rescheduled:
    changed_rule: int  # rows whose group, rule or review date changed
    added: int
    examined: int  # rows re-classified (scheduled under an older rule table)
    seconds: float


def reschedule(engine: Engine, *, batch: int = 50_000) -> Rescheduled:
    """Bring the schedule in line with the rule table: rows scheduled under an older
    version of the rules are re-classified from their stored inputs (no record is read) by
    :func:`_reclassify`, in a few set-based statements.  Records with no schedule row (a
    store that predates retention) are classified from their data.  Idempotent, and cheap
    when nothing changed (one scan of the schedule and one anti-join)."""
    t0 = time.perf_counter()
    changed = added = examined = 0
    with engine.connect() as conn, write_transaction(conn):
        if (
            conn.execute(select(S.rkey).where(S.rules_version != RULES_VERSION).limit(1)).first()
            is not None
        ):
            changed, examined = _reclassify(conn)
        missing = select(records.c.rkey).where(
            records.c.deleted.is_(False), ~select(S.rkey).where(S.rkey == records.c.rkey).exists()
        )
        if conn.execute(missing.limit(1)).first() is not None:
            rows = []
            have = {r[0] for r in conn.execute(select(S.rkey))}
            for rtype in (
                "person",
                "event",
                "location",
                "vehicle",
                "marker",
                "link",
                "missing_episode",
            ):
                for v in iter_records(conn, Principal.system(), "retention", rtype=rtype):
                    if v.rkey not in have:
                        rows.append(
                            schedule_row(
                                v.rkey, v.force, inputs_of(v.rtype, v.dataset, v.issued_at, v.data)
                            )
                        )
                        if len(rows) >= batch:
                            insert_rows(conn, retention_schedule, COLUMNS, rows)
                            added += len(rows)
                            rows = []
            insert_rows(conn, retention_schedule, COLUMNS, rows)
            added += len(rows)
    return Rescheduled(changed, added, examined, time.perf_counter() - t0)


# The classifier reads only a row's class (not its basis), and the review date only its basis
# and the rule's years.  A row's new (group, rule, review date) is therefore looked up in two
# small tables, filled by the Python classifier (the one definition of the rules) for each
# distinct class and each distinct basis date.
_CLASSES = "SELECT DISTINCT s.class_key FROM retention_schedule s WHERE s.rules_version <> :v"
_BASES = "SELECT DISTINCT s.basis FROM retention_schedule s WHERE s.rules_version <> :v"
# A row's new (group, rule, date).  A correlated subquery, not UPDATE ... FROM a join: the join
# was 7% faster on SQLite, but PostgreSQL planned it as a nested loop over a freshly grown (not
# yet analysed) schedule: 160 s for 300,000 rows instead of 6 s.  A subquery per row cannot be
# planned that badly.
_NEW = (
    "(SELECT c.review_group, c.rule, d.review_on FROM retention_rs_class c JOIN retention_rs_date d "
    "ON d.years = c.years WHERE c.class_key = s.class_key AND d.basis = s.basis)"
)
_CHANGE = (
    "UPDATE retention_schedule AS s SET (review_group, rule, review_on) = NEW, rules_version = :v "
    "WHERE s.rules_version <> :v AND (s.review_group, s.rule, s.review_on) <> NEW"
)
_STAMP = "UPDATE retention_schedule AS s SET rules_version = :v WHERE s.rules_version <> :v"


def _reclassify(conn: Connection) -> tuple[int, int]:
    """Re-classify every row scheduled under an older rule table: two scans for the
    distinct classes and basis dates (a few hundred and a few tens of thousands, however
    large the store), then one UPDATE of the rows whose group, rule or date changes and
    one that stamps the rest with the new version.  Returns (changed, examined)."""
    v = {"v": RULES_VERSION}
    classes = [r[0] for r in conn.execute(text(_CLASSES), v)]
    bases = [r[0] for r in conn.execute(text(_BASES), v)]
    class_rows = []
    for key in classes:
        rule = classify(inputs_of_class(key))
        class_rows.append({"key": key, "grp": rule.group, "rule": rule.id, "years": rule.review_years})
    years = sorted({r["years"] for r in class_rows})
    date_rows = [{"basis": b, "years": y, "due": add_years(b, y)} for b in bases for y in years]
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE retention_rs_class (class_key VARCHAR(120) PRIMARY KEY, "
        "review_group VARCHAR(12), rule VARCHAR(40), years INTEGER)"
    )
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE retention_rs_date (basis VARCHAR(10), years INTEGER, "
        "review_on VARCHAR(10), PRIMARY KEY (basis, years))"
    )
    if class_rows:
        conn.execute(text("INSERT INTO retention_rs_class VALUES (:key, :grp, :rule, :years)"), class_rows)
    if date_rows:
        conn.execute(text("INSERT INTO retention_rs_date VALUES (:basis, :years, :due)"), date_rows)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE retention_rs_class")
        conn.exec_driver_sql("ANALYZE retention_rs_date")
    changed = conn.execute(text(_CHANGE.replace("NEW", _NEW)), v).rowcount
    stamped = conn.execute(text(_STAMP), v).rowcount
    conn.exec_driver_sql("DROP TABLE retention_rs_class")
    conn.exec_driver_sql("DROP TABLE retention_rs_date")
    return changed, changed + stamped


projectors.register(RetentionProjector())
