"""Document search's web pages: the caller's collections, a collection's search (with
facets and progress), one document (its entities and the records they link to), and the
triage queue.  A case team opens its own case's material: the look-up is made for the
purpose "investigation" with the collection's case reference, and audited so."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leds.access.deps import app_engine, app_settings, audit_sink
from leds.access.lookup import Lookup
from leds.errors import LedsError
from leds.web.errors import error_page
from leds.web.render import CONTROL, render
from leds.web.session import WebUser, current_user

from . import cases, service
from .search import Filters

router = APIRouter(include_in_schema=False)
PURPOSE = "investigation"
TYPES = ("email", "text", "html", "pdf", "docx", "xlsx", "chat", "mbox", "zip")


def _lookup(request: Request, me: WebUser, collection: str) -> Lookup:
    with app_engine(request).connect() as conn:
        c = cases.by_name(conn, collection)
    return Lookup(me.principal, PURPOSE, c.case_ref if c else f"collection {collection[:100]}",
                  audit_sink(app_settings(request)))


def _gate(request: Request) -> WebUser | Response:
    me = current_user(request)
    if not me.may(cases.ACTION):
        return error_page(request, 403, "Your role does not allow you to search case documents.")
    return me


def _clean(value: str | None, limit: int = 200) -> str:
    v = (value or "").strip()[:limit]
    return "" if CONTROL.search(v) else v


@router.get("/documents")
def home_page(request: Request) -> Response:
    me = _gate(request)
    if isinstance(me, Response):
        return me
    with app_engine(request).connect() as conn:
        mine = cases.team_collections(conn, me.principal)
    return render(request, "documents_home.html", me=me, title="Case documents", collections=mine)


@router.get("/documents/{collection}")
def collection_page(request: Request, collection: str) -> Response:
    me = _gate(request)
    if isinstance(me, Response):
        return me
    qp = request.query_params
    q = _clean(qp.get("q"), 1000)
    f = Filters(_clean(qp.get("from"), 10) or None, _clean(qp.get("to"), 10) or None,
                tuple(t for t in qp.getlist("type") if t in TYPES), _clean(qp.get("person")) or None)
    lk = _lookup(request, me, collection[:100])
    home = app_settings(request).home
    with app_engine(request).connect() as conn:
        status = service.status(conn, lk, collection)
        facets = service.facets(conn, lk, collection)
        found = service.search_documents(conn, lk, collection, q, limit=20, filters=f, home=home) if q else None
    return render(request, "documents_collection.html", me=me, title=status["title"], c=status, facets=facets,
                  found=found, q=q, f=f, types=TYPES, selected=set(f.types))


@router.get("/documents/{collection}/queue")
def queue_page(request: Request, collection: str) -> Response:
    me = _gate(request)
    if isinstance(me, Response):
        return me
    reveal = request.query_params.get("reveal") == "1"
    lk = _lookup(request, me, collection[:100])
    with app_engine(request).connect() as conn:
        status = service.status(conn, lk, collection)
        q = service.triage_queue(conn, lk, collection, reveal=reveal, per_category=25)
    return render(request, "documents_queue.html", me=me, title="Triage queue", c=status, queue=q, reveal=reveal)


@router.get("/documents/{collection}/{document_id:int}")
def document_page(request: Request, collection: str, document_id: int) -> Response:
    me = _gate(request)
    if isinstance(me, Response):
        return me
    lk = _lookup(request, me, collection[:100])
    try:
        with app_engine(request).connect() as conn:
            d: dict[str, Any] = service.open_document(conn, lk, collection, document_id)
    except LedsError:
        raise
    return render(request, "documents_document.html", me=me, title=d["document"], d=d)
