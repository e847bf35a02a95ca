"""retention: the schedule loses its index on ``rules_version``.  Every row carries the rule
table's version, so the index was a second copy of every record key, written on every ingest
(about a third of the retention projector's writing, bench/bench_retention.py); only
``leds retention reschedule`` asked it anything, once per run, and that question (is any row
scheduled under an older rule table?) is now a scan, as the re-schedule itself already is.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_retention_schedule_rules_version", table_name="retention_schedule")


def downgrade() -> None:
    op.create_index("ix_retention_schedule_rules_version", "retention_schedule", ["rules_version"])
