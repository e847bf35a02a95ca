"""Descriptive search, like the PNC's: names (with wildcards and sounds-alike), date of
birth or age range, sex, height, marks, postcode district and full text over events, over
every person record the caller may see, with facets and pages.

The search indexes give candidate keys (never data); :func:`leds.access.policy.visible_keys`
filters, counts and orders them with the caller's row rules, and the page's records are
read through :func:`leds.access.policy.read_records`, which redacts and audits them.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, exists, func, select, union_all

from leds.access.lookup import Lookup, consulting
from leds.access.policy import Principal, authorise, only_visible, read_records, visible_keys
from leds.checks.models import SearchQuery
from leds.errors import BadRequest
from leds.persons.service import name_text, person_ids, primary_name
from leds.records.models import fact

from . import keys
from .graph import linked_from, persons_at
from .queries import (
    dob_between,
    dob_bounds,
    dob_range,
    has_dob,
    name_clause,
    name_dob,
    name_dob_between,
    name_dob_between_parts,
    name_params,
)
from .tables import FAMILY3, search_dobs, search_names, search_persons, search_text

TEXT_MATCHES = 2000  # the best-ranked full-text matches a search considers
SEARCH_CAP = 2000  # results counted and paged; past this, the answer says "more": narrow the search


def _fts(conn: Connection, text: str, kind: str) -> Select[Any]:
    """Keys of the records whose text matches, best first (at most TEXT_MATCHES)."""
    from sqlalchemy import literal_column, table

    ws = keys.words(text)
    if not ws:
        raise BadRequest("enter at least one word", field="text" if kind == "event" else "marks")
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
    names = name_params(q.surname, q.forename, phonetic=q.phonetic, nicknames=False) if q.surname or q.forename else {}
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
                  .where(name_clause(frozenset(names))).params(names))
        rk = search_names.c.rkey
    elif q.dob:
        driver = select(search_dobs.c.rkey.label("rkey")).where(search_dobs.c.dob == q.dob.isoformat())
        rk = search_dobs.c.rkey
    elif sets:
        first = sets.pop(0).subquery()
        driver = select(first.c[0].label("rkey"))
        rk = first.c[0]
    elif lo or hi:
        driver = select(search_dobs.c.rkey.label("rkey")).where(*dob_bounds(lo, hi))
        rk = search_dobs.c.rkey
        lo = hi = None
    else:
        driver = select(search_persons.c.rkey.label("rkey"))
        rk = search_persons.c.rkey
    where: list[Any] = []
    if q.dob and rk is search_names.c.rkey:
        dob = q.dob.isoformat()
        where.append(name_dob(lambda col: col == dob, lambda first, last: and_(first <= dob, last >= dob)))
    elif q.dob and rk is not search_dobs.c.rkey:
        where.append(has_dob(rk, search_dobs.c.dob == q.dob.isoformat()))
    if (lo or hi) and rk is search_names.c.rkey:
        where.append(name_dob_between(lo, hi))
    elif (lo or hi) and rk is not search_dobs.c.rkey:
        where.append(dob_between(rk, lo, hi))
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
    prefix, name = FAMILY3 == bindparam("fam3"), name_clause(shape)
    return union_all(*[select(search_names.c.rkey).where(prefix, name, dob) for dob in name_dob_between_parts(
        bindparam("age_lo") if has_lo else None, bindparam("age_hi") if has_hi else None)])


def search(conn: Connection, lookup: Lookup, q: SearchQuery) -> dict[str, Any]:
    """Descriptive search over person records the caller may see: a page of results with
    their national person ids, facets (force, dataset, sex) and the total."""
    authorise(lookup.principal, "search", lookup.purpose, lookup.reason, lookup.audit)
    with consulting(lookup, "search", {"query": q.model_dump(mode="json", exclude_none=True)}) as lk:
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
    ids = person_ids(conn, page_keys)
    results = []
    for k in page_keys:
        v = views.get(k)
        if v is None or v.data is None:
            continue
        d = v.data
        results.append({"person_id": ids.get(k, k), "rkey": k, "name": primary_name(d),
                        "aliases": [name_text(n) for n in d.get("names") or [] if n.get("kind") != "primary"],
                        "birth_dates": d.get("birth_dates") or [], "sex": d.get("sex"),
                        "height_cm": d.get("height_cm"), "marks": d.get("marks") or [],
                        "dataset": v.dataset, **fact(v)})
    return {"total": total, "more": more, "page": q.page, "per_page": q.per_page,
            "pages": max(1, math.ceil(total / q.per_page)), "results": results, "facets": facets}


__all__ = ["SEARCH_CAP", "search"]
