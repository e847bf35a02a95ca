"""Person checks, vehicle checks, descriptive search, the person view and the record view.

Each function takes a connection and a :class:`Lookup` (who is asking, for what purpose,
and where consultations are audited).  Candidate keys come from the search indexes and
the reference index (keys only, never data); the records themselves are read once per
look-up through :func:`leds.access.policy.read_records`, which authorises the action,
applies the row predicate and the redactions, and audits every record returned.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from dataclasses import asdict
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    union,
    union_all,
)

from leds.access.lookup import Lookup
from leds.access.lookup import consulting as _consulting
from leds.access.policy import (
    Principal,
    RecordView,
    authorise,
    only_visible,
    read_records,
    record_history,
    references,
    visible_keys,
)
from leds.db import fast
from leds.matching.names import GIVEN_NAME_GROUPS, fold, fold_surname, given_groups
from leds.search import keys
from leds.search.graph import linked_from, persons_at, postcodes_of
from leds.search.tables import (
    FAMILY3,
    search_dobs,
    search_names,
    search_persons,
    search_text,
    search_vehicles,
)
from leds.standard.codes import MARKERS
from leds.standard.validators import today

from .models import PersonQuery, SearchQuery, VehicleQuery

CANDIDATE_LIMIT = 200  # person records considered by one check
RESULTS = 10  # candidate persons returned by one check
RECENT_EVENTS = 10


class CheckError(ValueError):
    """A query that cannot be answered as asked; names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(LookupError):
    """No such person or record, or not one the caller may see (the same answer for both)."""


# -- small helpers ------------------------------------------------------------------------
def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def dob_range(age_from: int | None, age_to: int | None) -> tuple[str | None, str | None]:
    """Dates of birth of people aged age_from..age_to today (inclusive)."""
    t = today()
    hi = _years_before(t, age_from).isoformat() if age_from is not None else None
    lo = (_years_before(t, age_to + 1) + timedelta(days=1)).isoformat() if age_to is not None else None
    return lo, hi


def _fact(v: RecordView, when: Any = None) -> dict[str, Any]:
    return {"force": v.force, "source": v.source, "rkey": v.rkey, "date": str(when or v.issued_at)[:10]}


def _name_text(n: dict[str, Any]) -> str:
    return " ".join([*(n.get("given") or []), n.get("family") or ""]).strip()


def _primary_name(data: dict[str, Any] | None) -> str:
    names = (data or {}).get("names") or []
    primary = next((n for n in names if n.get("kind", "primary") == "primary"), names[0] if names else {})
    return _name_text(primary)


def _rtype(rkey: str) -> str:
    return rkey.split("|", 3)[2] if rkey.count("|") >= 3 else ""


def _assignments(conn: Connection, rkeys: list[str]) -> dict[str, str]:
    from leds.matching.store import assignments

    return assignments(conn, rkeys) if rkeys else {}


def members(conn: Connection, person_id: str) -> list[str]:
    """The person records of a national person id; a person record key stands for itself
    (a record that has no national id yet)."""
    from leds.matching.store import members_of

    if person_id.startswith("NP-"):
        return members_of(conn, person_id)
    if _rtype(person_id) == "person":
        return [person_id]
    return []


# -- scoring candidates -----------------------------------------------------------------
_VERSION_CACHE: dict[str, tuple[float, int | None]] = {}
VERSION_TTL_S = 5.0  # a newly trained model is used by checks within this many seconds


def current_check_model(conn: Connection) -> Any:
    """The matching model checks score with (None before the first ``leds match``); which
    version is current is looked up at most every VERSION_TTL_S seconds (checks are a hot
    path), the parsed model is matching's own cache.  ``leds serve`` calls it at start-up."""
    from leds.matching.store import cached_model, current_model_version

    url = str(conn.engine.url)
    seen = _VERSION_CACHE.get(url)
    if seen is None or time.monotonic() - seen[0] > VERSION_TTL_S:
        seen = (time.monotonic(), current_model_version(conn))
        _VERSION_CACHE[url] = seen
    return cached_model(conn, seen[1]) if seen[1] is not None else None


def _query_features(q: PersonQuery) -> dict[str, Any]:
    from leds.matching.features import person_features

    data: dict[str, Any] = {"names": [{"given": [q.forename] if q.forename else [],
                                       "family": (q.surname or "").replace("*", "").replace("?", "")}]}
    if q.dob:
        data["birth_dates"] = [q.dob.isoformat()]
    if q.sex:
        data["sex"] = q.sex
    if q.pnc_id:
        data["pnc_id"] = q.pnc_id
    pc = q.postcode if q.postcode and len(q.postcode) > 4 else None
    return person_features("query", "", "", "", data, (pc, None))


