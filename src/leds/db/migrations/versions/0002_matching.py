"""matching: models, runs, national person ids, judgements, identity log

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "match_models",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_match_models")),
    )
    op.create_table(
        "match_runs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32), nullable=True),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_runs")),
    )
    op.create_table(
        "person_ids",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("person_id", sa.String(16), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("assigned_by", sa.String(16), nullable=False),
        sa.Column("assigned_at", sa.String(32), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("rkey", name=op.f("pk_person_ids")),
    )
    op.create_index("ix_person_ids_person_id", "person_ids", ["person_id"])
    op.create_table(
        "match_keys",
        sa.Column("key", sa.String(240), nullable=False),
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("key", "rkey", name=op.f("pk_match_keys")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "match_review",
        sa.Column("rkey_a", sa.String(200), nullable=False),
        sa.Column("rkey_b", sa.String(200), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("rkey_a", "rkey_b", name=op.f("pk_match_review")),
    )
    op.create_table(
        "judgements",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("rkey_a", sa.String(200), nullable=False),
        sa.Column("rkey_b", sa.String(200), nullable=False),
        sa.Column("verdict", sa.String(12), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgements")),
    )
    op.create_index("ix_judgements_pair", "judgements", ["rkey_a", "rkey_b"])
    op.create_table(
        "identity_log",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("person_ids", sa.Text(), nullable=False),
        sa.Column("rkeys", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("judgement_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_log")),
    )
    op.create_index("ix_identity_log_kind", "identity_log", ["kind"])


def downgrade() -> None:
    for name in ("identity_log", "judgements", "match_review", "match_keys", "person_ids", "match_runs",
                 "match_models"):
        op.drop_table(name)
