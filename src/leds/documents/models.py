"""Request and response shapes of document search's API."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from leds.standard.validators import date_text


class Mode(StrEnum):
    hybrid = "hybrid"
    bm25 = "bm25"
    vector = "vector"


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    collection: str = Field(min_length=1, max_length=100)
    query: str = Field(min_length=1, max_length=1000)
    limit: int = Field(10, ge=1, le=200)
    mode: Mode = Mode.hybrid
    date_from: Annotated[date, BeforeValidator(date_text)] | None = None
    date_to: Annotated[date, BeforeValidator(date_text)] | None = None
    types: list[str] = Field(default_factory=list, max_length=10)
    person: str | None = Field(None, max_length=200)
    purpose: str = Field(max_length=40, description="Reason code (see GET /api/v1/purposes).")
    reason: str | None = Field(None, max_length=500, description="The case reference.")


class Progress(BaseModel):
    documents: int
    searchable_by_words: int
    fully_processed: int


class Hit(BaseModel):
    id: int
    document: str
    score: float
    snippet: str = Field(description="HTML-escaped text with the query's words in <mark>.")
    title: str
    type: str
    date: str | None
    parent_id: int | None


class SearchAnswer(BaseModel):
    collection: str
    case_ref: str
    results: list[Hit]
    progress: Progress


class CollectionInfo(BaseModel):
    name: str
    title: str
    case_ref: str
    handling: str


class Link(BaseModel):
    href: str
    person_id: str | None = None
    rkey: str | None = None


class EntityOut(BaseModel):
    kind: str
    value: str
    norm: str
    link: Link | None


class DocRef(BaseModel):
    id: int
    document: str


class DocumentOut(BaseModel):
    collection: str
    case_ref: str
    id: int
    document: str
    title: str
    path: str
    type: str
    date: str | None
    size: int
    sha256: str
    stage: str
    text: str
    parent: DocRef | None
    attachments: list[DocRef]
    entities: list[EntityOut]


class QueueItem(BaseModel):
    id: int
    document: str
    title: str | None
    score: float
    preview: str | None = Field(description="None for a sensitive category unless reveal=true.")


class QueueCategory(BaseModel):
    category: str
    sensitive: bool
    items: list[QueueItem]
