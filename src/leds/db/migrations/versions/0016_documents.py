"""documents: collections and their teams, documents, failures, chunks with full text
(SQLite FTS5; PostgreSQL tsvector) and embeddings, entities, triage categories and scores

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "doc_collections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("case_ref", sa.String(100), nullable=False),
        sa.Column("handling", sa.String(32), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doc_collections")),
        sa.UniqueConstraint("name", name=op.f("uq_doc_collections_name")),
    )
    op.create_table(
        "doc_team",
        sa.Column("collection_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("collection_id", "username", name=op.f("pk_doc_team")),
    )
    op.create_table(
        "documents",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("doc_type", sa.String(16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("parent_id", BigId),
        sa.Column("doc_date", sa.String(10)),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("collection_id", "sha256", name="uq_documents_collection_sha256"),
    )
    op.create_index("ix_documents_stage", "documents", ["collection_id", "stage"])
    op.create_index("ix_documents_parent", "documents", ["parent_id"])
    op.create_table(
        "doc_failures",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doc_failures")),
        sa.UniqueConstraint("collection_id", "key", name="uq_doc_failures_collection_key"),
    )
    op.create_table(
        "doc_chunks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("document_id", BigId, nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("vec", sa.LargeBinary()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doc_chunks")),
    )
    op.create_index("ix_doc_chunks_document", "doc_chunks", ["document_id", "n"])
    op.create_index("ix_doc_chunks_collection", "doc_chunks", ["collection_id", "id"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE doc_chunks_fts USING fts5("
                   "body, content='doc_chunks', content_rowid='id', tokenize='porter unicode61')")
        op.execute("CREATE TRIGGER doc_chunks_ai AFTER INSERT ON doc_chunks BEGIN "
                   "INSERT INTO doc_chunks_fts(rowid, body) VALUES (new.id, new.body); END")
        op.execute("CREATE TRIGGER doc_chunks_ad AFTER DELETE ON doc_chunks BEGIN "
                   "INSERT INTO doc_chunks_fts(doc_chunks_fts, rowid, body) VALUES ('delete', old.id, old.body); END")
    else:
        op.execute("ALTER TABLE doc_chunks ADD COLUMN tsv tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED")
        op.execute("CREATE INDEX ix_doc_chunks_tsv ON doc_chunks USING gin (tsv)")
    op.create_table(
        "doc_entities",
        sa.Column("document_id", BigId, autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("norm", sa.String(200), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("linked", sa.String(200)),
        sa.PrimaryKeyConstraint("document_id", "kind", "norm", name=op.f("pk_doc_entities")),
    )
    op.create_index("ix_doc_entities_kind", "doc_entities", ["collection_id", "kind", "norm"])
    op.create_index("ix_doc_entities_linked", "doc_entities", ["linked"])
    op.create_table(
        "doc_categories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("examples", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doc_categories")),
        sa.UniqueConstraint("collection_id", "name", name="uq_doc_categories_collection_name"),
    )
    op.create_table(
        "doc_triage",
        sa.Column("document_id", BigId, autoincrement=False, nullable=False),
        sa.Column("category_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "category_id", name=op.f("pk_doc_triage")),
    )
    op.create_index("ix_doc_triage_category", "doc_triage", ["category_id", "score"])


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS doc_chunks_fts")
    for t in ("doc_triage", "doc_categories", "doc_entities", "doc_chunks", "doc_failures", "documents",
              "doc_team", "doc_collections"):
        op.drop_table(t)
