"""search names carry the record's earliest and latest date of birth, so a name search with
an age range (and a check with a date of birth) is answered from one index, without a
probe into the dates of birth for every name row

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("search_names", sa.Column("dob_lo", sa.String(10)))
    op.add_column("search_names", sa.Column("dob_hi", sa.String(10)))
    # A store that already holds an index: fill both from the dates of birth it holds.
    op.execute("UPDATE search_names SET "
               "dob_lo = (SELECT min(d.dob) FROM search_dobs d WHERE d.rkey = search_names.rkey), "
               "dob_hi = (SELECT max(d.dob) FROM search_dobs d WHERE d.rkey = search_names.rkey)")
    op.drop_index("ix_search_names_family", "search_names")
    op.create_index("ix_search_names_family", "search_names", ["family", "given", "dob_lo", "dob_hi"])


def downgrade() -> None:
    op.drop_index("ix_search_names_family", "search_names")
    op.create_index("ix_search_names_family", "search_names", ["family", "given"])
    op.drop_column("search_names", "dob_hi")
    op.drop_column("search_names", "dob_lo")
