"""Statistics in the shape of the Missing Persons Unit's annual data report: episodes and
people by force, risk, age band and month; repeat rates; the distribution of time missing;
return-interview timeliness.  Aggregates over what the caller may see (the policy's row
predicate), grouped in SQL; CSV for export."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import Connection, case, func, literal, select

from leds.access.lookup import Lookup
from leds.access.policy import authorise, row_predicate
from leds.matching.tables import person_ids as PID

from .models import AGE_BANDS
from .service import RHI_HOURS
from .tables import missing_episodes as E

TIME_BUCKETS = (("under 24 hours", 0, 24), ("1-2 days", 24, 48), ("2-7 days", 48, 168),
                ("1-4 weeks", 168, 672), ("over 4 weeks", 672, None))


def _age_band() -> Any:
    return case(*[(E.c.age.between(lo, hi), literal(name)) for name, (lo, hi) in AGE_BANDS.items()],
                else_=literal("unknown"))


def _counts(conn: Connection, where: Any, key: Any) -> list[dict[str, Any]]:
    q = (select(key.label("key"), func.count().label("episodes"),
                func.sum(case((E.c.live.is_(True), 1), else_=0)).label("live"),
                func.sum(case((E.c.status == "found", 1), else_=0)).label("found"))
         .where(where).group_by(key).order_by(key))
    return [{"key": r.key, "episodes": r.episodes, "live": int(r.live or 0), "found": int(r.found or 0)}
            for r in conn.execute(q)]


def stats(conn: Connection, lookup: Lookup) -> dict[str, Any]:
    authorise(lookup.principal, "view_missing", lookup.purpose, lookup.reason, lookup.audit)
    where = row_predicate(lookup.principal, E)
    totals = conn.execute(select(
        func.count(), func.sum(case((E.c.live.is_(True), 1), else_=0)),
        func.sum(case((E.c.status == "found", 1), else_=0)), func.sum(case((E.c.status == "closed", 1), else_=0)),
    ).where(where)).one()
    who = func.coalesce(PID.c.person_id, E.c.subject)
    per_person = (select(who.label("who"), func.count().label("n"))
                  .select_from(E.outerjoin(PID, PID.c.rkey == E.c.subject)).where(where).group_by(who).subquery())
    people, repeat = conn.execute(select(func.count(), func.sum(case((per_person.c.n > 1, 1), else_=0)))).one()
    people, repeat = int(people or 0), int(repeat or 0)
    by_force = _counts(conn, where, E.c.force)
    by_risk = _counts(conn, where, E.c.risk)
    by_age = _counts(conn, where, _age_band())
    by_month = _counts(conn, where, func.substr(E.c.reported_at, 1, 7))
    bucket = case(*[((E.c.hours_missing >= lo) if hi is None else (E.c.hours_missing < hi), literal(name))
                    for name, lo, hi in TIME_BUCKETS], else_=literal("over 4 weeks"))
    times: dict[str, int] = dict(conn.execute(select(bucket, func.count()).where(where, E.c.hours_missing.is_not(None))
                              .group_by(bucket)).all())
    # Return home interviews of children found: held within 72 hours of the find, late, or not held.
    found_children = select(E.c.found_at, E.c.rhi_at).where(where, E.c.child.is_(True), E.c.status == "found",
                                                             E.c.found_at.is_not(None))
    due = held_on_time = late = not_held = 0
    from datetime import timedelta

    from .service import iso, now, time_of

    at = iso(now())
    for found_at, rhi_at in conn.execute(found_children):
        deadline = iso(time_of(found_at) + timedelta(hours=RHI_HOURS))
        if rhi_at:
            due += 1
            if rhi_at <= deadline:
                held_on_time += 1
            else:
                late += 1
        elif deadline < at:
            due += 1
            not_held += 1
    episodes = int(totals[0] or 0)
    return {
        "episodes": episodes, "live": int(totals[1] or 0), "people": people, "found": int(totals[2] or 0),
        "closed": int(totals[3] or 0), "repeat_people": repeat,
        "repeat_rate": round(repeat / people, 4) if people else 0.0,
        "by_force": by_force, "by_risk": sorted(by_risk, key=lambda r: ["high", "medium", "low", "very_low"]
                                                .index(r["key"]) if r["key"] in ("high", "medium", "low", "very_low")
                                                else 9),
        "by_age_band": sorted(by_age, key=lambda r: [*AGE_BANDS, "unknown"].index(r["key"])),
        "by_month": by_month,
        "time_missing": [{"key": name, "episodes": int(times.get(name, 0))} for name, _, _ in TIME_BUCKETS],
        "return_interviews": {"due": due, "on_time": held_on_time, "late": late, "not_held": not_held,
                              "on_time_rate": round(held_on_time / due, 4) if due else None},
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
