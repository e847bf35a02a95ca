"""missing: episodes and their versions (projections), sightings, protocols and unidentified
people (leds.missing)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
S = sa.String
# The live view's covering index (see leds.missing.tables).
LIVE_VIEW_COLUMNS = ("reported_at", "force", "dataset", "handling", "sharing", "subject", "risk", "status",
                     "last_seen_at", "reviewed_at", "age", "child", "found_at", "hours_missing", "rhi_at", "source")


def upgrade() -> None:
    op.create_table(
        "missing_episodes",
        sa.Column("rkey", S(200), nullable=False),
        sa.Column("force", S(8), nullable=False),
        sa.Column("source", S(64), nullable=False),
        sa.Column("dataset", S(32), nullable=False),
        sa.Column("handling", S(24), nullable=False),
        sa.Column("sharing", S(8), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("subject", S(200), nullable=False),
        sa.Column("risk", S(12), nullable=False),
        sa.Column("status", S(8), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("reported_at", S(32), nullable=False),
        sa.Column("last_seen_at", S(32)),
        sa.Column("reviewed_at", S(32), nullable=False),
        sa.Column("found_at", S(32)),
        sa.Column("found_force", S(8)),
        sa.Column("hours_missing", sa.Integer()),
        sa.Column("age", sa.Integer()),
        sa.Column("child", sa.Boolean(), nullable=False),
        sa.Column("vulnerabilities", sa.Text(), nullable=False),
        sa.Column("rhi_at", S(32)),
        sa.Column("rhi_due", S(32)),
        sa.PrimaryKeyConstraint("rkey", name=op.f("pk_missing_episodes")),
        sqlite_with_rowid=False,
    )
    live = sa.text("live IS 1") if op.get_bind().dialect.name == "sqlite" else sa.text("live IS true")
    op.create_index("ix_missing_episodes_live", "missing_episodes", ["live", *LIVE_VIEW_COLUMNS],
                    sqlite_where=live, postgresql_where=live)
    op.create_index("ix_missing_episodes_subject", "missing_episodes",
                    ["subject", "live", "dataset", "handling", "force", "sharing"])
    op.create_index("ix_missing_episodes_rhi_due", "missing_episodes", ["rhi_due"])
    op.create_table(
        "missing_versions",
        sa.Column("force", S(8), nullable=False),
        sa.Column("source", S(64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("rkey", S(200), nullable=False),
        sa.Column("issued_at", S(32), nullable=False),
        sa.Column("op", S(8), nullable=False),
        sa.Column("status", S(8)),
        sa.Column("risk", S(12)),
        sa.Column("recorded_by", S(200)),
        sa.Column("rationale", sa.Text()),
        sa.PrimaryKeyConstraint("force", "source", "sequence", name=op.f("pk_missing_versions")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_missing_versions_rkey", "missing_versions", ["rkey"])
    op.create_table(
        "missing_tallies",
        sa.Column("force", S(8), nullable=False),
        sa.Column("dataset", S(32), nullable=False),
        sa.Column("handling", S(24), nullable=False),
        sa.Column("sharing", S(8), nullable=False),
        sa.Column("dim", S(8), nullable=False),
        sa.Column("value", S(16), nullable=False),
        sa.Column("status", S(8), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("force", "dataset", "handling", "sharing", "dim", "value", "status",
                                name=op.f("pk_missing_tallies")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "missing_sightings",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("episode", S(200), nullable=False),
        sa.Column("at", S(32), nullable=False),
        sa.Column("by", S(128), nullable=False),
        sa.Column("force", S(8), nullable=False),
        sa.Column("kind", S(16), nullable=False),
        sa.Column("purpose", S(40), nullable=False),
    )
    op.create_index("ix_missing_sightings_episode", "missing_sightings", ["episode"])
    op.create_table(
        "missing_protocols",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", S(12), nullable=False),
        sa.Column("subject", S(200), nullable=False),
        sa.Column("force", S(8), nullable=False),
        sa.Column("lodged_by", S(128), nullable=False),
        sa.Column("lodged_at", S(32), nullable=False),
        sa.Column("consent", S(500), nullable=False),
        sa.Column("expires_on", S(10), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("withdrawn_at", S(32)),
    )
    op.create_index("ix_missing_protocols_subject", "missing_protocols", ["subject"])
    op.create_table(
        "missing_unidentified",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", S(8), nullable=False),
        sa.Column("found_at", S(32), nullable=False),
        sa.Column("force", S(8), nullable=False),
        sa.Column("place", S(200)),
        sa.Column("sex", S(1)),
        sa.Column("age_min", sa.Integer()),
        sa.Column("age_max", sa.Integer()),
        sa.Column("height_cm", sa.Integer()),
        sa.Column("description", sa.Text()),
        sa.Column("marks", sa.Text(), nullable=False),
        sa.Column("recorded_by", S(128), nullable=False),
        sa.Column("recorded_at", S(32), nullable=False),
    )
    # No backfill: missing_episode records arrive only once this migration has run.


def downgrade() -> None:
    for t in ("missing_unidentified", "missing_protocols", "missing_sightings", "missing_tallies", "missing_versions",
              "missing_episodes"):
        op.drop_table(t)
