"""Benefit profiles in the plan's template (Appendix E: reference, title, rationale, owner,
category, measure, calculation, baseline, target, realisation stage, RAG), measurements over
time, and the measures leds counts itself, recorded by ``refresh`` (``leds benefits refresh``,
or the button on the benefits page) so that each has a history.

Computed measures (each one grouped query over tables kept at ingest):

* ``forces_onboarded``: forces that have sent at least one accepted updategram;
* ``datasets_connected``: force systems connected (distinct force and source system in the log);
* ``agreements_in_force`` and ``volume_shared``: data sharing agreements in force and records
  exported under them (when the sharing domain's tables hold any);
* ``data_quality``: data-quality rules passed nationally, % (leds.quality's counters);
* ``portal_coverage``: key data office services available through the portal, %.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, column, delete, distinct, func, insert, select, table, update

from leds.access.policy import Principal
from leds.db.schema import log
from leds.errors import BadRequest, NotFound

from . import catalogue
from .maturity import now, require
from .models import BenefitIn, MeasurementIn
from .tables import office_benefits, office_measurements

COMPUTED: dict[str, str] = {
    "forces_onboarded": "Forces sending updategrams",
    "datasets_connected": "Force systems connected (force and source system)",
    "agreements_in_force": "Data sharing agreements in force",
    "volume_shared": "Records shared under data sharing agreements",
    "data_quality": "Data-quality rules passed nationally, %",
    "portal_coverage": "Key data office services available through the portal, %",
}


def compute(conn: Connection, name: str) -> float | None:
    """The current value of a computed measure, or None where leds holds nothing to count."""
    if name == "forces_onboarded":
        return float(conn.execute(select(func.count(distinct(log.c.force)))).scalar_one())
    if name == "datasets_connected":
        inner = select(log.c.force, log.c.source).distinct().subquery()
        return float(conn.execute(select(func.count()).select_from(inner)).scalar_one())
    if name == "portal_coverage":
        return float(catalogue.coverage()["percent"])
    if name == "data_quality":
        try:
            from leds.quality.tables import quality_counts
        except ImportError:
            return None
        passed, total = conn.execute(select(func.sum(quality_counts.c.passed),
                                            func.sum(quality_counts.c.total))).one()
        return round(100.0 * float(passed) / float(total), 1) if total else None
    if name in ("agreements_in_force", "volume_shared"):
        return _sharing(conn, name)
    raise BadRequest(f"no computed measure {name}: leds computes {', '.join(COMPUTED)}", field="computed")


def trend(conn: Connection, name: str | None) -> list[dict[str, Any]]:
    """A computed measure's history where leds keeps one: data quality by month, from the
    quality counters (each month's passed over checked, by the records' issue days)."""
    if name != "data_quality":
        return []
    try:
        from leds.quality.tables import quality_counts as qc
    except ImportError:
        return []
    month = func.substr(qc.c.day, 1, 7)
    rows = conn.execute(select(month, func.sum(qc.c.passed), func.sum(qc.c.total)).group_by(month).order_by(month))
    return [{"period": m, "value": round(100.0 * float(p) / float(t), 1)} for m, p, t in rows if t]


def _sharing(conn: Connection, name: str) -> float | None:
    """From the sharing domain's tables, when that domain is installed (its columns as its
    migration 0014 made them)."""
    try:
        import leds.sharing  # noqa: F401
    except ImportError:
        return None
    if name == "agreements_in_force":
        t = table("sharing_agreements", column("state"), column("expires"))
        today = datetime.now(UTC).date().isoformat()
        return float(conn.execute(select(func.count()).select_from(t).where(
            t.c.state.in_(("active", "approved", "in_force")), t.c.expires >= today)).scalar_one())
    e = table("sharing_exports", column("records"))
    return float(conn.execute(select(func.coalesce(func.sum(e.c.records), 0))).scalar_one())


def save(conn: Connection, principal: Principal, body: BenefitIn) -> dict[str, Any]:
    require(principal, "manage_benefits", "keep benefit profiles")
    if body.baseline is None:
        raise BadRequest("a benefit needs a baseline: without one its realisation cannot be measured",
                         field="baseline")
    if body.computed is not None and body.computed not in COMPUTED:
        raise BadRequest(f"no computed measure {body.computed}: leds computes {', '.join(COMPUTED)}",
                         field="computed")
    values = body.model_dump()
    values["rag"] = body.rag.value
    values["updated_at"] = now()
    exists = conn.execute(select(office_benefits.c.ref).where(office_benefits.c.ref == body.ref)).first()
    if exists:
        conn.execute(update(office_benefits).where(office_benefits.c.ref == body.ref).values(**values))
    else:
        conn.execute(insert(office_benefits).values(**values))
    return get(conn, body.ref)


def measure(conn: Connection, principal: Principal, benefit_ref: str, body: MeasurementIn) -> dict[str, Any]:
    require(principal, "manage_benefits", "record a benefit measurement")
    _row(conn, benefit_ref)
    conn.execute(insert(office_measurements).values(benefit=benefit_ref, day=body.day, value=body.value,
                                                    source="manual", note=body.note, actor=principal.id))
    return get(conn, benefit_ref)


def refresh(conn: Connection, actor: str) -> list[dict[str, Any]]:
    """Record today's value of every computed measure (one per benefit per day: a second
    refresh on the same day replaces the first)."""
    today = datetime.now(UTC).date().isoformat()
    out = []
    for b in conn.execute(select(office_benefits.c.ref, office_benefits.c.computed)
                          .where(office_benefits.c.computed.is_not(None))):
        value = compute(conn, b.computed)
        if value is None:
            continue
        m = office_measurements.c
        conn.execute(delete(office_measurements).where(m.benefit == b.ref, m.day == today, m.source == "computed"))
        conn.execute(insert(office_measurements).values(benefit=b.ref, day=today, value=value, source="computed",
                                                        note=COMPUTED[b.computed], actor=actor))
        out.append({"ref": b.ref, "measure": b.computed, "day": today, "value": value})
    return out


def _row(conn: Connection, benefit_ref: str) -> Any:
    row = conn.execute(select(office_benefits).where(office_benefits.c.ref == benefit_ref)).first()
    if row is None:
        raise NotFound(f"no benefit {benefit_ref}")
    return row


def _profile(conn: Connection, row: Any) -> dict[str, Any]:
    m = office_measurements.c
    ms = [{"day": x.day, "value": x.value, "source": x.source, "note": x.note}
          for x in conn.execute(select(office_measurements).where(m.benefit == row.ref).order_by(m.day, m.id))]
    latest = ms[-1]["value"] if ms else None
    span = row.target - row.baseline
    progress = round(100.0 * (latest - row.baseline) / span, 1) if latest is not None and span else None
    return {"ref": row.ref, "title": row.title, "rationale": row.rationale, "owner": row.owner,
            "category": row.category, "measure": row.measure, "unit": row.unit, "calculation": row.calculation,
            "baseline": row.baseline, "target": row.target, "stage": row.stage, "rag": row.rag,
            "computed": row.computed, "latest": latest, "progress": progress, "measurements": ms,
            "trend": trend(conn, row.computed)}


def get(conn: Connection, benefit_ref: str) -> dict[str, Any]:
    return _profile(conn, _row(conn, benefit_ref))


def list_benefits(conn: Connection) -> list[dict[str, Any]]:
    return [_profile(conn, r) for r in conn.execute(select(office_benefits).order_by(office_benefits.c.ref))]


# The plan's example profile (Appendix E, BEN_001) and the year-one measures, for a new store.
EXAMPLES: list[dict[str, Any]] = [
    {"ref": "BEN_001", "title": "Increased scale of data sharing", "category": "quantitative",
     "rationale": "Enhanced data sharing across police forces is essential for more effective crime analysis, "
                  "intelligence sharing and collaborative investigations.",
     "owner": "NDAO (Head of Data Sharing QA and support)", "measure": "Number of connected police databases",
     "unit": "systems", "calculation": "Direct count of force systems sending updategrams (leds log).",
     "baseline": 0, "target": 100, "stage": "Year 2 - Ongoing (realised incrementally over time)",
     "rag": "amber", "computed": "datasets_connected"},
    {"ref": "BEN_002", "title": "Forces onboarded to the national data service", "category": "quantitative",
     "rationale": "Every force sending its data makes the national view complete.",
     "owner": "NDAO (Head of National Data)", "measure": "Forces sending updategrams", "unit": "forces",
     "calculation": "Distinct forces in the leds log.", "baseline": 0, "target": 43, "stage": "Year 1",
     "rag": "amber", "computed": "forces_onboarded"},
    {"ref": "BEN_003", "title": "Streamlined access to NDAO services", "category": "quantitative",
     "rationale": "A user-friendly services portal gives easy access to the majority of NDAO resources.",
     "owner": "NDAO (Head of Business Partnering)", "measure": "Key NDAO services accessible through the portal",
     "unit": "%", "calculation": "Key services live or in beta in the catalogue / key services.", "baseline": 0,
     "target": 80, "stage": "Year 1", "rag": "green", "computed": "portal_coverage"},
    {"ref": "BEN_004", "title": "Improved national data quality", "category": "quantitative",
     "rationale": "Decisions are only as good as the data behind them.", "owner": "NDAO (Head of Data Quality)",
     "measure": "Data-quality rules passed nationally", "unit": "%",
     "calculation": "Passed / checked over all rules (leds.quality counters).", "baseline": 80, "target": 95,
     "stage": "Year 2 - Ongoing", "rag": "amber", "computed": "data_quality"},
]


def seed_examples(conn: Connection, principal: Principal) -> int:
    n = 0
    for ex in EXAMPLES:
        if conn.execute(select(office_benefits.c.ref).where(office_benefits.c.ref == ex["ref"])).first() is None:
            save(conn, principal, BenefitIn.model_validate(ex))
            n += 1
    return n
