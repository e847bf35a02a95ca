"""Person checks and vehicle checks.

Each function takes a connection and a :class:`~leds.access.lookup.Lookup` (who is asking,
for what purpose, and where consultations are audited).  Candidate keys come from the
search indexes and the reference index (keys only, never data); the records themselves
are read once per look-up through :func:`leds.access.policy.read_records`, which
authorises the action, applies the row predicate and the redactions, and audits every
record returned.  A check ends with the single view of the chosen person
(:func:`leds.persons.service.person_summary`); candidates are scored by
:mod:`leds.matching.scoring`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, select, union

from leds.access.lookup import Lookup, consulting
from leds.access.policy import (
    Principal,
    RecordView,
    authorise,
    only_visible,
    read_records,
    references,
)
from leds.db import fast
from leds.errors import BadRequest
from leds.matching.scoring import (
    current_check_model,
    explain,
    fallback_explain,
    probability,
    query_features,
)
from leds.missing.service import missing_for_check
from leds.persons.service import (
    event_entry,
    marker_entry,
    one_hop,
    person_ids,
    person_summary,
    primary_name,
    record_type,
)
from leds.records.models import fact
from leds.search import keys
from leds.search.graph import persons_at, postcodes_of
from leds.search.queries import (
    dob_range,
    name_branches,
    name_dob_clauses,
    name_dob_params,
    name_params,
)
from leds.search.tables import search_dobs, search_names, search_persons, search_vehicles

from .models import PersonQuery, VehicleQuery

CANDIDATE_LIMIT = 200  # person records considered by one check
RESULTS = 10  # candidate persons returned by one check


@lru_cache(maxsize=512)
def _candidates_stmt(shape: frozenset[str]) -> Any:
    """The candidate query of a person check of this shape (cached; values bound per check)."""
    selects: list[Any] = []  # SELECTs and UNIONs of key columns
    if "pnc" in shape:
        selects.append(select(search_persons.c.rkey.label("rkey")).where(search_persons.c.pnc == bindparam("pnc")))
    if "fam" in shape or "fam_like" in shape:
        # One SELECT per branch, not one OR: each branch is then a range of its covering index
        # with the date-of-birth test inside the index, where an OR would read the row of every
        # name in every branch before testing it (John Smith: thousands of rows, not dozens).
        dob = name_dob_clauses(shape)
        branches = [select(search_names.c.rkey.label("rkey")).where(branch, *dob)
                    for branch in name_branches(shape)]
        names = (branches[0] if len(branches) == 1 else union(*branches)).limit(CANDIDATE_LIMIT)
        selects.append(names if not selects else select(names.subquery().c.rkey))
    elif "dob" in shape:
        by_dob = select(search_dobs.c.rkey.label("rkey")).where(search_dobs.c.dob == bindparam("dob")) \
            .limit(CANDIDATE_LIMIT)
        # A LIMIT inside a UNION needs its own subquery (SQLite refuses it otherwise).
        selects.append(by_dob if not selects else select(by_dob.subquery().c.rkey))
    return selects[0] if len(selects) == 1 else union(*selects)


def _person_candidates(conn: Connection, q: PersonQuery, principal: Principal) -> list[str]:
    params: dict[str, str] = {}
    if q.pnc_id:
        params["pnc"] = q.pnc_id
    age_lo, age_hi = dob_range(q.age_from, q.age_to)
    if q.surname:
        params |= name_params(q.surname, q.forename, phonetic=True, nicknames=True)
        params |= name_dob_params(q.dob, age_lo, age_hi)
    elif q.dob:
        params["dob"] = q.dob.isoformat()
    if params:
        stmt = _candidates_stmt(frozenset(params))
        found = list(dict.fromkeys(r[0] for r in fast.rows(conn, stmt, params)))
    elif q.postcode:
        found = list(conn.execute(persons_at(q.postcode, lambda k: only_visible(principal, k))
                                  .limit(CANDIDATE_LIMIT)).scalars())
    else:
        raise BadRequest("give at least a surname, a date of birth, a PNC ID or a postcode", field="surname")
    return found[:CANDIDATE_LIMIT]


def person_check(conn: Connection, lookup: Lookup, q: PersonQuery, person_id: str | None = None) -> dict[str, Any]:
    """Ranked candidate national persons for the query, each with a match confidence and
    an explanation, then the single concise page for the chosen one (the best, unless
    ``person_id`` chooses another)."""
    authorise(lookup.principal, "check", lookup.purpose, lookup.reason, lookup.audit)
    with consulting(lookup, "person check", {"query": q.model_dump(mode="json", exclude_none=True),
                                             "chosen": person_id}) as lk:
        return _person_check(conn, lk, q, person_id)


def _person_check(conn: Connection, lookup: Lookup, q: PersonQuery, person_id: str | None) -> dict[str, Any]:
    from leds.matching.features import person_features

    cands = _person_candidates(conn, q, lookup.principal)
    views = read_records(conn, lookup.principal, lookup.purpose, action="check", reason=lookup.reason,
                         audit=lookup.audit, rkeys=cands, rtype="person", limit=max(len(cands), 1)) if cands else []
    model = current_check_model(conn)
    qf = query_features(q)
    pcs = postcodes_of(conn, [v.rkey for v in views]) if qf["postcode"] else {}
    ids = person_ids(conn, [v.rkey for v in views])
    lo, hi = dob_range(q.age_from, q.age_to)
    # Each candidate is scored; only the best record of each ranked person is explained.
    # pid -> (weight, record, its features, the comparisons' levels)
    best: dict[str, tuple[float, RecordView, dict[str, Any], list[int] | None]] = {}
    by_person: dict[str, list[RecordView]] = defaultdict(list)
    for v in views:
        if v.data is None:
            continue
        if (lo or hi) and not any((not lo or d >= lo) and (not hi or d <= hi) for d in v.data.get("birth_dates") or []):
            continue
        pc = pcs.get(v.rkey)
        rf = person_features(v.rkey, v.force, v.source, v.ref, v.data, (pc, None))
        weight, levels = (model.score_levels(qf, rf) if model is not None
                          else (fallback_explain(qf, rf)["match_weight"], None))
        pid = ids.get(v.rkey, v.rkey)
        by_person[pid].append(v)
        if pid not in best or weight > best[pid][0]:
            best[pid] = (weight, v, rf, levels)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:RESULTS]
    ranked_keys = [v.rkey for pid, _ in ranked for v in by_person[pid]]
    refs_to = references(conn, to=ranked_keys) if ranked_keys else []
    markers, marker_views = _marker_codes(conn, lookup, refs_to)
    candidates = []
    for pid, (weight, v, rf, levels) in ranked:
        exp = explain(model, qf, rf, levels)
        recs = by_person[pid]
        candidates.append({
            "person_id": pid,
            "confidence": round(probability(weight), 6),
            "weight": round(weight, 3) if math.isfinite(weight) else weight,
            "model_version": exp.get("model_version"),
            "explanation": [{"comparison": c["comparison"], "level": c.get("level"),
                             "weight": round(c["match_weight"], 3)} for c in exp["comparisons"]
                            if c["match_weight"]],
            "name": primary_name(v.data),
            "birth_dates": sorted({d for r in recs for d in (r.data or {}).get("birth_dates") or []}),
            "sex": v.data.get("sex") if v.data else None,
            "forces": sorted({r.force for r in recs}),
            "records": len(recs),
            "markers": sorted({m for r in recs for m in markers.get(r.rkey, ())}),
        })
    chosen: str | None = person_id or (str(candidates[0]["person_id"]) if candidates else None)
    known = {v.rkey: v for v in views} | marker_views
    summary = person_summary(conn, lookup, chosen, action="check", known=known,
                             known_refs=(set(ranked_keys), refs_to)) if chosen else None
    missing = missing_for_check(conn, lookup, [r["rkey"] for r in summary["records"]]) if summary else []
    return {"candidates": candidates, "summary": summary, "scored_by": "model" if model else "field agreement",
            "missing": missing}


def _marker_codes(conn: Connection, lookup: Lookup, refs_to: list[tuple[str, str, str]]
                  ) -> tuple[dict[str, set[str]], dict[str, RecordView]]:
    """Marker codes on each person record, for the candidate list, from the reference rows
    that point at those records (keys only; the markers themselves are read through the
    policy), and the markers read."""
    refs = [(k, t) for k, role, t in refs_to if role == "subject"]
    if not refs:
        return {}, {}
    seen = {v.rkey: v for v in read_records(conn, lookup.principal, lookup.purpose, action="check",
                                             reason=lookup.reason, audit=lookup.audit, rkeys=[k for k, _ in refs],
                                             rtype="marker", limit=len(refs))}
    out: dict[str, set[str]] = defaultdict(set)
    for k, t in refs:
        data = seen[k].data if k in seen else None
        if data:
            out[t].add(data.get("code", ""))
    return out, seen


def vehicle_check(conn: Connection, lookup: Lookup, q: VehicleQuery, action: str = "check") -> dict[str, Any]:
    """Vehicles whose VRM matches, exactly or up to the confusable characters, with their
    keepers and users, markers and reports (events), and links to the person summaries.
    ``action``: the access rule the reads are made under (ANPR's analyst page uses ``anpr``)."""
    authorise(lookup.principal, action, lookup.purpose, lookup.reason, lookup.audit)
    with consulting(lookup, "vehicle check", {"query": {"vrm": q.vrm}}) as lk:
        return _vehicle_check(conn, lk, q, action)


_VEHICLES_BY_KEY = (select(search_vehicles.c.rkey, search_vehicles.c.vrm)
                    .where(search_vehicles.c.vrm_key == bindparam("vrm_key")).limit(50))


def _vehicle_check(conn: Connection, lookup: Lookup, q: VehicleQuery, action: str = "check") -> dict[str, Any]:
    vrm = keys.normalise_vrm(q.vrm)
    found = fast.rows(conn, _VEHICLES_BY_KEY, {"vrm_key": keys.vrm_key(vrm)})
    vehicles, others, refs = one_hop(conn, lookup, [r[0] for r in found], action)
    views = {v.rkey: v for v in vehicles}
    ids = person_ids(conn, [t for _, _, t in refs if record_type(t) == "person" and t in others])
    out = []
    for vk, norm in found:
        v = views.get(vk)
        if v is None or v.data is None:
            continue
        entry: dict[str, Any] = {
            "rkey": vk, "vrm": v.data.get("vrm"), "make": v.data.get("make"), "model": v.data.get("model"),
            "colour": v.data.get("colour"), "vin": v.data.get("vin"),
            "match": "exact" if norm == vrm else "confusable",
            "people": [], "markers": [], "reports": [], **fact(v),
        }
        for k, _role, t in refs:
            rec = others[k]
            if t != vk or rec.data is None:
                continue
            d = rec.data
            if rec.rtype == "marker":
                entry["markers"].append(marker_entry(rec, d))
                continue
            for lk, _, other in refs:
                end = others.get(other)
                if lk != k or other == vk or end is None or end.data is None:
                    continue
                if end.rtype == "person":
                    entry["people"].append({"role": d.get("role"), "person_id": ids.get(other, other),
                                            "name": primary_name(end.data),
                                            "birth_dates": end.data.get("birth_dates"),
                                            **fact(end, d.get("valid_from"))})
                elif end.rtype == "event":
                    entry["reports"].append(event_entry(end, end.data, d.get("role")))
        entry["reports"].sort(key=lambda e: str(e.get("occurred_at") or ""), reverse=True)
        out.append(entry)
    out.sort(key=lambda e: (e["match"] != "exact", e["vrm"] or ""))
    people = sorted({p["rkey"] for e in out for p in e["people"]})
    missing = missing_for_check(conn, lookup, people, "vehicle_check") if action == "check" else []
    return {"query": q.vrm, "normalised": vrm, "vehicles": out, "missing": missing}


__all__ = ["person_check", "vehicle_check"]
