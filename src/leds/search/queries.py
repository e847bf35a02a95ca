"""The name and date-of-birth queries that person checks and descriptive search share.

A name query is built from a *shape* (which terms it has: exact or wildcard family name,
the accepted given names, the same sound) and its bound values (:func:`name_params`);
statements are compiled once per shape and cached, so the values and the statement cannot
disagree.  Every branch is a range of an index on ``search_names`` or ``search_dobs``.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, exists, or_

from leds.errors import BadRequest
from leds.matching.names import GIVEN_NAME_GROUPS, fold, fold_surname, given_groups
from leds.standard.validators import today

from . import keys
from .tables import search_dobs, search_names


def years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def dob_range(age_from: int | None, age_to: int | None) -> tuple[str | None, str | None]:
    """Dates of birth of people aged age_from..age_to today (inclusive)."""
    t = today()
    hi = years_before(t, age_from).isoformat() if age_from is not None else None
    lo = (years_before(t, age_to + 1) + timedelta(days=1)).isoformat() if age_to is not None else None
    return lo, hi


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
        raise BadRequest(f"a {field} needs at least one letter", field=field)
    return folded, None


# A name query is compiled once per *shape* (which terms it has, how many accepted given
# names) and cached; each look-up binds its own values.  The shape is the set of parameter
# names, so the values and the statement cannot disagree.
def name_params(surname: str | None, forename: str | None, *, phonetic: bool, nicknames: bool) -> dict[str, str]:
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
def name_clause(shape: frozenset[str]) -> Any:
    """Rows of ``search_names`` for the name query of this shape (see :func:`name_params`),
    as an OR of :func:`name_branches`."""
    return or_(*name_branches(shape))


def name_branches(shape: frozenset[str]) -> list[Any]:
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


def has_dob(rkey: Any, *conds: Any) -> Any:
    """A date of birth of the record ``rkey`` (a correlated column) meets ``conds``: one
    primary-key probe per candidate, never a scan of every date of birth."""
    return exists().where(search_dobs.c.rkey == rkey, *conds)


def dob_bounds(lo: Any, hi: Any, first: Any = search_dobs.c.dob, last: Any = None) -> list[Any]:
    """``last >= lo`` and ``first <= hi`` (``last`` defaults to ``first``), leaving out an
    open end (None): a date column between two bounds, or a range of dates that reaches
    into them.  The bounds are values or bound parameters."""
    last = first if last is None else last
    return [c for c in ((last >= lo) if lo is not None else None, (first <= hi) if hi is not None else None)
            if c is not None]


def dob_between(rkey: Any, lo: str | None, hi: str | None) -> Any:
    return has_dob(rkey, *dob_bounds(lo, hi))


def name_dob_parts(one: Any, several: Any) -> tuple[Any, Any]:
    """A date of birth of a ``search_names`` row's record meets a condition, from the row's
    earliest and latest date of birth, as two conditions, for records with one date of birth
    and for records with several: ``one(column)`` is the condition on a single date (decided
    in the index, as most records have one date of birth); a record with several is narrowed
    by ``several(dob_lo, dob_hi)``, then probed (one primary-key look-up)."""
    n = search_names.c
    return (and_(n.dob_lo == n.dob_hi, one(n.dob_lo)),
            and_(n.dob_lo != n.dob_hi, several(n.dob_lo, n.dob_hi), has_dob(n.rkey, one(search_dobs.c.dob))))


def name_dob(one: Any, several: Any) -> Any:
    """:func:`name_dob_parts`, either one."""
    return or_(*name_dob_parts(one, several))


def name_dob_between_parts(lo: Any, hi: Any) -> tuple[Any, Any]:
    """Any date of birth between lo and hi (values or bound parameters; None for open), as
    the two conditions of :func:`name_dob_parts`."""
    return name_dob_parts(lambda col: and_(*dob_bounds(lo, hi, col)),
                          lambda first, last: and_(*dob_bounds(lo, hi, first, last)))


def name_dob_between(lo: Any, hi: Any) -> Any:
    """Any date of birth between lo and hi (values or bound parameters; None for open)."""
    return or_(*name_dob_between_parts(lo, hi))


def name_dob_params(dob: date | None, age_lo: str | None, age_hi: str | None) -> dict[str, str]:
    """Bound values of the date-of-birth conditions on name rows: near ``dob`` (a year
    either way, or day and month swapped), and within the age range."""
    p: dict[str, str] = {}
    if dob is not None:
        p["near_first"], p["near_last"] = years_before(dob, 1).isoformat(), years_before(dob, -1).isoformat()
        if dob.day <= 12 and dob.day != dob.month:
            p["near_swapped"] = date(dob.year, dob.day, dob.month).isoformat()
        p["near_min"] = min(p["near_first"], p.get("near_swapped", p["near_first"]))
        p["near_max"] = max(p["near_last"], p.get("near_swapped", p["near_last"]))
    if age_lo:
        p["age_lo"] = age_lo
    if age_hi:
        p["age_hi"] = age_hi
    return p


def name_dob_clauses(shape: frozenset[str]) -> list[Any]:
    b = bindparam
    out: list[Any] = []
    if "near_first" in shape:
        def near(col: Any) -> Any:
            return or_(col.between(b("near_first"), b("near_last")),
                       *([col == b("near_swapped")] if "near_swapped" in shape else []))

        def near_some(lo: Any, hi: Any) -> Any:
            return and_(hi >= b("near_min"), lo <= b("near_max"))

        # Near the given date of birth, or none recorded.
        out.append(or_(search_names.c.dob_lo.is_(None), name_dob(near, near_some)))
    if "age_lo" in shape or "age_hi" in shape:
        out.append(name_dob_between(b("age_lo") if "age_lo" in shape else None,
                                    b("age_hi") if "age_hi" in shape else None))
    return out
