"""What leds itself holds about a force's data, shown beside the maturity questions it bears on.

Read from the data-quality domain's counters when it is installed (leds.quality), else from the
ingest tables; each measure is one grouped query over tables kept at ingest, never a scan of
the records.  A measure leds cannot compute for a force is absent, not zero.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from leds.db.schema import log, quarantine

MEASURES = {
    "quality_score": "Data-quality rules passed (all rules, all time), %",
    "quarantine_rate": "Updategrams quarantined as a share of all received, %",
    "timeliness": "Arrests recorded within 24 hours (the PNC standard), %",
    "retention_backlog": "Records past their MoPI review date and not yet reviewed",
}


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def held(conn: Connection, force: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """force -> measure -> {value, unit, title}; ``force`` limits it to one force."""
    out: dict[str, dict[str, dict[str, Any]]] = {}

    def put(f: str, measure: str, value: float | int | None) -> None:
        if value is not None and (force is None or f == force):
            out.setdefault(f, {})[measure] = {"value": value, "title": MEASURES[measure],
                                              "unit": "records" if measure == "retention_backlog" else "%"}

    accepted = {f: int(n) for f, n in conn.execute(
        _where(select(log.c.force, func.count()), log.c.force, force).group_by(log.c.force))}
    try:
        from leds.quality.tables import quality_counts, quality_quarantined
    except ImportError:  # the quality domain is not installed: the ingest quarantine alone
        q = select(quarantine.c.force, func.count()).where(quarantine.c.force.is_not(None))
        held_back = {f: int(n) for f, n in conn.execute(_where(q, quarantine.c.force, force)
                                                        .group_by(quarantine.c.force))}
    else:
        q = select(quality_quarantined.c.force, func.sum(quality_quarantined.c.lines))
        held_back = {f: int(n or 0) for f, n in conn.execute(
            _where(q, quality_quarantined.c.force, force).group_by(quality_quarantined.c.force))}
        q = select(quality_counts.c.force, func.sum(quality_counts.c.passed), func.sum(quality_counts.c.total))
        for f, passed, total in conn.execute(_where(q, quality_counts.c.force, force)
                                             .group_by(quality_counts.c.force)):
            put(f, "quality_score", _pct(float(passed or 0), float(total or 0)))
        from leds.quality.framework import measures

        for f, row in measures(conn).items():
            put(f, "timeliness", row["measures"].get("timeliness", {}).get("value"))
    for f in set(accepted) | set(held_back):
        bad = held_back.get(f, 0)
        put(f, "quarantine_rate", _pct(bad, bad + accepted.get(f, 0)))
    try:
        from leds.retention.tables import retention_reviews, retention_schedule
    except ImportError:
        return out
    today = datetime.now(UTC).date().isoformat()
    s, r = retention_schedule, retention_reviews
    q = (select(s.c.force, func.count()).select_from(s.outerjoin(r, r.c.rkey == s.c.rkey))
         .where(s.c.review_on <= today, r.c.rkey.is_(None)))
    for f, n in conn.execute(_where(q, s.c.force, force).group_by(s.c.force)):
        put(f, "retention_backlog", int(n))
    return out


def _where(q: Any, col: Any, force: str | None) -> Any:
    return q.where(col == force) if force else q
