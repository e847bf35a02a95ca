"""retention: the tables of the retention domain (leds.retention): review schedule, review
decisions, restrictions, legal holds, data subjects' requests, erasure receipts.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "retention_schedule",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("force", sa.String(8), nullable=False),
        sa.Column("rtype", sa.String(16), nullable=False),
        sa.Column("dataset", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(40), nullable=True),
        sa.Column("offence_class", sa.String(24), nullable=True),
        sa.Column("basis", sa.String(10), nullable=False),
        sa.Column("age100", sa.String(10), nullable=True),
        sa.Column("review_group", sa.String(12), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("rules_version", sa.String(16), nullable=False),
        sa.Column("review_on", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("rkey", name=op.f("pk_retention_schedule")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_retention_schedule_review_on", "retention_schedule", ["review_on", "force"])
    op.create_index("ix_retention_schedule_rules_version", "retention_schedule", ["rules_version"])
    op.create_table(
        "retention_reviews",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("decision", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("next_review", sa.String(10), nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=False),
        sa.Column("decided_at", sa.String(32), nullable=False),
        sa.Column("disposed_at", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("rkey", name=op.f("pk_retention_reviews")),
    )
    op.create_index("ix_retention_reviews_decision", "retention_reviews", ["decision"])
    op.create_table(
        "retention_restrictions",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("grounds", sa.String(24), nullable=False),
        sa.Column("since", sa.String(32), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("rkey", name=op.f("pk_retention_restrictions")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "retention_holds",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("authority", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.String(32), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("rkey", name=op.f("pk_retention_holds")),
    )
    op.create_table(
        "rights_requests",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("person_id", sa.String(200), nullable=False),
        sa.Column("rkey", sa.String(200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("due_on", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("owning_force", sa.String(8), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.String(32), nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("corrected_sequence", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_requests")),
    )
    op.create_index("ix_rights_requests_status_due", "rights_requests", ["status", "due_on"])
    op.create_table(
        "erasure_receipts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_receipts")),
    )


def downgrade() -> None:
    for name in ("erasure_receipts", "rights_requests", "retention_holds", "retention_restrictions",
                 "retention_reviews", "retention_schedule"):
        op.drop_table(name)
