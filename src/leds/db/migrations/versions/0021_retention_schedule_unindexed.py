"""retention: the schedule loses its index on ``(review_on, force)``.  No question the schedule
is asked could use it: a record's due date is the reviewer's next date when there is one, else
the rule's (``retention.review._due_on``, a CASE over a join), so every summary and queue
scanned the whole index in date order; a force's own records are now read as a range of the
primary key (a record key begins with its force).  The index was the costliest part of the
retention projector's writing on ingest (a second copy of every record key, in date order):
bench/bench_retention.py, "ingest cost".

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_retention_schedule_review_on", table_name="retention_schedule")


def downgrade() -> None:
    op.create_index("ix_retention_schedule_review_on", "retention_schedule", ["review_on", "force"])
