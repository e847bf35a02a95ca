"""names by the first three letters of the family name and date of birth, so a descriptive
search by a surname prefix and an age range reads only the names in that age range
(the (family, given, ...) index can narrow such a search by the prefix only)

Two covering indexes on ``search_names``: ``(substr(family, 1, 3), dob_lo, ...)`` for the
records with one date of birth (most), and a partial one, ``(substr(family, 1, 3), dob_hi,
...)`` for the few with several (``dob_lo <> dob_hi``).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The same expression as leds.search.tables.FAMILY3 (a query must name it exactly so).
FAMILY3 = sa.text("substr(family, 1, 3)")


def upgrade() -> None:
    op.create_index("ix_search_names_family3_dob", "search_names",
                    [FAMILY3, "dob_lo", "family", "given", "dob_hi"])
    op.create_index("ix_search_names_family3_dobs", "search_names",
                    [FAMILY3, "dob_hi", "family", "given", "dob_lo"],
                    sqlite_where=sa.text("dob_lo <> dob_hi"), postgresql_where=sa.text("dob_lo <> dob_hi"))


def downgrade() -> None:
    op.drop_index("ix_search_names_family3_dobs", "search_names")
    op.drop_index("ix_search_names_family3_dob", "search_names")
