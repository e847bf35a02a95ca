"""Delivery tracking: objectives by strand with owners, RAG ratings and progress, the risk
register (likelihood x impact, mitigation, owner), and the quarterly report in the delivery
plan's shape (purpose; the risk assessment: how many objectives report little or no risk,
the recurrent risks and their mitigations; then each strand's objectives)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select, update

from leds.access.policy import Principal
from leds.errors import NotFound

from .maturity import now, plain, require
from .models import ObjectiveIn, RiskIn
from .tables import office_objectives, office_risks


def save(conn: Connection, principal: Principal, body: ObjectiveIn) -> dict[str, Any]:
    require(principal, "manage_benefits", "keep delivery objectives")
    values = {**body.model_dump(), "rag": body.rag.value, "updated_at": now()}
    if conn.execute(select(office_objectives.c.ref).where(office_objectives.c.ref == body.ref)).first():
        conn.execute(update(office_objectives).where(office_objectives.c.ref == body.ref).values(**values))
    else:
        conn.execute(insert(office_objectives).values(**values))
    return get(conn, body.ref)


def add_risk(conn: Connection, principal: Principal, body: RiskIn) -> dict[str, Any]:
    require(principal, "manage_benefits", "keep the risk register")
    get(conn, body.objective)
    conn.execute(insert(office_risks).values(**body.model_dump(), updated_at=now()))
    return get(conn, body.objective)


def _risk(r: Any) -> dict[str, Any]:
    score = r.likelihood * r.impact
    return {"id": r.id, "objective": r.objective, "description": r.description, "likelihood": r.likelihood,
            "impact": r.impact, "score": score, "rating": "red" if score >= 15 else "amber" if score >= 8 else "green",
            "mitigation": r.mitigation, "owner": r.owner, "status": r.status}


def get(conn: Connection, ref: str) -> dict[str, Any]:
    row = conn.execute(select(office_objectives).where(office_objectives.c.ref == ref)).first()
    if row is None:
        raise NotFound(f"no objective {ref}")
    risks = [_risk(r) for r in conn.execute(select(office_risks).where(office_risks.c.objective == ref)
                                            .order_by(office_risks.c.id))]
    return {**plain(row), "risks": risks}


def _key(ref: str) -> tuple[int, ...]:
    return tuple(int(x) for x in ref.split("."))


def list_objectives(conn: Connection) -> list[dict[str, Any]]:
    risks: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(select(office_risks).order_by(office_risks.c.id)):
        risks.setdefault(r.objective, []).append(_risk(r))
    rows = [{**plain(o), "risks": risks.get(o.ref, [])} for o in conn.execute(select(office_objectives))]
    return sorted(rows, key=lambda o: _key(o["ref"]))


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarterly_report(conn: Connection, quarter: str | None = None) -> dict[str, Any]:
    quarter = quarter or quarter_of(date.today())
    objs = list_objectives(conn)
    counts = {c: sum(1 for o in objs if o["rag"] == c) for c in ("green", "amber", "red")}
    strands: dict[str, list[dict[str, Any]]] = {}
    for o in objs:
        strands.setdefault(o["strand"], []).append(o)
    flagged = [o for o in objs if o["rag"] != "green"]
    open_risks = [{**r, "objective_title": o["title"]} for o in objs for r in o["risks"] if r["status"] == "open"]
    open_risks.sort(key=lambda r: (-r["score"], _key(r["objective"])))
    md = [f"# Delivery plan: progress update, {quarter}", "", "## 1. Purpose", "",
          f"An update of progress against the delivery plan's objectives in {quarter}, with a summary of risk "
          "and mitigation. The full return and the risk register are in leds (/office/objectives).", "",
          "## 2. Delivery plan risk assessment", "",
          f"- {counts['green']} out of {len(objs)} objectives report little or no overall risk (green); "
          f"{counts['amber']} are amber and {counts['red']} red.", ""]
    if flagged:
        md += ["Objectives with amber or red ratings:", ""]
        md += [f"- ({o['ref']}) {o['title']}: {o['rag'].upper()}. {o['progress']}" for o in flagged]
        md.append("")
    if open_risks:
        md += ["Open risks, highest first, and their mitigations:", ""]
        md += [f"- ({r['objective']}) {r['description']} (likelihood {r['likelihood']}, impact {r['impact']}: "
               f"{r['rating']}). Mitigation: {r['mitigation']} Owner: {r['owner']}." for r in open_risks]
        md.append("")
    for n, (strand, items) in enumerate(strands.items(), 3):
        md += [f"## {n}. {strand}", ""]
        md += [f"- (Objective {o['ref']}) {o['title']} [{o['rag'].upper()}; owner {o['owner']}]. {o['progress']}"
               for o in items]
        md.append("")
    return {"quarter": quarter, "summary": {"objectives": len(objs), **counts, "open_risks": len(open_risks)},
            "strands": [{"strand": s, "objectives": items,
                         "counts": {c: sum(1 for o in items if o["rag"] == c) for c in ("green", "amber", "red")}}
                        for s, items in strands.items()],
            "risks": open_risks, "markdown": "\n".join(md)}


EXAMPLES: list[dict[str, Any]] = [
    {"ref": "1.1", "strand": "Setting up for success", "title": "Launch the services portal",
     "owner": "Head of Business Partnering", "rag": "green", "progress": "The portal is live with six services."},
    {"ref": "1.2", "strand": "Setting up for success", "title": "Run the commissioning process",
     "owner": "Head of Governance", "rag": "green", "progress": "Requests are triaged against the NPM monthly."},
    {"ref": "2.1", "strand": "Improving data culture and literacy", "title": "Second round of maturity assessments",
     "owner": "Head of Data Maturity", "rag": "amber", "progress": "31 of 43 forces have submitted."},
    {"ref": "3.1", "strand": "Enabling access to data", "title": "Onboard every force to the national data service",
     "owner": "Head of National Data", "rag": "red", "progress": "Recruitment of integration staff is behind plan."},
]
EXAMPLE_RISKS: list[dict[str, Any]] = [
    {"objective": "3.1", "description": "Specialist integration staff cannot be recruited in time.",
     "likelihood": 4, "impact": 4, "mitigation": "Prioritise recruitment for critical roles; use interim contractors.",
     "owner": "NDAO Director"},
    {"objective": "2.1", "description": "Forces lack capacity to complete assessments alongside business as usual.",
     "likelihood": 3, "impact": 3, "mitigation": "Business partners support forces through the round.",
     "owner": "Head of Data Maturity"},
]


def seed_examples(conn: Connection, principal: Principal) -> int:
    n = 0
    for ex in EXAMPLES:
        if conn.execute(select(office_objectives.c.ref).where(office_objectives.c.ref == ex["ref"])).first() is None:
            save(conn, principal, ObjectiveIn.model_validate(ex))
            n += 1
    if n:
        for r in EXAMPLE_RISKS:
            add_risk(conn, principal, RiskIn.model_validate(r))
    return n
