"""Quality counters kept at ingest, in the ingest transaction.

Per batch: evaluate each record's new current version (``evaluate``), compare it with the
record's stored fact, and apply the difference to the counters (``quality_counts``) and the
failure history (``quality_failures``).  New records (most of a bulk load) need no read.
Quarantined lines are counted by :meth:`QualityProjector.quarantined`, which ingest calls
with the batch's rejections.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table

from leds.db.bulk import insert_rows, select_in, update_rows
from leds.ingest import projectors
from leds.ingest.accepted import Accepted

from .evaluate import DUPLICATE, NONE, RULED_TYPES, Fact, day_of, evaluate
from .rules import RECORD_RULES, rules_of
from .tables import quality_counts, quality_facts, quality_failures

FACT_COLUMNS = ("rkey", "force", "source", "sequence", "day", "checked", "failed")
Delta = Counter[tuple[str, str, str, str]]  # (day, force, source, rule) -> change


def _run(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """An upsert (ON CONFLICT: SQLite 3.24+ and PostgreSQL alike) with each row's values bound."""
    conn.exec_driver_sql(sql if conn.dialect.name == "sqlite" else sql.replace("?", "%s"), rows)


def upsert_counts(conn: Connection, passed: Delta, total: Delta) -> None:
    rows = [(*k, passed.get(k, 0), t) for k, t in total.items() if t or passed.get(k, 0)]
    if not rows:
        return
    _run(conn, "INSERT INTO quality_counts (day, force, source, rule, passed, total) VALUES (?, ?, ?, ?, ?, ?) "
         "ON CONFLICT (day, force, source, rule) DO UPDATE SET passed = quality_counts.passed + excluded.passed, "
         "total = quality_counts.total + excluded.total", rows)


def add_quarantined(conn: Connection, counts: Counter[tuple[str, str, str]]) -> None:
    if not counts:
        return
    _run(conn, "INSERT INTO quality_quarantined (day, force, source, lines) VALUES (?, ?, ?, ?) "
         "ON CONFLICT (day, force, source) DO UPDATE SET lines = quality_quarantined.lines + excluded.lines",
         [(*k, n) for k, n in counts.items()])


