"""Statistics over imported data.police.uk data: crime by category, month and area; stop and
search by officer-defined or self-defined ethnicity with rates, outcome rates, disparity
ratios and 95% confidence intervals; and what the data cannot show.

Open data carries no personal data: these read the opendata tables directly (the
``view_reports`` action is checked by the callers).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from sqlalchemy import Connection, func, select

from leds.errors import BadRequest
from leds.opendata.tables import opendata_population, opendata_stop_search, opendata_street

Z = 1.959963984540054  # the 97.5th percentile of the normal distribution
NFA = "A no further action disposal"
NOT_RECORDED = "Not recorded"

CANNOT_SHOW: tuple[str, ...] = (
    "People, not searches: a person searched twice counts twice; police.uk publishes no identifier, so rates "
    "are searches per resident, not the share of residents searched.",
    "Who was present: population figures (where given) count residents from the Census, not the people in an "
    "area when searches happened (commuters, visitors, the night-time economy); in central areas such as the "
    "City of London and Westminster this can make rates misleading.",
    "Why: the data holds the legal power and the object of the search, not the officer's grounds, the "
    "circumstances or the decisions that led to a search, so a disparity shows that groups are treated "
    "differently, not why.",
    "Ethnicity is incomplete: self-defined ethnicity is often 'Not stated'; officer-defined ethnicity is an "
    "officer's perception; vehicle-only searches usually have neither.",
    "Outcomes are those recorded at the time: later charges, court results and complaints are not linked, and "
    "'outcome linked to object of search' is often blank.",
    "Places are approximate: police.uk moves each location to an anonymised map point, and some rows have none.",
    "Recorded crime is not all crime: crimes not reported, or not recorded, are absent, and a crime's 'last "
    "outcome' changes after publication.",
)


def wilson(k: int, n: int) -> tuple[float, float] | None:
    """95% Wilson score interval for a proportion k/n."""
    if n == 0:
        return None
    p = k / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    return round(max(0.0, c - h), 4), round(min(1.0, c + h), 4)


def ratio_ci(a: int, n1: int, c: int, n2: int) -> dict[str, Any] | None:
    """The ratio of two rates (a/n1)/(c/n2), with a 95% interval on the log scale (Katz's
    method for proportions; for counts over fixed populations the 1/n terms vanish, so pass
    n = 0 there)."""
    if not a or not c or (n1 and not n2) or (n2 and not n1):
        return None
    value = (a / (n1 or 1)) / (c / (n2 or 1)) if n1 else a / c
    se = math.sqrt(1 / a + 1 / c - (1 / n1 if n1 else 0) - (1 / n2 if n2 else 0))
    return {"value": round(value, 3), "ci95": [round(value * math.exp(-Z * se), 3), round(value * math.exp(Z * se), 3)]}


def crime(conn: Connection, *, by: Literal["crime_type", "month", "lsoa", "falls_within"] = "crime_type",
          force: str | None = None, month_from: str | None = None, month_to: str | None = None,
          crime_type: str | None = None) -> dict[str, Any]:
    """Street-level crimes counted by category, month or area (LSOA), optionally filtered."""
    s = opendata_street.c
    col = {"crime_type": s.crime_type, "month": s.month, "lsoa": s.lsoa_name, "falls_within": s.falls_within}.get(by)
    if col is None:
        raise BadRequest("by is one of crime_type, month, lsoa, falls_within")
    q = select(col, func.count()).group_by(col)
    if force:
        q = q.where(s.batch.like(f"street/{force}/%"))
    if month_from:
        q = q.where(s.month >= month_from)
    if month_to:
        q = q.where(s.month <= month_to)
    if crime_type:
        q = q.where(s.crime_type == crime_type)
    counted = [(str(k or "(none)"), int(n)) for k, n in conn.execute(q)]
    counted.sort(key=lambda kn: (0, kn[0]) if by == "month" else (-kn[1], kn[0]))
    rows = [{"key": k, "crimes": n} for k, n in counted]
    return {"by": by, "force": force, "month_from": month_from, "month_to": month_to, "crime_type": crime_type,
            "total": sum(r["crimes"] for r in rows), "rows": rows, "cannot_show": list(CANNOT_SHOW[-2:])}


def _group(value: str | None, ethnicity: str) -> str:
    if not value:
        return NOT_RECORDED
    return value.split(" - ", 1)[0] if ethnicity == "self" else value


def stop_search(conn: Connection, *, force: str | None = None, month: str | None = None,
                month_to: str | None = None, ethnicity: Literal["officer", "self"] = "officer") -> dict[str, Any]:
    """Searches by ethnic group (officer-defined, or the top level of self-defined), with
    outcome rates (arrest; any outcome other than no further action) and their 95% intervals,
    arrest-rate ratios against the White group, and, where a population is given for the
    force's area, searches per 1,000 residents and disparity ratios with 95% intervals."""
    if ethnicity not in ("officer", "self"):
        raise BadRequest("ethnicity is officer or self")
    c = opendata_stop_search.c
    col = c.officer_ethnicity if ethnicity == "officer" else c.self_ethnicity
    q = select(col, c.outcome, func.count()).group_by(col, c.outcome)
    if force:
        q = q.where(c.force == force)
    if month:
        q = q.where(c.month >= month, c.month <= (month_to or month))
    acc: dict[str, list[int]] = {}
    for value, outcome, n in conn.execute(q):
        counts = acc.setdefault(_group(value, ethnicity), [0, 0, 0])
        counts[0] += n
        counts[1] += n if outcome == "Arrest" else 0
        counts[2] += n if outcome and outcome != NFA else 0
    population: dict[str, int] = {}
    if force:
        population = dict(conn.execute(select(opendata_population.c.ethnicity, opendata_population.c.population)
                                       .where(opendata_population.c.force == force)).all())
    ref = next((g for g in acc if g.startswith("White")), None)
    rs, ra, _ = acc.get(ref, [0, 0, 0]) if ref else [0, 0, 0]
    total = sum(v[0] for v in acc.values())
    groups = []
    for g, (s, a, o) in sorted(acc.items(), key=lambda kv: -kv[1][0]):
        row: dict[str, Any] = {
            "group": g, "searches": s, "share": round(s / total, 4) if total else None,
            "arrests": a, "arrest_rate": round(a / s, 4) if s else None, "arrest_rate_ci95": wilson(a, s),
            "outcomes": o, "outcome_rate": round(o / s, 4) if s else None, "outcome_rate_ci95": wilson(o, s),
            "arrest_rate_ratio": ratio_ci(a, s, ra, rs) if ref and g != NOT_RECORDED else None,
        }
        pop = population.get(g)
        if pop:
            rate = 1000 * s / pop
            row["population"] = pop
            row["per_1000"] = round(rate, 2)
            row["per_1000_ci95"] = [round(1000 * max(0.0, s - Z * math.sqrt(s)) / pop, 2),
                                    round(1000 * (s + Z * math.sqrt(s)) / pop, 2)]
            ref_pop = population.get(ref) if ref else None
            if ref_pop and rs and s and g != NOT_RECORDED:
                # Search rate per resident against the reference group's; counts over fixed
                # populations, so the log ratio's variance is 1/s + 1/rs.
                value = (s / pop) / (rs / ref_pop)
                se = math.sqrt(1 / s + 1 / rs)
                row["disparity_ratio"] = {"value": round(value, 3), "ci95": [
                    round(value * math.exp(-Z * se), 3), round(value * math.exp(Z * se), 3)]}
        groups.append(row)
    return {"force": force, "month": month, "month_to": month_to or month, "ethnicity": ethnicity,
            "reference_group": ref, "total": total, "groups": groups,
            "population_given": bool(population), "cannot_show": list(CANNOT_SHOW)}
