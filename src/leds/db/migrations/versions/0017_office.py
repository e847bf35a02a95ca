"""office: the data office's portal (leds.office): maturity frameworks, rounds, answers and
targets; commissioning requests, scores and the decision log; benefit profiles and measurements;
delivery objectives and risks.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "office_frameworks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "office_rounds",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("framework_id", sa.String(64), nullable=False),
        sa.Column("framework_version", sa.Integer(), nullable=False),
        sa.Column("force", sa.String(8), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("submitted_at", sa.String(32)),
        sa.Column("submitted_by", sa.String(64)),
        sa.UniqueConstraint("framework_id", "force", "label", name="uq_office_rounds_force_label"),
    )
    op.create_index("ix_office_rounds_framework_status", "office_rounds", ["framework_id", "status", "force"])
    op.create_table(
        "office_answers",
        sa.Column("round_id", sa.BigInteger(), primary_key=True),
        sa.Column("question", sa.String(64), primary_key=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("link", sa.String(500)),
        sa.Column("answered_by", sa.String(64), nullable=False),
        sa.Column("answered_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "office_targets",
        sa.Column("framework_id", sa.String(64), primary_key=True),
        sa.Column("force", sa.String(8), primary_key=True),
        sa.Column("topic", sa.String(64), primary_key=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("by_date", sa.String(10), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "office_requests",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("force", sa.String(8), nullable=False),
        sa.Column("portfolio", sa.String(120), nullable=False),
        sa.Column("priority", sa.String(12), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16)),
        sa.Column("duplicate_of", sa.BigInteger()),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "office_scores",
        sa.Column("request_id", sa.BigInteger(), primary_key=True),
        sa.Column("criterion", sa.String(40), primary_key=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("assessor", sa.String(64), nullable=False),
        sa.Column("scored_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "office_decisions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_index("ix_office_decisions_request", "office_decisions", ["request_id", "id"])
    op.create_table(
        "office_benefits",
        sa.Column("ref", sa.String(16), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("measure", sa.String(300), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("calculation", sa.Text(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("stage", sa.String(200), nullable=False),
        sa.Column("rag", sa.String(8), nullable=False),
        sa.Column("computed", sa.String(40)),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "office_measurements",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("benefit", sa.String(16), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
    )
    op.create_index("ix_office_measurements_benefit", "office_measurements", ["benefit", "day"])
    op.create_table(
        "office_objectives",
        sa.Column("ref", sa.String(16), primary_key=True),
        sa.Column("strand", sa.String(80), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("rag", sa.String(8), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("due", sa.String(10)),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "office_risks",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("objective", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("mitigation", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("office_risks")
    op.drop_table("office_objectives")
    op.drop_table("office_measurements")
    op.drop_table("office_benefits")
    op.drop_table("office_decisions")
    op.drop_table("office_scores")
    op.drop_table("office_requests")
    op.drop_table("office_targets")
    op.drop_table("office_answers")
    op.drop_table("office_rounds")
    op.drop_table("office_frameworks")
