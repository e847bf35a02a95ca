"""Key-only joins between the search indexes and the reference index.

The reference index (``record_refs``: which marker or link points at which record) holds
record keys and roles, never record data, so the search code may join it to find
*candidate keys*, for example the persons linked to an address in a postcode district.
Nothing here returns data: candidates are read, filtered, redacted and audited by
:func:`leds.access.policy.read_records`.  This is the one module outside the data-access
layer allowed to name ``record_refs`` (tests/access/test_access_seam.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Select, and_, select

from leds.db.schema import record_refs

from .tables import search_places

Visible = Callable[[Select[Any]], Select[Any]]  # keys -> the keys the caller may see


def persons_at(postcode: str, visible: Visible) -> Select[Any]:
    """Keys of person records linked to a location with this postcode (or, for an outward
    code, in this district), through a location and a link the caller may see."""
    place = search_places.c.postcode == postcode if len(postcode) > 4 else search_places.c.district == postcode
    return linked_from(select(search_places.c.rkey).where(place), visible, "%|person|%")


def postcodes_of(conn: Connection, person_rkeys: list[str]) -> dict[str, str]:
    """The postcode of the address linked to each person record, for scoring a check
    that gave a postcode (a key, like the name keys: never shown)."""
    out: dict[str, str] = {}
    from_ref = record_refs.alias("from_ref")
    to_ref = record_refs.alias("to_ref")
    for i in range(0, len(person_rkeys), 500):
        q = (select(from_ref.c.target, search_places.c.postcode)
             .select_from(from_ref)
             .join(to_ref, and_(to_ref.c.rkey == from_ref.c.rkey, to_ref.c.role == "to"))
             .join(search_places, search_places.c.rkey == to_ref.c.target)
             .where(from_ref.c.role == "from", from_ref.c.target.in_(person_rkeys[i:i + 500])))
        for rkey, pc in conn.execute(q):
            out[rkey] = pc
    return out


def linked_from(targets: Select[Any], visible: Visible, like: str = "%|person|%") -> Select[Any]:
    """Keys of the records at the *from* end of links whose *to* end is one of ``targets``
    (e.g. the persons linked to events whose text matches).  Only targets and links the
    caller may see count: a hidden record cannot be found through its neighbours."""
    link_to = record_refs.alias("link_to")
    link_from = record_refs.alias("link_from")
    hops = select(link_to.c.rkey).where(link_to.c.role == "to", link_to.c.target.in_(visible(targets)))
    return (select(link_from.c.target.label("rkey"))
            .where(link_from.c.role == "from", link_from.c.rkey.in_(visible(hops)), link_from.c.target.like(like)))
