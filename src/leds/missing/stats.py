"""Statistics in the shape of the Missing Persons Unit's annual data report: episodes and
people by force, risk, age band and month; repeat rates; the distribution of time missing;
return-interview timeliness.  Aggregates over what the caller may see (the policy's row
predicate applied to tables of counts that carry the access columns), grouped in SQL; CSV for
export.  No request reads every episode."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any, cast

from sqlalchemy import Connection, Table, case, func, select

from leds.access.lookup import Lookup
from leds.access.policy import authorise, row_predicate

from .models import AGE_BANDS
from .service import iso, now
from .tables import missing_episodes as E
from .tables import missing_people as P
from .tables import missing_tallies as T
from .tallies import TIME_BUCKETS


def stats(conn: Connection, lookup: Lookup) -> dict[str, Any]:
    """The breakdowns and the return interviews from the running counts (a few hundred rows),
    the interviews still within their 72 hours from an index range (the last three days'
    finds), and the people from the register's people table in national person id order
    (one index read, no join: see migration 0019)."""
    authorise(lookup.principal, "view_missing", lookup.purpose, lookup.reason, lookup.audit)
    at = iso(now())
    groups = conn.execute(select(T.c.dim, T.c.value, T.c.status, func.sum(T.c.n))
                          .where(row_predicate(lookup.principal, T)).group_by(T.c.dim, T.c.value, T.c.status)).all()
    tallies: dict[str, dict[str, dict[str, int]]] = {k: {} for k in ("force", "risk", "age", "month", "time", "rhi")}
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
    rhis = {k: tallies["rhi"].get(k, {}).get("episodes", 0) for k in ("on_time", "late", "awaiting")}
    # Of the interviews not held, those whose 72 hours have not yet run out are pending (counted
    # as the running counts count: by the access columns, with no per-record restriction).
    waiting = (select(E.c.force, E.c.dataset, E.c.handling, E.c.sharing)
               .where(E.c.rhi_due >= at, E.c.rhi_at.is_(None)).subquery())
    pending = int(conn.execute(select(func.count()).select_from(waiting)
                               .where(row_predicate(lookup.principal, cast(Table, waiting)))).scalar_one())
    per_person = (select(P.c.who, func.sum(P.c.n).label("n")).where(row_predicate(lookup.principal, P))
                  .group_by(P.c.who).subquery())
    people, repeat = conn.execute(select(func.count(), func.sum(case((per_person.c.n > 1, 1), else_=0)))).one()
    people, repeat = int(people or 0), int(repeat or 0)

    def rows(name: str, order: list[str] | None = None) -> list[dict[str, Any]]:
        items = tallies[name]
        keys_ = [k for k in order if k in items] if order else sorted(items)
        return [{"key": k, **items[k]} for k in keys_]

    not_held = rhis["awaiting"] - pending
    due = rhis["on_time"] + rhis["late"] + not_held
    return {
        "episodes": totals["episodes"], "live": totals["missing"], "people": people, "found": totals["found"],
        "closed": totals["closed"], "repeat_people": repeat, "repeat_rate": round(repeat / people, 4) if people else 0.0,
        "by_force": rows("force"), "by_risk": rows("risk", ["high", "medium", "low", "very_low"]),
        "by_age_band": rows("age", [*AGE_BANDS, "unknown"]), "by_month": rows("month"),
        "time_missing": [{"key": name, "episodes": tallies["time"].get(name, {}).get("episodes", 0)}
                         for name, _, _ in TIME_BUCKETS],
        "return_interviews": {"due": due, "on_time": rhis["on_time"], "late": rhis["late"],
                              "not_held": not_held,
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
