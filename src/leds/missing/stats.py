"""Statistics in the shape of the Missing Persons Unit's annual data report: episodes and
people by force, risk, age band and month; repeat rates; the distribution of time missing;
return-interview timeliness.  Aggregates over what the caller may see (the policy's row
predicate), grouped in SQL; CSV for export."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from sqlalchemy import Connection, case, func, literal, select

from leds.access.lookup import Lookup
from leds.access.policy import authorise, row_predicate
from leds.matching.tables import person_ids as PID

from .models import AGE_BANDS
from .service import iso, now
from .tables import missing_episodes as E
from .tables import missing_tallies as T
from .tallies import TIME_BUCKETS


def stats(conn: Connection, lookup: Lookup) -> dict[str, Any]:
    """The breakdowns from the running counts (a few hundred rows), return interviews from the
    children found (an index range), and people from the episodes per national person."""
    authorise(lookup.principal, "view_missing", lookup.purpose, lookup.reason, lookup.audit)
    at = iso(now())
    groups = conn.execute(select(T.c.dim, T.c.value, T.c.status, func.sum(T.c.n))
                          .where(row_predicate(lookup.principal, T)).group_by(T.c.dim, T.c.value, T.c.status)).all()
    tallies: dict[str, dict[str, dict[str, int]]] = {k: {} for k in ("force", "risk", "age", "month", "time")}
    totals: Counter[str] = Counter()
    for dim, value, status, n in groups:
        n = int(n)
        if dim == "force":
            totals["episodes"] += n
            totals[status] += n
        row = tallies[dim].setdefault(value, {"episodes": 0, "live": 0, "found": 0})
        row["episodes"] += n
        if status == "missing":
            row["live"] += n
        elif status == "found":
            row["found"] += n
    where = row_predicate(lookup.principal, E)
    rhi = case((E.c.rhi_at.is_not(None) & (E.c.rhi_at <= E.c.rhi_due), literal("on_time")),
               (E.c.rhi_at.is_not(None), literal("late")),
               (E.c.rhi_due < at, literal("not_held")), else_=literal("pending"))
    rhis: Counter[str] = Counter(dict(conn.execute(select(rhi, func.count()).where(where, E.c.rhi_due.is_not(None))
                                                   .group_by(rhi)).all()))
    who = func.coalesce(PID.c.person_id, E.c.subject)
    per_person = (select(who.label("who"), func.count().label("n"))
                  .select_from(E.outerjoin(PID, PID.c.rkey == E.c.subject)).where(where).group_by(who).subquery())
    people, repeat = conn.execute(select(func.count(), func.sum(case((per_person.c.n > 1, 1), else_=0)))).one()
    people, repeat = int(people or 0), int(repeat or 0)

    def rows(name: str, order: list[str] | None = None) -> list[dict[str, Any]]:
        items = tallies[name]
        keys_ = [k for k in order if k in items] if order else sorted(items)
        return [{"key": k, **items[k]} for k in keys_]

    due = rhis["on_time"] + rhis["late"] + rhis["not_held"]
    return {
        "episodes": totals["episodes"], "live": totals["missing"], "people": people, "found": totals["found"],
        "closed": totals["closed"], "repeat_people": repeat, "repeat_rate": round(repeat / people, 4) if people else 0.0,
        "by_force": rows("force"), "by_risk": rows("risk", ["high", "medium", "low", "very_low"]),
        "by_age_band": rows("age", [*AGE_BANDS, "unknown"]), "by_month": rows("month"),
        "time_missing": [{"key": name, "episodes": tallies["time"].get(name, {}).get("episodes", 0)}
                         for name, _, _ in TIME_BUCKETS],
        "return_interviews": {"due": due, "on_time": rhis["on_time"], "late": rhis["late"],
                              "not_held": rhis["not_held"],
                              "on_time_rate": round(rhis["on_time"] / due, 4) if due else None},
    }


def stats_csv(s: dict[str, Any]) -> str:
    """Every table of the statistics as one CSV: section, key, measure, value."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "key", "measure", "value"])
    for k in ("episodes", "live", "people", "found", "closed", "repeat_people", "repeat_rate"):
        w.writerow(["totals", "", k, s[k]])
    for section in ("by_force", "by_risk", "by_age_band", "by_month", "time_missing"):
        for row in s[section]:
            for measure, value in row.items():
                if measure != "key":
                    w.writerow([section, row["key"], measure, value])
    for measure, value in s["return_interviews"].items():
        w.writerow(["return_interviews", "", measure, "" if value is None else value])
    return out.getvalue()