def _fallback_explain(qf: dict[str, Any], rf: dict[str, Any]) -> dict[str, Any]:
    """Without a trained model: agreement on each field, with fixed weights (in bits) that
    say how much rarer such an agreement is by chance.  Shown as such to the user."""
    rows: list[dict[str, Any]] = []

    def add(comparison: str, level: str, weight: float) -> None:
        rows.append({"comparison": comparison, "level": level, "match_weight": weight})

    if qf["pnc"] and rf["pnc"]:
        add("pnc", "exact" if qf["pnc"] == rf["pnc"] else "different", 20.0 if qf["pnc"] == rf["pnc"] else -10.0)
    if qf["sn"] and rf["sn"]:
        same = qf["sn"] == rf["sn"] or qf["sn"] in (rf["family_all"] or [])
        sounds = keys.phonetic(qf["sn"]) == keys.phonetic(rf["sn"])
        add("surname", "exact" if same else "sounds alike" if sounds else "different",
            8.0 if same else 4.0 if sounds else -4.0)
    if qf["fn"] and rf["fn"]:
        same = qf["fn"] == rf["fn"] or qf["fn"] in (rf["given_all"] or [])
        nick = bool(set(qf["fn_groups"] or []) & set(rf["fn_groups"] or []))
        add("forename", "exact" if same else "nickname" if nick else "different",
            6.0 if same else 4.0 if nick else -3.0)
    if qf["dob"] and rf["dobs"]:
        exact = qf["dob"] in rf["dobs"]
        year = any(abs(int(d[:4]) - qf["dob_y"]) <= 1 for d in rf["dobs"])
        add("dob", "exact" if exact else "within a year" if year else "different",
            10.0 if exact else 2.0 if year else -8.0)
    if qf["sex"] and rf["sex"]:
        add("sex", "exact" if qf["sex"] == rf["sex"] else "different", 1.0 if qf["sex"] == rf["sex"] else -6.0)
    if qf["postcode"] and rf["postcode"]:
        add("address", "same postcode" if qf["postcode"] == rf["postcode"] else "different",
            6.0 if qf["postcode"] == rf["postcode"] else 0.0)
    total = float(sum(r["match_weight"] for r in rows))  # type: ignore[misc]
    return {"comparisons": rows, "match_weight": total, "model_version": None}


def _probability(weight: float) -> float:
    return 1.0 / (1.0 + 2.0 ** -weight) if weight > -60 else 0.0


def _explain(model: Any, qf: dict[str, Any], rf: dict[str, Any], levels: list[int] | None = None) -> dict[str, Any]:
    if model is None:
        return _fallback_explain(qf, rf)
    return model.explain(qf, rf, levels)  # type: ignore[no-any-return]


# -- candidate keys -----------------------------------------------------------------------
def _given_alternatives(fn: str) -> list[str]:
    """A folded given name and every name in its nickname / short-form groups (the
    matcher's curated table and its folded index)."""
    return sorted({fn, *(fold(n) for g in given_groups(fn) for n in GIVEN_NAME_GROUPS[g])})


def _prefix_range(pat: str) -> tuple[str, str] | None:
    """The literal prefix of a LIKE pattern as a [lo, hi) range, or None if it starts with
    a wildcard: the folded names are lower-case letters, so the range can use the column's
    index (SQLite's LIKE is case-insensitive and would otherwise scan)."""
    prefix = pat.split("%", 1)[0].split("_", 1)[0]
    return (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)) if prefix else None


def _term(value: str | None, field: str, folder: Any) -> tuple[str | None, str | None]:
    """(folded exact term, None) or (None, LIKE pattern) for a name field; (None, None) if empty."""
    if not value:
        return None, None
    pat, wild = keys.pattern(value)
    if wild:
        return None, pat
    folded = folder(value)
    if not folded:
        raise CheckError(field, f"a {field} needs at least one letter")
    return folded, None


# A name query is compiled once per *shape* (which terms it has, how many accepted given
# names) and cached; each look-up binds its own values.  The shape is the set of parameter
# names, so the values and the statement cannot disagree.
def _name_params(surname: str | None, forename: str | None, *, phonetic: bool, nicknames: bool) -> dict[str, str]:
    """The bound values of a name query: ``fam`` (exact) or ``fam_like`` (+ ``fam_lo``/``fam_hi``
    when the pattern has a literal prefix); ``fn0``.. (each accepted given name, with its
    ``_hi`` bound) or ``fn_like``; ``fam_ph``/``fn_ph`` for the same sound."""
    fam, fam_pat = _term(surname, "surname", fold_surname)
    fn, fn_pat = _term(forename, "forename", fold)
    p: dict[str, str] = {}
    if fam_pat:
        p["fam_like"] = fam_pat
        rng = _prefix_range(fam_pat)
        if rng:
            p["fam_lo"], p["fam_hi"] = rng
    elif fam:
        p["fam"] = fam
    if fn:
        for i, n in enumerate(_given_alternatives(fn) if nicknames else [fn]):
            # The first given name is n: the folded given names start with it, then end or go
            # on after a space (a range on the (family, given) index, not a LIKE).
            p[f"fn{i}"], p[f"fn{i}_hi"] = n, n + " \x7f"
    elif fn_pat:
        p["fn_like"], p["fn_like_later"] = fn_pat, f"% {fn_pat}"
        rng = _prefix_range(fn_pat)
        if rng:
            p["fn_lo"], p["fn_hi"] = rng
    if phonetic and not fam_pat and (fam or fn):
        if fam:
            p["fam_ph"] = keys.phonetic(fam)
        if fn:
            p["fn_ph"] = keys.phonetic(fn)
    return p