class QualityProjector:
    name = "quality"
    tables: Sequence[Table] = (quality_facts, quality_counts, quality_failures)

    def apply(self, conn: Connection, items: list[Accepted]) -> None:
        if not items:
            return
        passed: Delta = Counter()
        total: Delta = Counter()
        for a in items:  # every accepted line counts, older versions too
            k = (day_of(a.issued_at), a.force, a.source, "ingest.accepted")
            passed[k] += 1
            total[k] += 1
        newest: dict[str, Accepted] = {}
        for a in items:
            if a.rtype not in RULED_TYPES:
                continue  # no rule reads vehicles, locations or markers: no fact to keep
            cur = newest.get(a.rkey)
            if cur is None or a.sequence > cur.sequence:
                newest[a.rkey] = a
        old: dict[str, tuple[Any, ...]] = {r[0]: r for r in select_in(
            conn, quality_facts, FACT_COLUMNS, "rkey", [k for k, a in newest.items() if not a.new_record])}
        facts: dict[str, tuple[Accepted, Fact]] = {}
        for rkey, a in newest.items():
            before = old.get(rkey)
            if before is not None and before[3] >= a.sequence:
                continue  # an older version arriving late: the current state stands
            facts[rkey] = (a, evaluate(a.rtype, a.op, a.issued_at, a.data_json))
        self._duplicates(conn, facts, old)
        opened: list[tuple[Any, ...]] = []
        resolved: list[tuple[Any, ...]] = []
        fresh: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        # Records are counted by kind of fact first, (day, force, source, checked, failed): one
        # dict update per record; the rules are expanded once per kind (measured: a third of
        # the projector's time at 60,000 lines when expanded per record).
        kinds: Counter[tuple[str, str, str, int, int]] = Counter()
        for rkey, (a, f) in facts.items():
            day = day_of(a.issued_at)
            before = old.get(rkey)
            b_failed = 0
            if before is not None:
                b_failed = before[6]
                kinds[(before[4], a.force, a.source, before[5], b_failed)] -= 1
            kinds[(day, a.force, a.source, f.checked, f.failed)] += 1
            flipped = b_failed ^ f.failed
            if flipped:
                for r in rules_of(flipped):
                    if f.failed & r.bit:
                        opened.append((r.id, rkey, day, a.force, a.source, f.detail.get(r.bit)))
                    else:
                        resolved.append((day, r.id, rkey))
            row = (rkey, a.force, a.source, a.sequence, day, f.checked, f.failed)
            (changed if before else fresh).append(row)
        for (day, force, source, checked, failed), n in kinds.items():
            if n:
                for r in rules_of(checked):
                    k = (day, force, source, r.id)
                    total[k] += n
                    if not failed & r.bit:
                        passed[k] += n
        insert_rows(conn, quality_facts, FACT_COLUMNS, fresh)
        update_rows(conn, quality_facts, FACT_COLUMNS[3:], "rkey = ?", [(*r[3:], r[0]) for r in changed])
        update_rows(conn, quality_failures, ("resolved",), "rule = ? AND rkey = ? AND resolved IS NULL", resolved)
        self._open(conn, opened)
        upsert_counts(conn, passed, total)

    def forget(self, conn: Connection, rkeys: list[str]) -> None:
        """Erasure (leds.retention calls this before removing the records' rows): take the
        records out of the counters as a replay of the log without them would (their
        accepted lines and their facts), so the digest still matches a rebuild."""
        from sqlalchemy import delete

        from leds.access.policy import Principal, record_history

        passed: Delta = Counter()
        total: Delta = Counter()
        for rkey in rkeys:  # every accepted version (each was counted when it arrived)
            force, source = rkey.split("|", 2)[:2]
            for v in record_history(conn, Principal.system(), rkey, limit=1_000_000):
                k = (day_of(v["issued_at"]), force, source, "ingest.accepted")
                passed[k] -= 1
                total[k] -= 1
        for i in range(0, len(rkeys), 500):
            chunk = rkeys[i:i + 500]
            for _rkey, force, source, _seq, day, checked, failed in select_in(conn, quality_facts, FACT_COLUMNS,
                                                                             "rkey", chunk):
                for r in RECORD_RULES:
                    if checked & r.bit:
                        total[(day, force, source, r.id)] -= 1
                        passed[(day, force, source, r.id)] -= 0 if failed & r.bit else 1
        upsert_counts(conn, passed, total)
        conn.execute(delete(quality_counts).where(quality_counts.c.total == 0, quality_counts.c.passed == 0))

    def _open(self, conn: Connection, opened: list[tuple[Any, ...]]) -> None:
        if not opened:
            return
        _run(conn, "INSERT INTO quality_failures (rule, rkey, opened, force, source, detail) VALUES (?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (rule, rkey, opened) DO UPDATE SET resolved = NULL, detail = excluded.detail", opened)

    def _duplicates(self, conn: Connection, facts: dict[str, tuple[Accepted, Fact]],
                    old: dict[str, tuple[Any, ...]]) -> None:
        """person.duplicate_in_source from the national person ids the real-time matcher (which
        runs before this projector) has just assigned; a record that gains a twin in its own
        source is flagged too.  Ids changed later by a batch run are refreshed by the recompute."""
        persons = [k for k, (a, f) in facts.items() if f.checked & DUPLICATE]
        if not persons:
            return
        from leds.matching.tables import person_ids

        pid_of = dict(select_in(conn, person_ids, ("rkey", "person_id"), "rkey", persons))
        if not pid_of:
            return
        members: dict[str, list[str]] = {}
        for rkey, pid in select_in(conn, person_ids, ("rkey", "person_id"), "person_id", sorted(set(pid_of.values()))):
            members.setdefault(pid, []).append(rkey)
        twins: set[str] = set()
        for keys in members.values():
            by_stream = Counter(_stream(k) for k in keys)
            twins.update(k for k in keys if by_stream[_stream(k)] > 1)
        for rkey in persons:
            if rkey in twins:
                a, f = facts[rkey]
                f.failed |= DUPLICATE
        others = [k for k in twins if k not in facts]
        if not others:
            return
        for row in select_in(conn, quality_facts, FACT_COLUMNS, "rkey", others):
            rkey, force, source, seq, day, checked, failed = row
            if failed & DUPLICATE:
                continue
            old[rkey] = row
            a = Accepted(force, source, seq, rkey, "person", rkey.rsplit("|", 1)[-1], "upsert", None, None,
                         day + "T00:00:00Z", None)
            facts[rkey] = (a, Fact(checked, failed | DUPLICATE, {}))

    def quarantined(self, conn: Connection, rejected: list[Any]) -> None:
        """Count quarantined lines by the day received (a rejected line's own dates cannot be trusted)."""
        rejected = [r for r in rejected if r.quarantine_id is None]  # a retried entry was counted when received
        if not rejected:
            return
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        add_quarantined(conn, Counter((day, (r.force or "")[:8], (r.source or "")[:64]) for r in rejected))


def _stream(rkey: str) -> str:
    force, source, _ = rkey.split("|", 2)
    return f"{force}|{source}"


projectors.register(QualityProjector())
__all__ = ["NONE", "QualityProjector", "add_quarantined", "upsert_counts"]
