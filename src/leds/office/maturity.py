"""Maturity assessments: frameworks as versioned data, rounds completed per force with evidence
for each level claimed, targets per force and topic, and the national dashboard.

The dashboard has no single index, by design (as the CDDO's assessment): it shows levels per
topic and theme.  Its figures, all from each force's *latest submitted* round (rounds ordered
by label) and the one before it:

* a cell of a force's heat map is the mean level of its answers in that topic and theme; the
  national cell is the mean of the forces' cells;
* a force's level in a topic is the floor of its mean level there (a level is reached when
  reached on average); the spread counts forces per topic and level;
* the change is a force's topic mean minus its topic mean in its previous round; nationally,
  the mean change over the forces that have two rounds;
* the gap is a target's level minus the force's topic mean (0 once met);
* similar forces are the three nearest by the distance between their topic means.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from leds.access.policy import Principal
from leds.db.engine import write_transaction
from leds.errors import BadRequest, Conflict, Forbidden, NotFound
from leds.standard.codes import FORCES

from .frameworks import BUILTIN
from .models import Answer, Assessment, Framework, Target
from .tables import office_answers, office_frameworks, office_rounds, office_targets


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that will write (on SQLite it takes the write lock at the
    start, so that concurrent writers queue instead of failing on a lock upgrade)."""
    with engine.connect() as conn, write_transaction(conn):
        yield conn


def plain(row: Any) -> dict[str, Any]:
    """A row as a dict with plain ``str`` keys (SQLAlchemy's are a str subclass, which orjson
    refuses as keys)."""
    return {str(k): v for k, v in row._mapping.items()}


def may(principal: Principal, action: str) -> bool:
    return principal.is_system or action in principal.actions()


def require(principal: Principal, action: str, what: str) -> None:
    if not may(principal, action):
        raise Forbidden(f"only a role with {action} may {what} (see the rule table)")


def may_assess(principal: Principal, force: str) -> None:
    """A force data manager completes their own force's round; the data office any force's."""
    require(principal, "assess_maturity", "complete a maturity round")
    if principal.is_system or "national_data_office_analyst" in principal.roles or principal.force == force:
        return
    raise Forbidden(f"you may complete a maturity round only for your own force ({principal.force})")


# -- frameworks -------------------------------------------------------------------------------
def _check_framework(fw: Framework) -> None:
    topics, themes = {t.id for t in fw.topics}, {t.id for t in fw.themes}
    levels = [s.level for s in fw.scale]
    if levels != sorted(set(levels)):
        raise BadRequest("the scale's levels must be distinct and in order", field="scale")
    seen: set[str] = set()
    for q in fw.questions:
        if q.id in seen:
            raise BadRequest(f"question {q.id} appears twice", field="questions")
        seen.add(q.id)
        if q.topic not in topics or q.theme not in themes:
            raise BadRequest(f"question {q.id} names a topic or theme the framework does not have",
                             field="questions")
        for k in q.levels:
            if not k.isdigit() or int(k) not in levels:
                raise BadRequest(f"question {q.id} describes level {k}, which is not on the scale", field="questions")


def parse_framework(body: dict[str, Any]) -> Framework:
    try:
        fw = Framework.model_validate(body)
    except ValidationError as e:
        raise BadRequest(f"not a framework: {e.errors()[0]['msg']} at {e.errors()[0]['loc']}") from None
    _check_framework(fw)
    return fw


def list_frameworks(conn: Connection) -> list[dict[str, Any]]:
    out = [{"id": f["id"], "version": f["version"], "title": f["title"], "questions": len(f["questions"]),
            "builtin": True} for f in BUILTIN.values()]
    for row in conn.execute(select(office_frameworks).order_by(office_frameworks.c.id, office_frameworks.c.version)):
        out.append({"id": row.id, "version": row.version, "title": row.title,
                    "questions": len(json.loads(row.body)["questions"]), "builtin": False})
    return out


