"""The National Data Performance Framework: measures per force against published thresholds,
with a RAG status; the national league table, a force's page and its trends.

Measures come from the scorecards (one per dimension's headline rule), from ingest and from
matching.  Thresholds are data, like the rules: the PNC's own standard sets timeliness (90% of
arrests on within 24 hours); the others are the board's starting points, to be agreed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from .evaluate import BIRTH
from .service import Period, scorecard
from .tables import quality_facts

# The pilot forces, in the order the board approved them.
PILOTS = ("WYP", "PSNI", "DER")


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    rule: str | None  # a scorecard rule, or None for a measure computed here
    green: float  # at or above: green
    amber: float  # at or above: amber; below: red


MEASURES: tuple[Measure, ...] = (
    Measure("timeliness", "Arrests on within 24 hours (PNC standard)", "event.arrest.timely_24h", 90.0, 80.0),
    Measure("completeness", "Person records with a date of birth", "person.birth_date.present", 95.0, 85.0),
    Measure("validity", "Updategram lines accepted", "ingest.accepted", 99.0, 95.0),
    Measure("consistency", "Open-vocabulary values in the standard's lists", "code.standard", 95.0, 85.0),
    Measure("uniqueness", "Person records without a duplicate in their source", "person.duplicate_in_source",
            99.0, 95.0),
    Measure("matching", "Person records with a national person id", None, 95.0, 80.0),
)


def rag(value: float | None, m: Measure) -> str:
    if value is None:
        return "grey"  # nothing to measure
    return "green" if value >= m.green else "amber" if value >= m.amber else "red"


def _matched(conn: Connection) -> dict[str, tuple[int, int]]:
    """force -> (current person records with a national id, current person records), from the
    quality facts (one per current record; persons are the ones the birth-date rule applies to)."""
    from leds.matching.tables import person_ids

    f = quality_facts.c
    person = f.checked.op("&")(BIRTH) != 0
    persons: dict[str, int] = dict(conn.execute(select(f.force, func.count()).where(person).group_by(f.force)).all())
    with_id: dict[str, int] = dict(conn.execute(select(f.force, func.count()).select_from(
        quality_facts.join(person_ids, person_ids.c.rkey == f.rkey)).where(person).group_by(f.force)).all())
    if not with_id:
        return {}  # no national ids anywhere: matching is not running, nothing to measure (grey)
    return {k: (int(with_id.get(k, 0)), int(n)) for k, n in persons.items()}


def _pct(passed: int, total: int) -> float | None:
    return round(100.0 * passed / total, 1) if total else None


def measures(conn: Connection, *, since: str | None = None) -> dict[str, dict[str, Any]]:
    """force -> {measure id -> {value, passed, total, rag}} and the force's overall status."""
    by_rule: dict[tuple[str, str], tuple[int, int]] = {
        (r["force"], r["rule"]): (r["passed"], r["total"]) for r in scorecard(conn, by="force", since=since)}
    matched = _matched(conn)
    forces = sorted({f for f, _ in by_rule} | set(matched))
    out: dict[str, dict[str, Any]] = {}
    for f in forces:
        row: dict[str, Any] = {}
        for m in MEASURES:
            passed, total = by_rule.get((f, m.rule), (0, 0)) if m.rule else matched.get(f, (0, 0))
            value = _pct(passed, total)
            row[m.id] = {"value": value, "passed": passed, "total": total, "rag": rag(value, m)}
        statuses = [v["rag"] for v in row.values() if v["rag"] != "grey"]
        values = [v["value"] for v in row.values() if v["value"] is not None]
        out[f] = {"force": f, "pilot": f in PILOTS, "measures": row,
                  "score": round(sum(values) / len(values), 1) if values else None,
                  "rag": "red" if "red" in statuses else "amber" if "amber" in statuses
                  else "green" if statuses else "grey"}
    return out


def league(conn: Connection, *, since: str | None = None) -> list[dict[str, Any]]:
    """Every force, best overall score first (the pilots marked), ranked."""
    rows = sorted(measures(conn, since=since).values(), key=lambda r: (-(r["score"] or -1), r["force"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def trends(conn: Connection, force: str, *, period: Period = "week") -> list[dict[str, Any]]:
    """Each period's value of each scorecard measure for ``force``, oldest first."""
    rule_measure = {m.rule: m for m in MEASURES if m.rule}
    acc: dict[str, dict[str, Any]] = {}
    for r in scorecard(conn, by="force", period=period, force=force):
        m = rule_measure.get(r["rule"])
        if m is None:
            continue
        value = _pct(r["passed"], r["total"])
        acc.setdefault(r["period"], {"period": r["period"]})[m.id] = {"value": value, "rag": rag(value, m)}
    return [acc[p] for p in sorted(acc)]


def force_page(conn: Connection, force: str) -> dict[str, Any]:
    from .service import nonstandard_values

    found = measures(conn).get(force)
    return {"force": force, "pilot": force in PILOTS,
            "current": found or {"force": force, "measures": {}, "score": None, "rag": "grey"},
            "trends": trends(conn, force), "nonstandard": nonstandard_values(conn, force=force)}