@lru_cache(maxsize=512)
def _name_clause(shape: frozenset[str]) -> Any:
    """Rows of ``search_names`` for the name query of this shape (see :func:`_name_params`),
    as an OR of :func:`_name_branches`."""
    return or_(*_name_branches(shape))


def _name_branches(shape: frozenset[str]) -> list[Any]:
    """The index-shaped branches of a name query: exact family with each accepted given
    name; the same sound (phonetic); or wildcard patterns (a range on the literal prefix,
    then LIKE)."""
    n = search_names.c
    sn, gv = n.family, n.given
    b = bindparam

    def like(col: Any, name: str) -> Any:
        cond = col.like(b(f"{name}_like"))
        return and_(col >= b(f"{name}_lo"), col < b(f"{name}_hi"), cond) if f"{name}_lo" in shape else cond

    def given_is(i: int) -> Any:
        return and_(gv >= b(f"fn{i}"), gv <= b(f"fn{i}_hi"))

    names = sorted(int(k[2:]) for k in shape if k.startswith("fn") and k[2:].isdigit())
    given: Any = None
    if names:
        given = or_(*[given_is(i) for i in names])
    elif "fn_like" in shape:
        given = or_(like(gv, "fn"), gv.like(b("fn_like_later")))
    if "fam_like" in shape:
        return [and_(like(sn, "fam"), given) if given is not None else like(sn, "fam")]
    branches = []
    if "fam" in shape and names:
        # One branch per accepted given name, so each is a single range on the (family, given) index.
        branches += [and_(sn == b("fam"), given_is(i)) for i in names]
    elif "fam" in shape:
        branches.append(and_(sn == b("fam"), given) if given is not None else sn == b("fam"))
    elif given is not None:
        branches.append(given)
    ph = [c for c in ((n.family_ph == b("fam_ph")) if "fam_ph" in shape else None,
                      (n.given_ph == b("fn_ph")) if "fn_ph" in shape else None) if c is not None]
    if ph:
        branches.append(and_(*ph))
    return branches


def _has_dob(rkey: Any, *conds: Any) -> Any:
    """A date of birth of the record ``rkey`` (a correlated column) meets ``conds``: one
    primary-key probe per candidate, never a scan of every date of birth."""
    return exists().where(search_dobs.c.rkey == rkey, *conds)


def _dob_bounds(lo: Any, hi: Any, first: Any = search_dobs.c.dob, last: Any = None) -> list[Any]:
    """``last >= lo`` and ``first <= hi`` (``last`` defaults to ``first``), leaving out an
    open end (None): a date column between two bounds, or a range of dates that reaches
    into them.  The bounds are values or bound parameters."""
    last = first if last is None else last
    return [c for c in ((last >= lo) if lo is not None else None, (first <= hi) if hi is not None else None)
            if c is not None]


def _dob_between(rkey: Any, lo: str | None, hi: str | None) -> Any:
    return _has_dob(rkey, *_dob_bounds(lo, hi))


def _name_dob_parts(one: Any, several: Any) -> tuple[Any, Any]:
    """A date of birth of a ``search_names`` row's record meets a condition, from the row's
    earliest and latest date of birth, as two conditions, for records with one date of birth
    and for records with several: ``one(column)`` is the condition on a single date (decided
    in the index, as most records have one date of birth); a record with several is narrowed
    by ``several(dob_lo, dob_hi)``, then probed (one primary-key look-up)."""
    n = search_names.c
    return (and_(n.dob_lo == n.dob_hi, one(n.dob_lo)),
            and_(n.dob_lo != n.dob_hi, several(n.dob_lo, n.dob_hi), _has_dob(n.rkey, one(search_dobs.c.dob))))


def _name_dob(one: Any, several: Any) -> Any:
    """:func:`_name_dob_parts`, either one."""
    return or_(*_name_dob_parts(one, several))


def _name_dob_between_parts(lo: Any, hi: Any) -> tuple[Any, Any]:
    """Any date of birth between lo and hi (values or bound parameters; None for open), as
    the two conditions of :func:`_name_dob_parts`."""
    return _name_dob_parts(lambda col: and_(*_dob_bounds(lo, hi, col)),
                           lambda first, last: and_(*_dob_bounds(lo, hi, first, last)))


def _name_dob_between(lo: Any, hi: Any) -> Any:
    """Any date of birth between lo and hi (values or bound parameters; None for open)."""
    return or_(*_name_dob_between_parts(lo, hi))


def _name_dob_params(dob: date | None, age_lo: str | None, age_hi: str | None) -> dict[str, str]:
    """Bound values of the date-of-birth conditions on name rows: near ``dob`` (a year
    either way, or day and month swapped), and within the age range."""
    p: dict[str, str] = {}
    if dob is not None:
        p["near_first"], p["near_last"] = _years_before(dob, 1).isoformat(), _years_before(dob, -1).isoformat()
        if dob.day <= 12 and dob.day != dob.month:
            p["near_swapped"] = date(dob.year, dob.day, dob.month).isoformat()
        p["near_min"] = min(p["near_first"], p.get("near_swapped", p["near_first"]))
        p["near_max"] = max(p["near_last"], p.get("near_swapped", p["near_last"]))
    if age_lo:
        p["age_lo"] = age_lo
    if age_hi:
        p["age_hi"] = age_hi
    return p


