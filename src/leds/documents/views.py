"""API routes of document search (``/api/v1/documents``), on the one look-up gate: the
caller's collections, search, a document with its entities, facets, the triage queue.
Every route applies the collection's team and handling level (:mod:`.cases`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from leds.access.deps import (
    CallerDep,
    Gate,
    app_engine,
    errors_documented,
    gate,
    json_answer,
    looking_up,
    small_body,
)

from . import cases, service
from .models import CollectionInfo, DocumentOut, QueueCategory, SearchAnswer, SearchRequest
from .search import Filters

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])
ACTION = cases.ACTION
Name = Annotated[str, Path(min_length=1, max_length=100, description="The collection's name.")]


@router.get("/collections", summary="The collections the caller is on the team of",
            response_model=list[CollectionInfo], responses=errors_documented(401, 422))
def my_collections(who: CallerDep, engine: Annotated[Any, Depends(app_engine)]) -> Response:
    with engine.connect() as conn:
        return json_answer([{"name": c.name, "title": c.title, "case_ref": c.case_ref, "handling": c.handling}
                            for c in cases.team_collections(conn, who.principal)])


@router.post("/search", summary="Hybrid search (BM25 and embeddings, fused) in one collection",
             response_model=SearchAnswer, dependencies=[Depends(small_body)],
             responses=errors_documented(400, 401, 403, 413, 422))
def search_route(body: SearchRequest, g: Annotated[Gate, Depends(gate(ACTION))]) -> Response:
    f = Filters(body.date_from.isoformat() if body.date_from else None,
                body.date_to.isoformat() if body.date_to else None, tuple(t[:16] for t in body.types), body.person)
    return json_answer(g.run(lambda conn, lk: service.search_documents(
        conn, lk, body.collection, body.query, limit=body.limit, filters=f, mode=body.mode.value,
        home=g.settings.home), body.purpose, body.reason))


@router.get("/{collection}/documents/{document_id}", summary="One document, its entities and their links",
            response_model=DocumentOut, responses=errors_documented(400, 401, 403, 404, 422))
def open_route(collection: Name, document_id: Annotated[int, Path(ge=1, le=2**53)],
               g: Annotated[Gate, Depends(looking_up(ACTION))]) -> Response:
    return json_answer(g.run(lambda conn, lk: service.open_document(conn, lk, collection, document_id)))


@router.get("/{collection}/queue", summary="The triage queue: each category's documents, best first",
            response_model=list[QueueCategory], responses=errors_documented(400, 401, 403, 422))
def queue_route(collection: Name, g: Annotated[Gate, Depends(looking_up(ACTION))],
                reveal: Annotated[bool, Query(description="Previews of sensitive categories too.")] = False
                ) -> Response:
    return json_answer(g.run(lambda conn, lk: service.triage_queue(conn, lk, collection, reveal=reveal)))
