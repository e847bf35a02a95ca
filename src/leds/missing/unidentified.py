"""Unidentified people (found alive, or remains), matched against live and historic episodes
with tolerance: a wrong "last seen" date (NamUs found a match only because its matching
tolerated one), an approximate age and height.  Every candidate comes with the reasons for
and against it.  Nothing is ever merged: a candidate is a lead for a person to follow up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, select

from leds.access.lookup import Lookup, consulting
from leds.access.policy import authorise, row_predicate
from leds.db.bulk import select_in
from leds.db.engine import write_transaction
from leds.errors import BadRequest, NotFound
from leds.search.tables import search_dobs, search_persons

from .models import UnidentifiedRequest
from .projector import age_at
from .service import LIVE_COLUMNS, episodes_answer, iso, now, parse
from .tables import missing_episodes as E
from .tables import missing_unidentified as U

DATE_TOLERANCE_DAYS = 30  # a last-seen date this far after the find is still considered (it may be wrong)
AGE_TOLERANCE = 5
HEIGHT_TOLERANCE_CM = 10
CANDIDATES = 20
SCAN = 5000


def record(conn: Connection, lookup: Lookup, req: UnidentifiedRequest) -> dict[str, Any]:
    authorise(lookup.principal, "manage_missing", lookup.purpose, lookup.reason, lookup.audit)
    if req.age_min is not None and req.age_max is not None and req.age_min > req.age_max:
        raise BadRequest("the lowest age is above the highest age", field="age_min")
    found = req.found_at if req.found_at.tzinfo else req.found_at.replace(tzinfo=now().tzinfo)
    if found > now() + timedelta(minutes=5):
        raise BadRequest("found_at is in the future", field="found_at")
    if found.year < 1900:
        raise BadRequest("found_at is implausibly early", field="found_at")
    with conn.engine.connect() as w, write_transaction(w):
        uid = w.execute(U.insert().values(
            kind=req.kind, found_at=iso(found), force=lookup.principal.force or "", place=req.place, sex=req.sex,
            age_min=req.age_min, age_max=req.age_max, height_cm=req.height_cm, description=req.description,
            marks=orjson.dumps(req.marks).decode(), recorded_by=lookup.principal.id, recorded_at=iso(now()),
        )).inserted_primary_key[0]  # type: ignore[index]
    return candidates(conn, lookup, int(uid))


def candidates(conn: Connection, lookup: Lookup, uid: int) -> dict[str, Any]:
    """Episodes (live and historic) that could be this unidentified person, best first, each
    with its explanation."""
    authorise(lookup.principal, "view_missing", lookup.purpose, lookup.reason, lookup.audit)
    u = conn.execute(select(U).where(U.c.id == uid)).mappings().first()
    if u is None:
        raise NotFound("no such unidentified person")
    found = parse(u["found_at"])
    assert found is not None
    sp = search_persons.c
    q = (select(*LIVE_COLUMNS, sp.sex, sp.height_cm).select_from(E.outerjoin(search_persons, sp.rkey == E.c.subject))
         .where(row_predicate(lookup.principal, E),
                E.c.reported_at <= iso(found + timedelta(days=DATE_TOLERANCE_DAYS)))
         .order_by(E.c.live.desc(), E.c.reported_at.desc()).limit(SCAN))
    if u["sex"] in ("M", "F"):
        q = q.where((sp.sex == u["sex"]) | sp.sex.is_(None) | sp.sex.in_(("U", "X")))
    if u["height_cm"]:
        h = u["height_cm"]
        q = q.where(sp.height_cm.is_(None) | sp.height_cm.between(h - 2 * HEIGHT_TOLERANCE_CM,
                                                                   h + 2 * HEIGHT_TOLERANCE_CM))
    rows = conn.execute(q).all()
    dobs: dict[str, str] = {}
    for rkey, dob in select_in(conn, search_dobs, ("rkey", "dob"), "rkey", sorted({r.subject for r in rows})):
        dobs.setdefault(rkey, dob)
    scored = []
    for r in rows:
        score, why = _score(u, found, r, dobs.get(r.subject))
        if score > 0:
            scored.append((score, r, why))
    scored.sort(key=lambda t: (-t[0], t[1].rkey))
    top = scored[:CANDIDATES]
    with consulting(lookup, "unidentified candidates", {"unidentified": uid}) as lk:
        answers = {a["episode_id"]: a for a in episodes_answer(conn, lk, [r for _, r, _ in top], "view_missing",
                                                               now())}
    out = [{"score": s, "explanation": why, "episode": answers[r.rkey]} for s, r, why in top if r.rkey in answers]
    return {"id": uid, "kind": u["kind"], "found_at": u["found_at"], "force": u["force"], "candidates": out}


def _score(u: Any, found: Any, r: Any, dob: str | None) -> tuple[float, list[dict[str, Any]]]:
    why: list[dict[str, Any]] = []

    def note(field: str, weight: float, text: str) -> None:
        why.append({"field": field, "weight": weight, "why": text})

    seen = parse(r.last_seen_at or r.reported_at)
    assert seen is not None
    if found >= seen:
        if r.found_at and parse(r.found_at) < found:  # type: ignore[operator]
            note("dates", -1.0, "the episode was closed as found before this person was found")
        else:
            note("dates", 1.0, "found after last seen")
    else:
        note("dates", -0.5, f"found {(seen - found).days} days before the recorded last-seen date: "
                            "within tolerance, the date may be wrong")
    if u["sex"] in ("M", "F"):
        if r.sex == u["sex"]:
            note("sex", 2.0, "same sex")
        else:
            note("sex", 0.0, "sex not recorded on the missing person")
    age = age_at(dob, iso(found)) if dob else None
    if age is not None and (u["age_min"] is not None or u["age_max"] is not None):
        lo = u["age_min"] if u["age_min"] is not None else 0
        hi = u["age_max"] if u["age_max"] is not None else 120
        if lo <= age <= hi:
            note("age", 3.0, f"age {age} at the find is within the estimate {lo}-{hi}")
        elif lo - AGE_TOLERANCE <= age <= hi + AGE_TOLERANCE:
            note("age", 1.0, f"age {age} at the find is within {AGE_TOLERANCE} years of the estimate {lo}-{hi}")
        else:
            note("age", -3.0, f"age {age} at the find is far from the estimate {lo}-{hi}")
    if u["height_cm"] and r.height_cm:
        d = abs(u["height_cm"] - r.height_cm)
        if d <= HEIGHT_TOLERANCE_CM // 2:
            note("height", 2.0, f"height differs by {d} cm")
        elif d <= HEIGHT_TOLERANCE_CM:
            note("height", 1.0, f"height differs by {d} cm (within tolerance)")
        else:
            note("height", -1.0, f"height differs by {d} cm")
    if r.status == "missing":
        note("status", 1.0, "the episode is live")
    return round(sum(w["weight"] for w in why), 2), why