def _name_dob_clauses(shape: frozenset[str]) -> list[Any]:
    b = bindparam
    out: list[Any] = []
    if "near_first" in shape:
        def near(col: Any) -> Any:
            return or_(col.between(b("near_first"), b("near_last")),
                       *([col == b("near_swapped")] if "near_swapped" in shape else []))

        def near_some(lo: Any, hi: Any) -> Any:
            return and_(hi >= b("near_min"), lo <= b("near_max"))

        # Near the given date of birth, or none recorded.
        out.append(or_(search_names.c.dob_lo.is_(None), _name_dob(near, near_some)))
    if "age_lo" in shape or "age_hi" in shape:
        out.append(_name_dob_between(b("age_lo") if "age_lo" in shape else None,
                                     b("age_hi") if "age_hi" in shape else None))
    return out


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
        dob = _name_dob_clauses(shape)
        branches = [select(search_names.c.rkey.label("rkey")).where(branch, *dob)
                    for branch in _name_branches(shape)]
        names = (branches[0] if len(branches) == 1 else union(*branches)).limit(CANDIDATE_LIMIT)
        selects.append(names if not selects else select(names.subquery().c.rkey))
    elif "dob" in shape:
        selects.append(select(search_dobs.c.rkey.label("rkey")).where(search_dobs.c.dob == bindparam("dob"))
                       .limit(CANDIDATE_LIMIT))
    return selects[0] if len(selects) == 1 else union(*selects)


def _person_candidates(conn: Connection, q: PersonQuery, principal: Principal) -> list[str]:
    params: dict[str, str] = {}
    if q.pnc_id:
        params["pnc"] = q.pnc_id
    age_lo, age_hi = dob_range(q.age_from, q.age_to)
    if q.surname:
        params |= _name_params(q.surname, q.forename, phonetic=True, nicknames=True)
        params |= _name_dob_params(q.dob, age_lo, age_hi)
    elif q.dob:
        params["dob"] = q.dob.isoformat()
    if params:
        stmt = _candidates_stmt(frozenset(params))
        found = list(dict.fromkeys(r[0] for r in fast.rows(conn, stmt, params)))
    elif q.postcode:
        found = list(conn.execute(persons_at(q.postcode, lambda k: only_visible(principal, k))
                                  .limit(CANDIDATE_LIMIT)).scalars())
    else:
        raise CheckError("surname", "give at least a surname, a date of birth, a PNC ID or a postcode")
    return found[:CANDIDATE_LIMIT]


# -- person check -------------------------------------------------------------------------
def person_check(conn: Connection, lookup: Lookup, q: PersonQuery, person_id: str | None = None) -> dict[str, Any]:
    """Ranked candidate national persons for the query, each with a match confidence and
    an explanation, then the single concise page for the chosen one (the best, unless
    ``person_id`` chooses another)."""
    authorise(lookup.principal, "check", lookup.purpose, lookup.reason, lookup.audit)
    with _consulting(lookup, "person check", {"query": q.model_dump(mode="json", exclude_none=True),
                                              "chosen": person_id}) as lk:
        return _person_check(conn, lk, q, person_id)


