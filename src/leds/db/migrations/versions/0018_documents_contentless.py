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
    raise NotImplementedError("the chunks' texts are not stored; re-ingest the collections after a downgrade")
