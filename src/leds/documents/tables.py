"""The tables of document search (migrations 0016 and 0018).

* ``doc_collections`` and ``doc_team``: a case's material, its handling level and the
  team that may search it (user-owned state, not a projection of the log).
* ``documents``: one row per file, e-mail, attachment or chat export read, unique by
  content hash within a collection (so ingesting the same files twice adds nothing).
  ``parent_id`` ties an attachment to its e-mail and a member to its archive.
* ``doc_failures``: files that could not be read, with the reason.
* ``doc_chunks``: the searchable passages, chunk ``n`` of its document (the text is cut
  from the document's body by :func:`.ingest.chunks`, not stored twice); their words in
  SQLite FTS5 (``doc_chunks_fts``, contentless, rowid = chunk id) or a PostgreSQL
  ``tsvector`` (migrations 0016 and 0018); ``vec`` is the chunk's embedding (NULL until
  the background stage has reached it).
* ``doc_entities``: names, phones, e-mail addresses, VRMs, postcodes, PNC IDs and dates
  found in a document, with the leds record each links to where one does.
* ``doc_categories`` and ``doc_triage``: the team's triage categories and each
  document's score in each.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from leds.db.schema import BigId, metadata

doc_collections = Table(
    "doc_collections", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("case_ref", String(100), nullable=False),
    Column("handling", String(32), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
)

doc_team = Table(
    "doc_team", metadata,
    Column("collection_id", Integer, primary_key=True),
    Column("username", String(100), primary_key=True),
)

documents = Table(
    "documents", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("collection_id", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("path", Text, nullable=False),
    Column("doc_type", String(16), nullable=False),
    Column("size", Integer, nullable=False),
    Column("parent_id", BigId),
    Column("doc_date", String(10)),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("words", Integer, nullable=False),
    Column("added_at", String(32), nullable=False),
    Column("stage", String(8), nullable=False),  # "words" (searchable by words), then "done"
    UniqueConstraint("collection_id", "sha256", name="uq_documents_collection_sha256"),
)
Index("ix_documents_stage", documents.c.collection_id, documents.c.stage)
Index("ix_documents_parent", documents.c.parent_id)

doc_failures = Table(
    "doc_failures", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("collection_id", Integer, nullable=False),
    Column("key", String(64), nullable=False),  # sha256 of the path and reason: listed once
    Column("path", Text, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("detail", String(500), nullable=False),
    Column("at", String(32), nullable=False),
    UniqueConstraint("collection_id", "key", name="uq_doc_failures_collection_key"),
)

doc_chunks = Table(
    "doc_chunks", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("document_id", BigId, nullable=False),
    Column("collection_id", Integer, nullable=False),
    Column("n", Integer, nullable=False),
    Column("vec", LargeBinary),
)
Index("ix_doc_chunks_document", doc_chunks.c.document_id, doc_chunks.c.n)
Index("ix_doc_chunks_collection", doc_chunks.c.collection_id, doc_chunks.c.id)

doc_entities = Table(
    "doc_entities", metadata,
    Column("document_id", BigId, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("norm", String(200), primary_key=True),
    Column("collection_id", Integer, nullable=False),
    Column("value", String(200), nullable=False),
    Column("linked", String(200)),  # the leds record key it links to, where one does
)
Index("ix_doc_entities_kind", doc_entities.c.collection_id, doc_entities.c.kind, doc_entities.c.norm)
Index("ix_doc_entities_linked", doc_entities.c.linked)

doc_categories = Table(
    "doc_categories", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("collection_id", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("terms", Text, nullable=False),  # JSON list
    Column("examples", Text, nullable=False),  # JSON list
    Column("sensitive", Boolean, nullable=False),
    UniqueConstraint("collection_id", "name", name="uq_doc_categories_collection_name"),
)

doc_triage = Table(
    "doc_triage", metadata,
    Column("document_id", BigId, primary_key=True),
    Column("category_id", Integer, primary_key=True),
    Column("score", Float, nullable=False),
)
Index("ix_doc_triage_category", doc_triage.c.category_id, doc_triage.c.score)
