"""audit trail (s62 DPA 2018): hash-chained entries, subjects, signed checkpoints, flags, signals

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", BigId, autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("partner", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_actor_at", "audit_entries", ["actor", "at"])
    op.create_index("ix_audit_entries_partner", "audit_entries", ["partner"])
    op.create_index("ix_audit_entries_at", "audit_entries", ["at"])

    op.create_table(
        "audit_subjects",
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "subject_key", name="pk_audit_subjects"),
    )
    op.create_index("ix_audit_subjects_subject_key", "audit_subjects", ["subject_key", "entry_id"])

    op.create_table(
        "audit_checkpoints",
        sa.Column("id", BigId, autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_checkpoints"),
    )

    op.create_table(
        "audit_flags",
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.Column("flagged_by", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("flagged_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("subject_key", name="pk_audit_flags"),
    )

    op.create_table(
        "audit_signals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("subject_key", sa.String(length=200), nullable=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("raised_at", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("dedupe", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_signals"),
        sa.UniqueConstraint("dedupe", name="uq_audit_signals_dedupe"),
    )
    op.create_index("ix_audit_signals_actor", "audit_signals", ["actor"])


def downgrade() -> None:
    op.drop_index("ix_audit_signals_actor", table_name="audit_signals")
    op.drop_table("audit_signals")
    op.drop_table("audit_flags")
    op.drop_table("audit_checkpoints")
    op.drop_index("ix_audit_subjects_subject_key", table_name="audit_subjects")
    op.drop_table("audit_subjects")
    op.drop_index("ix_audit_entries_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_partner", table_name="audit_entries")
    op.drop_index("ix_audit_entries_actor_at", table_name="audit_entries")
    op.drop_table("audit_entries")