def get_framework(conn: Connection, framework_id: str, version: int | None = None) -> Framework:
    """The framework at ``version``, or its latest version."""
    q = select(office_frameworks.c.version, office_frameworks.c.body).where(office_frameworks.c.id == framework_id)
    if version is not None:
        q = q.where(office_frameworks.c.version == version)
    row = conn.execute(q.order_by(office_frameworks.c.version.desc()).limit(1)).first()
    if row is not None:
        return Framework.model_validate_json(row.body)
    fw = BUILTIN.get(framework_id)
    if fw is not None and version in (None, fw["version"]):
        return Framework.model_validate(fw)
    raise NotFound(f"no framework {framework_id}" + (f" version {version}" if version else ""))


def save_framework(conn: Connection, principal: Principal, body: dict[str, Any]) -> Framework:
    require(principal, "manage_benefits", "publish a maturity framework")
    fw = parse_framework(body)
    builtin = BUILTIN.get(fw.id)
    taken = conn.execute(select(func.count()).select_from(office_frameworks).where(
        office_frameworks.c.id == fw.id, office_frameworks.c.version == fw.version)).scalar_one()
    if taken or (builtin and builtin["version"] >= fw.version):
        raise Conflict(f"{fw.id} version {fw.version} exists: publish a new version")
    conn.execute(insert(office_frameworks).values(id=fw.id, version=fw.version, title=fw.title,
                                                  body=fw.model_dump_json(), created_at=now()))
    return fw


# -- rounds -----------------------------------------------------------------------------------
def _round_row(conn: Connection, framework_id: str, force: str, label: str) -> Any:
    r = office_rounds.c
    return conn.execute(select(office_rounds).where(r.framework_id == framework_id, r.force == force,
                                                    r.label == label)).first()


def _check_answer(fw: Framework, a: Answer) -> None:
    questions = {q.id for q in fw.questions}
    levels = [s.level for s in fw.scale]
    if a.question not in questions:
        raise NotFound(f"{fw.id} has no question {a.question}", field="answers")
    if a.level not in levels:
        raise Conflict(f"level {a.level} is outside {fw.id}'s scale ({levels[0]}-{levels[-1]})", field="answers")
    if a.level > 0 and not (a.evidence.strip() or a.link):
        raise BadRequest(f"{a.question}: level {a.level} is claimed without evidence: give a note or a link",
                         field="answers")


def save_round(conn: Connection, principal: Principal, body: Assessment) -> dict[str, Any]:
    """Record answers in a force's round (created as a draft if new); ``submit`` closes it."""
    if body.force not in FORCES:
        raise BadRequest(f"no force {body.force}", field="force")
    may_assess(principal, body.force)
    fw = get_framework(conn, body.framework, body.framework_version)
    for a in body.answers:
        _check_answer(fw, a)
    row = _round_row(conn, fw.id, body.force, body.label)
    if row is None:
        rid = conn.execute(insert(office_rounds).values(
            framework_id=fw.id, framework_version=fw.version, force=body.force, label=body.label, status="draft",
            started_at=now(), started_by=principal.id).returning(office_rounds.c.id)).scalar_one()
    elif row.status == "submitted":
        raise Conflict(f"{body.force}'s round {body.label} was submitted on {row.submitted_at}: start a new round")
    else:
        rid = row.id
        fw = get_framework(conn, fw.id, row.framework_version)
    for a in body.answers:
        conn.execute(delete(office_answers).where(office_answers.c.round_id == rid,
                                                  office_answers.c.question == a.question))
        conn.execute(insert(office_answers).values(round_id=rid, question=a.question, level=a.level,
                                                   evidence=a.evidence.strip(), link=a.link,
                                                   answered_by=principal.id, answered_at=now()))
    if body.submit:
        answered = {q for (q,) in conn.execute(select(office_answers.c.question)
                                               .where(office_answers.c.round_id == rid))}
        missing = [q.id for q in fw.questions if q.id not in answered]
        if missing:
            raise Conflict(f"the round cannot be submitted: {len(missing)} questions unanswered "
                             f"({', '.join(missing[:5])})", field="answers")
        conn.execute(update(office_rounds).where(office_rounds.c.id == rid).values(
            status="submitted", submitted_at=now(), submitted_by=principal.id))
    return get_round(conn, int(rid))


