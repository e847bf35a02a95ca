"""search persons carry their record's access columns (force, dataset, handling, sharing)
and first name, so a descriptive search filters, counts and orders its candidates from
this one small table instead of reading every candidate's record

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = (("force", 8), ("dataset", 32), ("handling", 24), ("sharing", 8), ("family", 100), ("given", 200))


def upgrade() -> None:
    for name, size in COLUMNS:
        op.add_column("search_persons", sa.Column(name, sa.String(size)))
    # A store that already holds an index: copy each record's access columns, and its
    # first name row (UPDATE ... FROM: SQLite 3.33 and later, and PostgreSQL).
    op.execute("UPDATE search_persons SET force = r.force, dataset = r.dataset, handling = r.handling, "
               "sharing = r.sharing FROM records r WHERE r.rkey = search_persons.rkey")
    op.execute("UPDATE search_persons SET family = n.family, given = n.given "
               "FROM search_names n WHERE n.rkey = search_persons.rkey AND n.n = 0")


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("search_persons", name)
