"""sharing: the tables of the sharing domain (leds.sharing): the register of data sharing
agreements, their exports, and open data's published map points.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sharing_agreements",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("discloser_force", sa.String(8), nullable=True),
        sa.Column("review_date", sa.String(10), nullable=False),
        sa.Column("expires", sa.String(10), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("approved_by", sa.String(128), nullable=True),
        sa.Column("approved_at", sa.String(32), nullable=True),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agreements")),
    )
    op.create_index("ix_sharing_agreements_state", "sharing_agreements", ["state", "review_date"])
    op.create_table(
        "sharing_exports",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("agreement_id", sa.String(40), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("out_dir", sa.Text(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("suppressed", sa.Integer(), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_exports")),
    )
    op.create_index("ix_sharing_exports_agreement", "sharing_exports", ["agreement_id", "at"])
    op.create_table(
        "opendata_points",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("area_code", sa.String(12), nullable=False),
        sa.Column("area_name", sa.String(100), nullable=False),
        sa.Column("street", sa.String(200), nullable=True),
        sa.Column("addresses", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_points")),
    )
    op.create_index("ix_opendata_points_area", "opendata_points", ["area_code"])


def downgrade() -> None:
    op.drop_index("ix_opendata_points_area", table_name="opendata_points")
    op.drop_table("opendata_points")
    op.drop_index("ix_sharing_exports_agreement", table_name="sharing_exports")
    op.drop_table("sharing_exports")
    op.drop_index("ix_sharing_agreements_state", table_name="sharing_agreements")
    op.drop_table("sharing_agreements")