def get_round(conn: Connection, round_id: int) -> dict[str, Any]:
    row = conn.execute(select(office_rounds).where(office_rounds.c.id == round_id)).first()
    if row is None:
        raise NotFound(f"no round {round_id}")
    fw = get_framework(conn, row.framework_id, row.framework_version)
    answers = [{"question": a.question, "level": a.level, "evidence": a.evidence, "link": a.link}
               for a in conn.execute(select(office_answers).where(office_answers.c.round_id == round_id)
                                     .order_by(office_answers.c.question))]
    return {"id": row.id, "framework": row.framework_id, "framework_version": row.framework_version,
            "force": row.force, "label": row.label, "status": row.status, "started_at": row.started_at,
            "submitted_at": row.submitted_at, "answered": len(answers), "questions": len(fw.questions),
            "answers": answers}


def list_rounds(conn: Connection, *, force: str | None = None, framework: str | None = None) -> list[dict[str, Any]]:
    r = office_rounds.c
    q = select(r.id, r.framework_id, r.framework_version, r.force, r.label, r.status, r.submitted_at)
    if force:
        q = q.where(r.force == force)
    if framework:
        q = q.where(r.framework_id == framework)
    return [plain(x) for x in conn.execute(q.order_by(r.force, r.framework_id, r.label))]


# -- targets ----------------------------------------------------------------------------------
def set_target(conn: Connection, principal: Principal, t: Target) -> dict[str, Any]:
    if not may(principal, "manage_benefits"):
        may_assess(principal, t.force)
    fw = get_framework(conn, t.framework)
    if t.topic not in {x.id for x in fw.topics}:
        raise NotFound(f"{fw.id} has no topic {t.topic}", field="topic")
    if t.level not in {s.level for s in fw.scale}:
        raise Conflict(f"level {t.level} is outside {fw.id}'s scale", field="level")
    if t.force not in FORCES:
        raise BadRequest(f"no force {t.force}", field="force")
    tc = office_targets.c
    conn.execute(delete(office_targets).where(tc.framework_id == t.framework, tc.force == t.force,
                                              tc.topic == t.topic))
    conn.execute(insert(office_targets).values(framework_id=t.framework, force=t.force, topic=t.topic,
                                               level=t.level, by_date=t.by_date, set_by=principal.id))
    return t.model_dump()


def list_targets(conn: Connection, framework: str, force: str | None = None) -> list[dict[str, Any]]:
    tc = office_targets.c
    q = select(tc.framework_id, tc.force, tc.topic, tc.level, tc.by_date).where(tc.framework_id == framework)
    if force:
        q = q.where(tc.force == force)
    return [{"framework": r.framework_id, "force": r.force, "topic": r.topic, "level": r.level,
             "by_date": r.by_date} for r in conn.execute(q.order_by(tc.force, tc.topic))]


# -- the national dashboard -------------------------------------------------------------------
def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 2) if xs else None


def _profiles(fw: Framework, levels: dict[str, int]) -> tuple[dict[str, dict[str, float | None]],
                                                            dict[str, float | None]]:
    """A round's heat map (topic -> theme -> mean level) and topic means."""
    cells: dict[tuple[str, str], list[float]] = defaultdict(list)
    topics: dict[str, list[float]] = defaultdict(list)
    for q in fw.questions:
        if q.id in levels:
            cells[(q.topic, q.theme)].append(levels[q.id])
            topics[q.topic].append(levels[q.id])
    heat = {t.id: {th.id: _mean(cells.get((t.id, th.id), [])) for th in fw.themes} for t in fw.topics}
    return heat, {t.id: _mean(topics.get(t.id, [])) for t in fw.topics}


