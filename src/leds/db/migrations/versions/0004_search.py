"""search indexes: names with phonetic codes, dates of birth, descriptive keys, postcodes,
VRM confusable keys, and full text (SQLite FTS5; PostgreSQL tsvector + pg_trgm)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "search_names",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("family", sa.String(100), nullable=False),
        sa.Column("given", sa.String(200), nullable=False),
        sa.Column("family_ph", sa.String(40), nullable=False),
        sa.Column("given_ph", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("rkey", "n", name=op.f("pk_search_names")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_names_family", "search_names", ["family", "given"])
    op.create_index("ix_search_names_family_ph", "search_names", ["family_ph", "given_ph"])
    op.create_table(
        "search_persons",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("sex", sa.String(1)),
        sa.Column("height_cm", sa.Integer()),
        sa.Column("pnc", sa.String(16)),
        sa.Column("cro", sa.String(16)),
        sa.PrimaryKeyConstraint("rkey", name=op.f("pk_search_persons")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_persons_pnc", "search_persons", ["pnc"])
    op.create_index("ix_search_persons_cro", "search_persons", ["cro"])
    op.create_table(
        "search_dobs",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("dob", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("rkey", "dob", name=op.f("pk_search_dobs")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_dobs_dob", "search_dobs", ["dob"])
    op.create_table(
        "search_places",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("postcode", sa.String(8), nullable=False),
        sa.Column("district", sa.String(4), nullable=False),
        sa.PrimaryKeyConstraint("rkey", name=op.f("pk_search_places")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_places_postcode", "search_places", ["postcode"])
    op.create_index("ix_search_places_district", "search_places", ["district"])
    op.create_table(
        "search_vehicles",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("vrm", sa.String(16), nullable=False),
        sa.Column("vrm_key", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("rkey", name=op.f("pk_search_vehicles")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_vehicles_vrm_key", "search_vehicles", ["vrm_key"])
    op.create_table(
        "search_text",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_text")),
    )
    op.create_index("ix_search_text_rkey", "search_text", ["rkey"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_text_fts USING fts5("
                   "body, content='search_text', content_rowid='id', tokenize='porter unicode61')")
        op.execute("CREATE TRIGGER search_text_ai AFTER INSERT ON search_text BEGIN "
                   "INSERT INTO search_text_fts(rowid, body) VALUES (new.id, new.body); END")
        op.execute("CREATE TRIGGER search_text_ad AFTER DELETE ON search_text BEGIN "
                   "INSERT INTO search_text_fts(search_text_fts, rowid, body) VALUES ('delete', old.id, old.body); END")
        op.execute("CREATE TRIGGER search_text_au AFTER UPDATE ON search_text BEGIN "
                   "INSERT INTO search_text_fts(search_text_fts, rowid, body) VALUES ('delete', old.id, old.body); "
                   "INSERT INTO search_text_fts(rowid, body) VALUES (new.id, new.body); END")
    else:
        op.execute("ALTER TABLE search_text ADD COLUMN tsv tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED")
        op.execute("CREATE INDEX ix_search_text_tsv ON search_text USING gin (tsv)")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_search_text_trgm ON search_text USING gin (body gin_trgm_ops)")
    # A store that already holds records gets its index built from their current state.
    from leds.search.projector import backfill

    backfill(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_text_fts")
    for t in ("search_text", "search_vehicles", "search_places", "search_dobs", "search_persons", "search_names"):
        op.drop_table(t)
