"""Stage two of ingest, in the background: embeddings, entities and their links, triage.

Works through a collection's documents still at stage ``words`` in batches, each batch
one transaction, so it can stop at any moment and carry on later (``leds documents
process``); :func:`progress` tells how far it has got.  Search works throughout: by
words at once, by meaning for the documents already embedded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from . import embed, entities, triage
from .cases import Collection
from .ingest import chunks
from .tables import doc_chunks, doc_entities, documents


def progress(conn: Connection, collection_id: int) -> dict[str, int]:
    rows: dict[str, int] = dict(conn.execute(select(documents.c.stage, func.count()).where(
        documents.c.collection_id == collection_id).group_by(documents.c.stage)).all())
    total = sum(rows.values())
    return {"documents": total, "searchable_by_words": total, "fully_processed": rows.get("done", 0)}


def process(engine: Engine, c: Collection, home: Path | None = None, *, batch: int = 200,
            on_batch: Callable[[int], None] | None = None) -> int:
    """Embed, extract entities and triage every document of ``c`` not yet done; returns how many."""
    done = 0
    embed.table(home)  # built before the first transaction, not inside one
    while True:
        with engine.begin() as conn:
            docs = conn.execute(select(documents.c.id, documents.c.body).where(
                documents.c.collection_id == c.id, documents.c.stage == "words")
                .order_by(documents.c.id).limit(batch)).all()
            if not docs:
                return done
            ids = [d.id for d in docs]
            rows = conn.execute(select(doc_chunks.c.id, doc_chunks.c.document_id, doc_chunks.c.n).where(
                doc_chunks.c.document_id.in_(ids))).all()
            parts = {d.id: chunks(d.body) for d in docs}  # the indexed texts, cut again (not stored twice)
            if rows:
                vecs = embed.embed([parts[r.document_id][r.n] for r in rows], home)
                conn.execute(update(doc_chunks).where(doc_chunks.c.id == bindparam("cid"))
                             .values(vec=bindparam("v")),
                             [{"cid": r.id, "v": embed.to_bytes(v)} for r, v in zip(rows, vecs, strict=True)])
            ents: list[dict[str, object]] = []
            for d in docs:
                found = entities.find(d.body)
                links = entities.link(conn, found) if found else {}
                ents.extend({"document_id": d.id, "kind": e.kind, "norm": e.norm, "collection_id": c.id,
                             "value": e.value, "linked": links.get((e.kind, e.norm))} for e in found)
            if ents:
                conn.execute(insert(doc_entities), ents)
            by_doc: dict[int, list[object]] = {}
            for r, v in zip(rows, vecs if rows else [], strict=False):
                by_doc.setdefault(r.document_id, []).append(v)
            triage.score_documents(conn, c.id, [(d.id, d.body) for d in docs], by_doc, home)
            conn.execute(update(documents).where(documents.c.id.in_(ids)).values(stage="done"))
        done += len(docs)
        if on_batch:
            on_batch(len(docs))
