"""What the API, the pages and the CLI call: search, open a document, facets, failures,
progress, the triage queue and "documents mentioning this person", each through the
collection's team check (:mod:`.cases`) and audited with the case reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, func, select

from leds.access.lookup import Lookup
from leds.access.policy import visible_keys
from leds.errors import NotFound

from . import cases, process, search, triage
from .tables import doc_entities, doc_failures, documents


def search_documents(conn: Connection, lookup: Lookup, collection: str, query: str, *, limit: int = 10,
                     filters: search.Filters | None = None, mode: str = "hybrid",
                     home: Path | None = None) -> dict[str, Any]:
    c = cases.open_collection(conn, lookup, collection)
    found = search.results(conn, c.id, query, mode=mode, limit=limit, filters=filters, home=home)
    cases.audited(lookup, c, "document search", [r["id"] for r in found], query=query[:200], mode=mode)
    return {"collection": c.name, "case_ref": c.case_ref, "results": found,
            "progress": process.progress(conn, c.id)}


def _links(conn: Connection, lookup: Lookup, rkeys: list[str]) -> dict[str, dict[str, str]]:
    """Record key -> where it leads (a person page or a record), for the keys the caller may see."""
    from leds.persons.service import person_ids

    if not rkeys:
        return {}
    p = lookup.principal
    if p.is_system:
        seen = rkeys
    else:
        seen, _, _, _ = visible_keys(conn, p, lookup.purpose, sorted(set(rkeys)), action=cases.ACTION,
                                     reason=lookup.reason, audit=lookup.audit, limit=len(rkeys), facets=())
    persons = [k for k in seen if k.split("|")[2:3] == ["person"]]
    ids = {**{k: k for k in persons}, **person_ids(conn, persons)}  # a record without a national id stands for itself
    return {k: ({"person_id": ids[k], "href": f"/person/{quote(ids[k], safe='')}"} if k in ids
                else {"rkey": k, "href": f"/record/{quote(k, safe='')}"}) for k in seen}


def open_document(conn: Connection, lookup: Lookup, collection: str, document_id: int) -> dict[str, Any]:
    c = cases.open_collection(conn, lookup, collection)
    d = conn.execute(select(documents).where(documents.c.id == document_id, documents.c.collection_id == c.id)).first()
    if d is None:
        raise NotFound("there is no such document in this collection")
    ents = conn.execute(select(doc_entities).where(doc_entities.c.document_id == d.id)
                        .order_by(doc_entities.c.kind, doc_entities.c.norm)).all()
    links = _links(conn, lookup, [e.linked for e in ents if e.linked])
    parent = conn.execute(select(documents.c.id, documents.c.name).where(documents.c.id == d.parent_id)).first() \
        if d.parent_id else None
    children = conn.execute(select(documents.c.id, documents.c.name).where(documents.c.parent_id == d.id)
                            .order_by(documents.c.id)).all()
    cases.audited(lookup, c, "document opened", [d.id])
    return {"collection": c.name, "case_ref": c.case_ref, "id": d.id, "document": d.name, "title": d.title,
            "path": d.path, "type": d.doc_type, "date": d.doc_date, "size": d.size, "sha256": d.sha256,
            "stage": d.stage, "text": d.body,
            "parent": {"id": parent.id, "document": parent.name} if parent else None,
            "attachments": [{"id": ch.id, "document": ch.name} for ch in children],
            "entities": [{"kind": e.kind, "value": e.value, "norm": e.norm,
                          "link": links.get(e.linked) if e.linked else None} for e in ents]}


def facets(conn: Connection, lookup: Lookup, collection: str, per_kind: int = 10) -> dict[str, Any]:
    c = cases.open_collection(conn, lookup, collection)
    out: dict[str, Any] = {}
    for kind in ("name", "phone", "email", "vrm", "postcode", "pnc_id", "date"):
        rows = conn.execute(select(doc_entities.c.value, func.count().label("n"), func.max(doc_entities.c.linked))
                            .where(doc_entities.c.collection_id == c.id, doc_entities.c.kind == kind)
                            .group_by(doc_entities.c.norm, doc_entities.c.value)
                            .order_by(func.count().desc(), doc_entities.c.value).limit(per_kind)).all()
        out[kind] = [{"value": r[0], "documents": r[1], "linked": r[2] is not None} for r in rows]
    out["type"] = [{"value": r[0], "documents": r[1]} for r in conn.execute(
        select(documents.c.doc_type, func.count()).where(documents.c.collection_id == c.id)
        .group_by(documents.c.doc_type).order_by(documents.c.doc_type))]
    cases.audited(lookup, c, "document facets", [])
    return out


def failures(conn: Connection, lookup: Lookup, collection: str, limit: int = 500) -> list[dict[str, str]]:
    c = cases.open_collection(conn, lookup, collection)
    return [{"path": r.path, "reason": r.reason, "detail": r.detail, "at": r.at} for r in conn.execute(
        select(doc_failures).where(doc_failures.c.collection_id == c.id).order_by(doc_failures.c.id).limit(limit))]


def status(conn: Connection, lookup: Lookup, collection: str) -> dict[str, Any]:
    c = cases.open_collection(conn, lookup, collection)
    failed = conn.execute(select(func.count()).select_from(doc_failures)
                          .where(doc_failures.c.collection_id == c.id)).scalar_one()
    return {"collection": c.name, "title": c.title, "case_ref": c.case_ref, "handling": c.handling,
            **process.progress(conn, c.id), "failed": failed}


def triage_queue(conn: Connection, lookup: Lookup, collection: str, *, reveal: bool = False,
                 per_category: int = 50) -> list[dict[str, Any]]:
    c = cases.open_collection(conn, lookup, collection)
    q = triage.queue(conn, c, per_category=per_category, reveal=reveal)
    cases.audited(lookup, c, "triage queue", [i["id"] for cat in q for i in cat["items"]], reveal=reveal)
    return q


def mentioning(conn: Connection, lookup: Lookup, person_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The documents, in collections the caller may search, whose entities link to this person's records."""
    from leds.persons.service import members

    rkeys = members(conn, person_id)
    teams = {c.id: c for c in cases.team_collections(conn, lookup.principal)}
    if not rkeys or not teams:
        return []
    rows = conn.execute(select(documents.c.id, documents.c.name, documents.c.title, documents.c.collection_id,
                               doc_entities.c.value)
                        .join(doc_entities, doc_entities.c.document_id == documents.c.id)
                        .where(doc_entities.c.linked.in_(rkeys), documents.c.collection_id.in_(sorted(teams)))
                        .order_by(documents.c.id).limit(limit)).all()
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        c = teams[r.collection_id]
        out.setdefault(r.id, {"id": r.id, "document": r.name, "title": r.title, "collection": c.name,
                              "case_ref": c.case_ref, "as": r.value})
    for cid in {v["collection"] for v in out.values()}:
        c = next(x for x in teams.values() if x.name == cid)
        cases.audited(lookup, c, "documents mentioning", [v["id"] for v in out.values() if v["collection"] == cid],
                      person=person_id)
    return list(out.values())
