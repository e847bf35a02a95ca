"""Collections: a case's material, its team and its handling level, enforced here.

Every way into a collection (search, opening a document, the queue, facets, the person
page's "documents mentioning") calls :func:`open_collection` or :func:`team_collections`.
A user must hold a role with the action (``search_documents`` in the rule table), state a
purpose, be on the collection's team and be vetted for its handling level.  A collection
the user may not open is refused exactly as one that does not exist (the message is the
same, and nothing is counted), and the refusal is audited.  The command line runs as the
store's operator (:func:`operator`), as ``leds ingest`` does, and is audited as such.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from leds.access.lookup import Lookup
from leds.access.policy import AccessDenied, Principal, authorise
from leds.audit import AuditEvent
from leds.errors import Conflict
from leds.standard.codes import HANDLING_ORDER

from .extract import now
from .tables import doc_collections, doc_team

ACTION = "search_documents"
REFUSED = "there is no such collection, or you are not on its team"


@dataclass(frozen=True)
class Collection:
    id: int
    name: str
    title: str
    case_ref: str
    handling: str


def _row(r: Any) -> Collection:
    return Collection(r.id, r.name, r.title, r.case_ref, r.handling)


def operator(actor: str | None) -> Principal:
    """The local operator of the store (the CLI): audited under their name."""
    return Principal(id=actor or f"os:{getpass.getuser()}", roles=frozenset({"system"}))


def username(p: Principal) -> str | None:
    return p.id.removeprefix("user:") if p.id.startswith("user:") else None


def create(conn: Connection, name: str, *, title: str, case_ref: str, handling: str, team: list[str],
           by: str) -> Collection:
    if handling not in HANDLING_ORDER:
        raise ValueError(f"handling must be one of {', '.join(HANDLING_ORDER)}")
    if conn.execute(select(doc_collections.c.id).where(doc_collections.c.name == name)).first():
        raise Conflict(f"a collection named {name!r} exists")
    cid = conn.execute(insert(doc_collections).values(
        name=name, title=title, case_ref=case_ref, handling=handling, created_at=now(), created_by=by)
    ).inserted_primary_key[0]  # type: ignore[index]
    set_team(conn, cid, team)
    return Collection(cid, name, title, case_ref, handling)


def set_team(conn: Connection, collection_id: int, team: list[str]) -> None:
    conn.execute(doc_team.delete().where(doc_team.c.collection_id == collection_id))
    for u in dict.fromkeys(team):
        conn.execute(insert(doc_team).values(collection_id=collection_id, username=u))


def team_of(conn: Connection, collection_id: int) -> list[str]:
    return list(conn.execute(select(doc_team.c.username).where(doc_team.c.collection_id == collection_id)
                             .order_by(doc_team.c.username)).scalars())


def by_name(conn: Connection, name: str) -> Collection | None:
    r = conn.execute(select(doc_collections).where(doc_collections.c.name == name)).first()
    return _row(r) if r else None


def _may(conn: Connection, p: Principal, c: Collection) -> bool:
    u = username(p)
    if u is None or c.handling not in p.handlings():
        return False
    return conn.execute(select(doc_team.c.username).where(
        doc_team.c.collection_id == c.id, doc_team.c.username == u)).first() is not None


def open_collection(conn: Connection, lookup: Lookup, name: str, action: str = ACTION) -> Collection:
    """The collection, if ``lookup``'s principal may search it; else :class:`AccessDenied`
    (audited), the same for a collection that does not exist."""
    p = lookup.principal
    c = by_name(conn, name)
    if p.is_system:
        if c is None:
            raise AccessDenied(REFUSED)
        return c
    authorise(p, action, lookup.purpose, lookup.reason, lookup.audit)
    if c is None or not _may(conn, p, c):
        lookup.audit(AuditEvent("denied", p.id, purpose=lookup.purpose, reason=lookup.reason,
                                detail={"attempted": action, "collection": name[:100],
                                        "why": "not on the collection's team or not vetted for it"}))
        raise AccessDenied(REFUSED)
    return c


def team_collections(conn: Connection, p: Principal) -> list[Collection]:
    """The collections ``p`` may search (for lists, facets and the person page)."""
    if p.is_system:
        return [_row(r) for r in conn.execute(select(doc_collections).order_by(doc_collections.c.name))]
    if "search_documents" not in p.actions():
        return []
    u = username(p)
    rows = conn.execute(select(doc_collections).join(doc_team, doc_team.c.collection_id == doc_collections.c.id)
                        .where(doc_team.c.username == u).order_by(doc_collections.c.name))
    return [c for c in map(_row, rows) if c.handling in p.handlings()]


def audited(lookup: Lookup, c: Collection, kind: str, document_ids: list[int], **detail: Any) -> None:
    """One audit entry for a search or an opened document, with the case reference."""
    lookup.audit(AuditEvent(
        "consultation", lookup.principal.id, purpose=lookup.purpose or "investigation",
        reason=lookup.reason or c.case_ref, subjects=tuple(f"DOC|{c.name}|{i}" for i in document_ids[:200]),
        detail={"kind": kind, "collection": c.name, "case": c.case_ref, "returned": len(document_ids), **detail}))