def dashboard(conn: Connection, framework_id: str, version: int | None = None) -> dict[str, Any]:
    fw = get_framework(conn, framework_id, version)
    r = office_rounds.c
    rounds = conn.execute(select(r.id, r.force, r.label).where(r.framework_id == fw.id, r.status == "submitted")
                          .order_by(r.force, r.label)).all()
    latest: dict[str, int] = {}
    previous: dict[str, int] = {}
    labels: dict[int, str] = {}
    for rid, force, label in rounds:
        if force in latest:
            previous[force] = latest[force]
        latest[force] = rid
        labels[rid] = label
    wanted = list(latest.values()) + list(previous.values())
    levels: dict[int, dict[str, int]] = defaultdict(dict)
    if wanted:
        a = office_answers.c
        for rid, question, level in conn.execute(select(a.round_id, a.question, a.level)
                                                 .where(a.round_id.in_(wanted))):
            levels[rid][question] = level
    forces = sorted(latest)
    by_force: dict[str, Any] = {}
    for f in forces:
        heat, topic_means = _profiles(fw, levels[latest[f]])
        entry: dict[str, Any] = {"round": labels[latest[f]], "heat": heat, "topics": topic_means,
                                 "levels": {t: (math.floor(v) if v is not None else None)
                                            for t, v in topic_means.items()},
                                 "previous_round": None, "change": {}}
        if f in previous:
            _, before = _profiles(fw, levels[previous[f]])
            entry["previous_round"] = labels[previous[f]]
            entry["change"] = {t: (round(v - b, 2) if v is not None and (b := before.get(t)) is not None else None)
                               for t, v in topic_means.items()}
        by_force[f] = entry
    topic_ids, theme_ids = [t.id for t in fw.topics], [t.id for t in fw.themes]
    national_heat = {t: {th: _mean([x for f in forces if (x := by_force[f]["heat"][t][th]) is not None])
                         for th in theme_ids} for t in topic_ids}
    national_topics = {t: _mean([x for f in forces if (x := by_force[f]["topics"][t]) is not None])
                       for t in topic_ids}
    spread = {t: {str(s.level): sum(1 for f in forces if by_force[f]["levels"][t] == s.level) for s in fw.scale}
              for t in topic_ids}
    twice = [f for f in forces if by_force[f]["previous_round"] is not None]
    change = {"forces_with_two_rounds": len(twice),
              "topics": {t: _mean([x for f in twice if (x := by_force[f]["change"].get(t)) is not None])
                         for t in topic_ids},
              "improved": {t: sum(1 for f in twice if (by_force[f]["change"].get(t) or 0) > 0) for t in topic_ids},
              "declined": {t: sum(1 for f in twice if (by_force[f]["change"].get(t) or 0) < 0) for t in topic_ids}}
    gaps = []
    for tg in list_targets(conn, fw.id):
        current = by_force.get(tg["force"], {}).get("topics", {}).get(tg["topic"])
        gap = None if current is None else round(max(0.0, tg["level"] - current), 2)
        gaps.append({**tg, "current": current, "gap": gap, "met": gap == 0})
    return {"framework": fw.id, "version": fw.version, "scale": [s.model_dump() for s in fw.scale],
            "topics": [t.model_dump() for t in fw.topics], "themes": [t.model_dump() for t in fw.themes],
            "forces": forces, "national": {"heat": national_heat, "topics": national_topics},
            "by_force": by_force, "spread": spread, "change": change, "gaps": gaps,
            "similar": similar_forces(by_force, topic_ids)}


def similar_forces(by_force: dict[str, Any], topic_ids: list[str], k: int = 3) -> dict[str, list[dict[str, Any]]]:
    """Each force's ``k`` nearest forces by the Euclidean distance between topic means (topics
    either force has not answered are left out of that pair's distance)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for f, e in by_force.items():
        near = []
        for g, o in by_force.items():
            if g == f:
                continue
            pairs = [(e["topics"][t], o["topics"][t]) for t in topic_ids
                     if e["topics"][t] is not None and o["topics"][t] is not None]
            if pairs:
                near.append((round(math.sqrt(sum((x - y) ** 2 for x, y in pairs)), 2), g))
        out[f] = [{"force": g, "distance": d} for d, g in sorted(near)[:k]]
    return out


# -- JSON Schemas ----------------------------------------------------------------------------
def schemas() -> dict[str, dict[str, Any]]:
    """The published JSON Schemas: a framework, and an assessment (a round's file)."""
    return {"framework": Framework.model_json_schema(), "assessment": Assessment.model_json_schema()}


def import_round(conn: Connection, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """``leds maturity import FILE.json``: one round, checked as the API checks it."""
    try:
        a = Assessment.model_validate(body)
    except ValidationError as e:
        err = e.errors()[0]
        raise BadRequest(f"not an assessment: {err['msg']} at {'.'.join(map(str, err['loc']))}") from None
    return save_round(conn, principal, a)