def _person_check(conn: Connection, lookup: Lookup, q: PersonQuery, person_id: str | None) -> dict[str, Any]:
    from leds.matching.features import person_features

    cands = _person_candidates(conn, q, lookup.principal)
    views = read_records(conn, lookup.principal, lookup.purpose, action="check", reason=lookup.reason,
                         audit=lookup.audit, rkeys=cands, rtype="person", limit=max(len(cands), 1)) if cands else []
    model = current_check_model(conn)
    qf = _query_features(q)
    pcs = postcodes_of(conn, [v.rkey for v in views]) if qf["postcode"] else {}
    ids = _assignments(conn, [v.rkey for v in views])
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
                          else (_fallback_explain(qf, rf)["match_weight"], None))
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
        exp = _explain(model, qf, rf, levels)
        recs = by_person[pid]
        candidates.append({
            "person_id": pid,
            "confidence": round(_probability(weight), 6),
            "weight": round(weight, 3) if math.isfinite(weight) else weight,
            "model_version": exp.get("model_version"),
            "explanation": [{"comparison": c["comparison"], "level": c.get("level"),
                             "weight": round(c["match_weight"], 3)} for c in exp["comparisons"]
                            if c["match_weight"]],
            "name": _primary_name(v.data),
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
    return {"candidates": candidates, "summary": summary, "scored_by": "model" if model else "field agreement"}


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


# -- the single view ----------------------------------------------------------------------
Refs = list[tuple[str, str, str]]


def _graph(conn: Connection, lookup: Lookup, rkeys: list[str], action: str,
           known: dict[str, RecordView] | None = None, known_refs: tuple[set[str], Refs] | None = None
           ) -> tuple[list[RecordView], dict[str, RecordView], Refs]:
    """Records (a person's, or vehicles), and every marker, link and linked record one hop
    away, read in one audited call.  Returns (those records, every other visible record by
    key, the reference rows (record, role, target) of visible markers and links).
    ``known`` are records this look-up has already read (and audited) with the same
    action: they are not read again.  ``known_refs`` = (targets, every reference row that
    points at them), already looked up: only the other records' are."""
    start = set(rkeys)
    covered, rows = known_refs or (set(), [])
    to_start = [r for r in rows if r[2] in start]
    missing = [k for k in rkeys if k not in covered]
    if missing:
        to_start += references(conn, to=missing)
    link_keys = sorted({k for k, role, _ in to_start if role in ("from", "to")})
    marker_keys = sorted({k for k, role, _ in to_start if role == "subject"})
    other_ends = [r for r in references(conn, of=link_keys) if r[2] not in start]
    targets = sorted({t for _, _, t in other_ends})
    # Events reached through a link, and what points at them (e.g. the location of an event) are not followed.
    wanted = [*rkeys, *marker_keys, *link_keys, *targets]
    known = known or {}
    views = [known[k] for k in wanted if k in known]
    unread = [k for k in wanted if k not in known]
    if unread:
        views += read_records(conn, lookup.principal, lookup.purpose, action=action, reason=lookup.reason,
                              audit=lookup.audit, rkeys=unread, limit=len(unread))
    views.sort(key=lambda v: v.rkey)
    own = [v for v in views if v.rkey in start]
    others = {v.rkey: v for v in views if v.rkey not in start}
    refs = [r for r in to_start if r[0] in others] + [r for r in other_ends if r[0] in others]
    return own, others, refs


def _marker(v: RecordView, d: dict[str, Any]) -> dict[str, Any]:
    code = d.get("code", "")
    return {"code": code, "label": MARKERS.get(code, code), "detail": d.get("detail"),
            **_fact(v, d.get("valid_from"))}


def _event(v: RecordView, d: dict[str, Any], role: Any) -> dict[str, Any]:
    return {"kind": d.get("kind"), "occurred_at": d.get("occurred_at"), "description": d.get("description"),
            "dataset": v.dataset, "role": role, **_fact(v, d.get("occurred_at"))}


def _status(events: list[tuple[RecordView, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Wanted, missing, bail and custody status from the person's events."""
    by_kind: dict[str, list[tuple[RecordView, dict[str, Any]]]] = defaultdict(list)
    for v, d in events:
        by_kind[d.get("kind", "")].append((v, d))
    t = today().isoformat()

    def item(v: RecordView, d: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"kind": d.get("kind"), "occurred_at": d.get("occurred_at"), "description": d.get("description"),
                **extra, **_fact(v, d.get("occurred_at"))}

    wanted = [item(v, d, status=d.get("status", "active"), warrant_reference=d.get("warrant_reference"))
              for v, d in by_kind["wanted"] + by_kind["warrant"] if d.get("status", "active") == "active"]
    found_after = max((str(d.get("occurred_at") or "") for _, d in by_kind["found"]), default="")
    missing = [item(v, d, risk=d.get("risk"), last_seen_at=d.get("last_seen_at"))
               for v, d in by_kind["missing"]
               if d.get("status", "open") not in ("closed", "cancelled") and str(d.get("occurred_at") or "") > found_after]
    bail = [item(v, d, conditions=d.get("conditions"), bail_until=d.get("bail_until"))
            for v, d in by_kind["bail"] if not d.get("bail_until") or str(d["bail_until"]) >= t]
    custody_events = sorted(by_kind["custody"] + by_kind["arrest"] + by_kind["release"],
                            key=lambda e: str(e[1].get("occurred_at") or ""), reverse=True)
    custody = [item(v, d, custody_number=d.get("custody_number"), station=d.get("station"))
               for v, d in custody_events[:3]]
    return {"wanted": wanted, "missing": missing, "bail": bail, "custody": custody}


def person_summary(conn: Connection, lookup: Lookup, person_id: str, action: str = "view_person",
                   associations: bool = False, known: dict[str, RecordView] | None = None,
                   known_refs: tuple[set[str], Refs] | None = None) -> dict[str, Any]:
    """The single concise page: identity with sources, warning markers first, wanted /
    missing / bail / custody status, last known address, vehicles, recent events and
    counts of records by dataset.  Every fact carries its force, source and date.
    ``known``, ``known_refs``: records and references the look-up has already read (see :func:`_graph`)."""
    rkeys = members(conn, person_id)
    if not rkeys:
        raise NotFound("no such person, or not one you may see")
    persons, others, refs = _graph(conn, lookup, rkeys, action, known, known_refs)
    if not persons:
        raise NotFound("no such person, or not one you may see")
    own = {v.rkey for v in persons}
    names: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    dobs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    pncs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cros: dict[str, list[dict[str, Any]]] = defaultdict(list)
    sexes: Counter[str] = Counter()
    heights: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    for v in persons:
        d = v.data or {}
        for n in d.get("names") or []:
            names[(_name_text(n), n.get("kind", "primary"))].append(_fact(v))
        for b in d.get("birth_dates") or []:
            dobs[b].append(_fact(v))
        if d.get("pnc_id"):
            pncs[d["pnc_id"]].append(_fact(v))
        if d.get("cro_number"):
            cros[d["cro_number"]].append(_fact(v))
        if d.get("sex"):
            sexes[d["sex"]] += 1
        if d.get("height_cm"):
            heights.append({"value": d["height_cm"], **_fact(v)})
        for m in d.get("marks") or []:
            marks.append({"value": m, **_fact(v)})
    markers: list[dict[str, Any]] = []
    events: list[tuple[RecordView, dict[str, Any], dict[str, Any]]] = []
    vehicles: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    people: list[tuple[RecordView, dict[str, Any]]] = []
    link_of: dict[str, RecordView] = {k: v for k, v in others.items() if v.rtype == "link"}
    for k, _role, subject in refs:
        v = others[k]
        if v.rtype == "marker" and subject in own and v.data:
            markers.append({**_marker(v, v.data), "valid_from": v.data.get("valid_from")})
    for lk, link in link_of.items():
        d = link.data or {}
        ends = [t for k, _, t in refs if k == lk and t not in own]
        for t in ends:
            target: RecordView | None = others.get(t)
            if target is None or target.data is None:
                continue
            via = {"role": d.get("role"), "link": lk, "valid_from": d.get("valid_from")}
            if target.rtype == "event":
                events.append((target, target.data, via))
            elif target.rtype == "vehicle":
                vehicles.append({"vrm": target.data.get("vrm"), "make": target.data.get("make"),
                                 "model": target.data.get("model"), "colour": target.data.get("colour"),
                                 **via, **_fact(target, d.get("valid_from"))})
            elif target.rtype == "location":
                addresses.append({"address": target.data.get("address"), "uprn": target.data.get("uprn"),
                                  **via, **_fact(target, d.get("valid_from"))})
            elif target.rtype == "person":
                people.append((target, via))
    events.sort(key=lambda e: str(e[1].get("occurred_at") or ""), reverse=True)
    resides = sorted((a for a in addresses if a["role"] == "resides_at"),
                     key=lambda a: str(a.get("valid_from") or ""), reverse=True)
    counts: Counter[str] = Counter(v.dataset for v in [*persons, *others.values()] if v.dataset)
    out: dict[str, Any] = {
        "person_id": person_id,
        "identity": {
            "names": [{"text": t, "kind": kind, "sources": s} for (t, kind), s in names.items()],
            "birth_dates": [{"value": b, "sources": s} for b, s in sorted(dobs.items())],
            "sex": sexes.most_common(1)[0][0] if sexes else None,
            "pnc_ids": [{"value": p, "sources": s} for p, s in pncs.items()],
            "cro_numbers": [{"value": c, "sources": s} for c, s in cros.items()],
            "heights": heights,
            "marks": marks,
        },
        "markers": sorted(markers, key=lambda m: (m["code"] not in ("FI", "WE", "XP", "VI"), m["code"])),
        "status": _status([(v, d) for v, d, _ in events]),
        "last_address": resides[0] if resides else None,
        "vehicles": vehicles,
        "events": [_event(v, d, via["role"]) for v, d, via in events[:RECENT_EVENTS]],
        "counts": dict(sorted(counts.items())),
        "records": [{"rtype": v.rtype, "dataset": v.dataset, "redacted": list(v.redacted), **_fact(v)}
                    for v in persons],
    }
    if associations:
        ids = _assignments(conn, [p.rkey for p, _ in people])
        out["timeline"] = [_event(v, d, via["role"]) for v, d, via in events]
        out["associations"] = {
            "persons": [{"person_id": ids.get(p.rkey, p.rkey), "name": _primary_name(p.data),
                         "birth_dates": (p.data or {}).get("birth_dates"), **via, **_fact(p, via["valid_from"])}
                        for p, via in people],
            "vehicles": vehicles,
            "addresses": addresses,
        }
    return out


def person_view(conn: Connection, lookup: Lookup, person_id: str) -> dict[str, Any]:
    """The person page: the single view, a full timeline and one hop of associations."""
    with _consulting(lookup, "person view", {"person_id": person_id}) as lk:
        return person_summary(conn, lk, person_id, action="view_person", associations=True)


# -- vehicle check ------------------------------------------------------------------------
def vehicle_check(conn: Connection, lookup: Lookup, q: VehicleQuery) -> dict[str, Any]:
    """Vehicles whose VRM matches, exactly or up to the confusable characters, with their
    keepers and users, markers and reports (events), and links to the person summaries."""
    authorise(lookup.principal, "check", lookup.purpose, lookup.reason, lookup.audit)
    with _consulting(lookup, "vehicle check", {"query": {"vrm": q.vrm}}) as lk:
        return _vehicle_check(conn, lk, q)


_VEHICLES_BY_KEY = (select(search_vehicles.c.rkey, search_vehicles.c.vrm)
                    .where(search_vehicles.c.vrm_key == bindparam("vrm_key")).limit(50))


def _vehicle_check(conn: Connection, lookup: Lookup, q: VehicleQuery) -> dict[str, Any]:
    vrm = keys.normalise_vrm(q.vrm)
    found = fast.rows(conn, _VEHICLES_BY_KEY, {"vrm_key": keys.vrm_key(vrm)})
    vehicles, others, refs = _graph(conn, lookup, [r[0] for r in found], "check")
    views = {v.rkey: v for v in vehicles}
    ids = _assignments(conn, [t for _, _, t in refs if _rtype(t) == "person" and t in others])
    out = []
    for vk, norm in found:
        v = views.get(vk)
        if v is None or v.data is None:
            continue
        entry: dict[str, Any] = {
            "rkey": vk, "vrm": v.data.get("vrm"), "make": v.data.get("make"), "model": v.data.get("model"),
            "colour": v.data.get("colour"), "vin": v.data.get("vin"),
            "match": "exact" if norm == vrm else "confusable",
            "people": [], "markers": [], "reports": [], **_fact(v),
        }
        for k, _role, t in refs:
            rec = others[k]
            if t != vk or rec.data is None:
                continue
            d = rec.data
            if rec.rtype == "marker":
                entry["markers"].append(_marker(rec, d))
                continue
            for lk, _, other in refs:
                end = others.get(other)
                if lk != k or other == vk or end is None or end.data is None:
                    continue
                if end.rtype == "person":
                    entry["people"].append({"role": d.get("role"), "person_id": ids.get(other, other),
                                            "name": _primary_name(end.data),
                                            "birth_dates": end.data.get("birth_dates"),
                                            **_fact(end, d.get("valid_from"))})
                elif end.rtype == "event":
                    entry["reports"].append(_event(end, end.data, d.get("role")))
        entry["reports"].sort(key=lambda e: str(e.get("occurred_at") or ""), reverse=True)
        out.append(entry)
    out.sort(key=lambda e: (e["match"] != "exact", e["vrm"] or ""))
    return {"query": q.vrm, "normalised": vrm, "vehicles": out}


# -- the record page ---------------------------------------------------------------------
def record_view(conn: Connection, lookup: Lookup, rkey: str) -> dict[str, Any]:
    """One source record as the caller may see it, with its provenance and version history."""
    if len(rkey) > 200 or rkey.count("|") < 3:
        raise NotFound("no such record, or not one you may see")
    views = read_records(conn, lookup.principal, lookup.purpose, action="view_record", reason=lookup.reason,
                         audit=lookup.audit, rkeys=[rkey], limit=1)
    if not views:
        raise NotFound("no such record, or not one you may see")
    v = views[0]
    versions = record_history(conn, lookup.principal, rkey)
    pid = _assignments(conn, [rkey]).get(rkey) if v.rtype == "person" else None
    refs = [{"role": role, "target": t} for _, role, t in references(conn, of=[rkey])]
    return {"record": asdict(v), "versions": versions, "person_id": pid, "references": refs}


# -- descriptive search -------------------------------------------------------------------
TEXT_MATCHES = 2000  # the best-ranked full-text matches a search considers
SEARCH_CAP = 2000  # results counted and paged; past this, the answer says "more": narrow the search


def _fts(conn: Connection, text: str, kind: str) -> Select[Any]:
    """Keys of the records whose text matches, best first (at most TEXT_MATCHES)."""
    from sqlalchemy import literal_column, table

    ws = keys.words(text)
    if not ws:
        raise CheckError("text" if kind == "event" else "marks", "enter at least one word")
    if conn.dialect.name == "sqlite":
        query = keys.fts5_query(text)
        fts = table("search_text_fts", literal_column("rowid"))
        return (select(search_text.c.rkey).select_from(search_text)
                .join(fts, literal_column("search_text_fts.rowid") == search_text.c.id)
                .where(literal_column("search_text_fts").op("MATCH")(query), search_text.c.kind == kind)
                .order_by(literal_column("search_text_fts.rank")).limit(TEXT_MATCHES))
    tsq = func.plainto_tsquery("english", " ".join(ws))
    return (select(search_text.c.rkey).where(literal_column("tsv").op("@@")(tsq), search_text.c.kind == kind)
            .order_by(func.ts_rank(literal_column("tsv"), tsq).desc()).limit(TEXT_MATCHES))


def _search_keys(conn: Connection, q: SearchQuery, principal: Principal) -> Select[Any]:
    """The person records the descriptive query matches (the policy then filters these;
    records reached through others, events and addresses, are filtered here)."""

    def visible(keys_: Select[Any]) -> Select[Any]:
        return only_visible(principal, keys_)  # type: ignore[no-any-return]

    # Drive from the most selective condition; test the others per candidate (correlated
    # EXISTS on primary keys) or against a small set (full-text and address look-ups).
    sets: list[Select[Any]] = []
    if q.marks:
        sets.append(_fts(conn, q.marks, "marks"))
    if q.district:
        sets.append(persons_at(q.district, visible))
    if q.text:
        # Persons linked to an event whose text matches.
        sets.append(linked_from(_fts(conn, q.text, "event"), visible))
    lo, hi = dob_range(q.age_from, q.age_to)
    names = _name_params(q.surname, q.forename, phonetic=q.phonetic, nicknames=False) if q.surname or q.forename else {}
    if len(names.get("fam_lo", "")) >= 3 and (lo or hi) and not q.dob:
        # A surname prefix and an age range: read only the names in the range, from the index
        # on (first three letters, date of birth), not every name with the prefix.
        sub = _prefix_age_names(frozenset(names), lo is not None, hi is not None).params(
            names, fam3=names["fam_lo"][:3], **({"age_lo": lo} if lo else {}), **({"age_hi": hi} if hi else {})
        ).subquery()
        driver = select(sub.c.rkey.label("rkey"))
        rk: Any = sub.c.rkey
        lo = hi = None
    elif names:
        driver = (select(search_names.c.rkey.label("rkey"))
                  .where(_name_clause(frozenset(names))).params(names))
        rk = search_names.c.rkey
    elif q.dob:
        driver = select(search_dobs.c.rkey.label("rkey")).where(search_dobs.c.dob == q.dob.isoformat())
        rk = search_dobs.c.rkey
    elif sets:
        first = sets.pop(0).subquery()
        driver = select(first.c[0].label("rkey"))
        rk = first.c[0]
    elif lo or hi:
        driver = select(search_dobs.c.rkey.label("rkey")).where(*_dob_bounds(lo, hi))
        rk = search_dobs.c.rkey
        lo = hi = None
    else:
        driver = select(search_persons.c.rkey.label("rkey"))
        rk = search_persons.c.rkey
    where: list[Any] = []
    if q.dob and rk is search_names.c.rkey:
        dob = q.dob.isoformat()
        where.append(_name_dob(lambda col: col == dob, lambda first, last: and_(first <= dob, last >= dob)))
    elif q.dob and rk is not search_dobs.c.rkey:
        where.append(_has_dob(rk, search_dobs.c.dob == q.dob.isoformat()))
    if (lo or hi) and rk is search_names.c.rkey:
        where.append(_name_dob_between(lo, hi))
    elif (lo or hi) and rk is not search_dobs.c.rkey:
        where.append(_dob_between(rk, lo, hi))
    described = [c for c in ((search_persons.c.sex == q.sex) if q.sex else None,
                             (search_persons.c.height_cm >= q.height_from) if q.height_from is not None else None,
                             (search_persons.c.height_cm <= q.height_to) if q.height_to is not None else None)
                 if c is not None]
    if described and rk is search_persons.c.rkey:
        where.extend(described)
    elif described:
        where.append(exists().where(search_persons.c.rkey == rk, *described))
    for keys_ in sets:
        where.append(rk.in_(keys_))
    return driver.where(*where)


@lru_cache(maxsize=256)
def _prefix_age_names(shape: frozenset[str], has_lo: bool, has_hi: bool) -> Any:
    """Records with a name of this shape (a family-name pattern of at least three literal
    letters) and a date of birth in [``age_lo``, ``age_hi``]: a range of the index on
    (first three letters, earliest date of birth) for records with one date of birth, and
    of the partial index on (first three letters, latest date of birth) for the few with
    several, each probed for one in the range (bound: ``fam3`` and the name's values)."""
    prefix, name = FAMILY3 == bindparam("fam3"), _name_clause(shape)
    return union_all(*[select(search_names.c.rkey).where(prefix, name, dob) for dob in _name_dob_between_parts(
        bindparam("age_lo") if has_lo else None, bindparam("age_hi") if has_hi else None)])


def search(conn: Connection, lookup: Lookup, q: SearchQuery) -> dict[str, Any]:
    """Descriptive search over person records the caller may see: a page of results with
    their national person ids, facets (force, dataset, sex) and the total."""
    authorise(lookup.principal, "search", lookup.purpose, lookup.reason, lookup.audit)
    with _consulting(lookup, "search", {"query": q.model_dump(mode="json", exclude_none=True)}) as lk:
        return _search(conn, lk, q)


def _search(conn: Connection, lookup: Lookup, q: SearchQuery) -> dict[str, Any]:
    # Filtered, counted and ordered (by first name) in search_persons, which carries each
    # person record's access columns: the page's records are then read through the policy.
    page_keys, facets, total, more = visible_keys(
        conn, lookup.principal, lookup.purpose, _search_keys(conn, q, lookup.principal), action="search",
        reason=lookup.reason, audit=lookup.audit, force=q.force, dataset=q.dataset, index=search_persons,
        order=("family", "given"), limit=q.per_page, offset=(q.page - 1) * q.per_page,
        facets=("force", "dataset", "sex"), cap=SEARCH_CAP)
    views = {v.rkey: v for v in read_records(conn, lookup.principal, lookup.purpose, action="search",
                                             reason=lookup.reason, audit=lookup.audit, rkeys=page_keys,
                                             limit=max(len(page_keys), 1))} if page_keys else {}
    ids = _assignments(conn, page_keys)
    results = []
    for k in page_keys:
        v = views.get(k)
        if v is None or v.data is None:
            continue
        d = v.data
        results.append({"person_id": ids.get(k, k), "rkey": k, "name": _primary_name(d),
                        "aliases": [_name_text(n) for n in d.get("names") or [] if n.get("kind") != "primary"],
                        "birth_dates": d.get("birth_dates") or [], "sex": d.get("sex"),
                        "height_cm": d.get("height_cm"), "marks": d.get("marks") or [],
                        "dataset": v.dataset, **_fact(v)})
    return {"total": total, "more": more, "page": q.page, "per_page": q.per_page,
            "pages": max(1, math.ceil(total / q.per_page)), "results": results, "facets": facets}


__all__ = ["CheckError", "Lookup", "NotFound", "person_check", "person_summary", "person_view",
           "record_view", "search", "vehicle_check"]
