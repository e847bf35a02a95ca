"""quality: data-quality facts, counters and failure history (leds.quality), imported
data.police.uk files (leds.opendata) and saved user reports (leds.reports).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quality_facts",
        sa.Column("rkey", sa.String(200), primary_key=True),
        sa.Column("force", sa.String(8), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "quality_counts",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("force", sa.String(8), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("rule", sa.String(48), primary_key=True),
        sa.Column("passed", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "quality_failures",
        sa.Column("rule", sa.String(48), primary_key=True),
        sa.Column("rkey", sa.String(200), primary_key=True),
        sa.Column("opened", sa.String(10), primary_key=True),
        sa.Column("force", sa.String(8), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("resolved", sa.String(10)),
        sa.Column("detail", sa.String(200)),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_quality_failures_rule_force", "quality_failures", ["rule", "force", "resolved"])
    op.create_table(
        "quality_quarantined",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("force", sa.String(8), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "opendata_imports",
        sa.Column("batch", sa.String(120), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "opendata_street",
        sa.Column("batch", sa.String(120), primary_key=True),
        sa.Column("line_no", sa.Integer(), primary_key=True),
        sa.Column("crime_id", sa.String(64)),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("reported_by", sa.String(64), nullable=False),
        sa.Column("falls_within", sa.String(64), nullable=False),
        sa.Column("lon", sa.Float()),
        sa.Column("lat", sa.Float()),
        sa.Column("location", sa.String(200)),
        sa.Column("lsoa_code", sa.String(12)),
        sa.Column("lsoa_name", sa.String(100)),
        sa.Column("crime_type", sa.String(64), nullable=False),
        sa.Column("last_outcome", sa.String(120)),
        sa.Column("context", sa.Text()),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_opendata_street_month", "opendata_street", ["month", "falls_within"])
    op.create_table(
        "opendata_outcomes",
        sa.Column("batch", sa.String(120), primary_key=True),
        sa.Column("line_no", sa.Integer(), primary_key=True),
        sa.Column("crime_id", sa.String(64)),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("reported_by", sa.String(64), nullable=False),
        sa.Column("falls_within", sa.String(64), nullable=False),
        sa.Column("lon", sa.Float()),
        sa.Column("lat", sa.Float()),
        sa.Column("location", sa.String(200)),
        sa.Column("lsoa_code", sa.String(12)),
        sa.Column("lsoa_name", sa.String(100)),
        sa.Column("outcome_type", sa.String(120), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "opendata_stop_search",
        sa.Column("batch", sa.String(120), primary_key=True),
        sa.Column("line_no", sa.Integer(), primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("date", sa.String(32), nullable=False),
        sa.Column("part_of_operation", sa.String(8)),
        sa.Column("operation", sa.String(200)),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("gender", sa.String(16)),
        sa.Column("age_range", sa.String(16)),
        sa.Column("self_ethnicity", sa.String(120)),
        sa.Column("officer_ethnicity", sa.String(40)),
        sa.Column("legislation", sa.String(120)),
        sa.Column("object", sa.String(120)),
        sa.Column("outcome", sa.String(120)),
        sa.Column("outcome_linked", sa.String(8)),
        sa.Column("removal", sa.String(8)),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_opendata_stop_search_force_month", "opendata_stop_search", ["force", "month"])
    op.create_table(
        "opendata_population",
        sa.Column("force", sa.String(64), primary_key=True),
        sa.Column("ethnicity", sa.String(40), primary_key=True),
        sa.Column("population", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "saved_reports",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("schedule", sa.String(8), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("next_run_at", sa.String(32)),
    )
    op.create_table(
        "report_runs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
    )
    op.create_index("ix_report_runs_report_id", "report_runs", ["report_id"])


def downgrade() -> None:
    op.drop_table("report_runs")
    op.drop_table("saved_reports")
    op.drop_table("opendata_population")
    op.drop_table("opendata_stop_search")
    op.drop_table("opendata_outcomes")
    op.drop_table("opendata_street")
    op.drop_table("opendata_imports")
    op.drop_table("quality_quarantined")
    op.drop_table("quality_failures")
    op.drop_table("quality_counts")
    op.drop_table("quality_facts")
