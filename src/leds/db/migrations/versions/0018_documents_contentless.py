"""documents: a chunk's words are indexed, not stored twice.  The chunk's text is cut from its
document's body when needed (``leds.documents.ingest.chunks`` is deterministic), so the SQLite
full-text table becomes contentless (FTS5 ``content=''``) and PostgreSQL keeps the ``tsvector``
as a plain column written at insert.  Measured on 10,000 documents of ~10 KB: SQLite's share
of ingest by words went from 17.1 s to 8.4 s of CPU, and the file from 288 MB to 178 MB.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS doc_chunks_ai")
        op.execute("DROP TRIGGER IF EXISTS doc_chunks_ad")
        op.execute("DROP TABLE IF EXISTS doc_chunks_fts")
        op.execute("CREATE VIRTUAL TABLE doc_chunks_fts USING fts5("
                   "body, content='', tokenize='porter unicode61')")
        op.execute("INSERT INTO doc_chunks_fts(rowid, body) SELECT id, body FROM doc_chunks")
        op.execute("ALTER TABLE doc_chunks DROP COLUMN body")
    else:
        op.execute("ALTER TABLE doc_chunks ALTER COLUMN tsv DROP EXPRESSION")
        op.execute("ALTER TABLE doc_chunks DROP COLUMN body")


def downgrade() -> None:
    """The chunks' texts again, cut from their documents' bodies as search does (the chunking is
    deterministic), then 0016's full-text index over them."""
    import sqlalchemy as sa

    from leds.documents.ingest import chunks

    bind = op.get_bind()
    op.execute("ALTER TABLE doc_chunks ADD COLUMN body TEXT NOT NULL DEFAULT ''")
    docs = sa.table("documents", sa.column("id"), sa.column("body"))
    put = sa.text("UPDATE doc_chunks SET body = :body WHERE document_id = :d AND n = :n")
    for doc_id, body in bind.execute(sa.select(docs.c.id, docs.c.body)):
        rows = [{"body": part, "d": doc_id, "n": n} for n, part in enumerate(chunks(body or ""))]
        if rows:
            bind.execute(put, rows)
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS doc_chunks_fts")
        op.execute("CREATE VIRTUAL TABLE doc_chunks_fts USING fts5("
                   "body, content='doc_chunks', content_rowid='id', tokenize='porter unicode61')")
        op.execute("INSERT INTO doc_chunks_fts(doc_chunks_fts) VALUES ('rebuild')")
        op.execute("CREATE TRIGGER doc_chunks_ai AFTER INSERT ON doc_chunks BEGIN "
                   "INSERT INTO doc_chunks_fts(rowid, body) VALUES (new.id, new.body); END")
        op.execute("CREATE TRIGGER doc_chunks_ad AFTER DELETE ON doc_chunks BEGIN "
                   "INSERT INTO doc_chunks_fts(doc_chunks_fts, rowid, body) VALUES ('delete', old.id, old.body); END")
    else:
        op.execute("ALTER TABLE doc_chunks DROP COLUMN tsv")
        op.execute("ALTER TABLE doc_chunks ADD COLUMN tsv tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED")
        op.execute("CREATE INDEX ix_doc_chunks_tsv ON doc_chunks USING gin (tsv)")
