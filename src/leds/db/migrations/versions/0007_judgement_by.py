"""who made a judgement: 128 characters, like the audit trail's actor (a principal id is
"user:" and a username of up to 64 characters, which did not fit in 64)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot change a column's type in place (it copies the table);
    # PostgreSQL alters it directly.
    with op.batch_alter_table("judgements") as batch:
        batch.alter_column("by", type_=sa.String(128), existing_type=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("judgements") as batch:
        batch.alter_column("by", type_=sa.String(64), existing_type=sa.String(128), existing_nullable=False)
