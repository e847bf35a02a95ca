"""anpr: the ingested-file ledger, reads kept aside and model versions (leds.anpr).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "anpr_files",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("loaded_at", sa.String(32), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("by_reason", sa.Text(), nullable=False),
        sa.Column("days", sa.Text(), nullable=False),
    )
    op.create_table(
        "anpr_rejected",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("read_id", sa.String(100)),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("kept_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_anpr_rejected_file", "anpr_rejected", ["file_sha256"])
    op.create_table(
        "anpr_models",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("algorithm", sa.String(40), nullable=False),
        sa.Column("path", sa.String(400), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("anpr_models")
    op.drop_index("ix_anpr_rejected_file", table_name="anpr_rejected")
    op.drop_table("anpr_rejected")
    op.drop_table("anpr_files")
