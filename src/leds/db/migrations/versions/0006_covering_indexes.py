"""covering indexes for the look-ups of a check: national person id by record key and the
members of a national person id, references by target, and same-sound names with their
dates of birth, each answered from its index without reading the table's rows

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_person_ids_person_id", "person_ids")
    op.create_index("ix_person_ids_person_id", "person_ids", ["person_id", "rkey"])
    op.create_index("ix_person_ids_rkey_person_id", "person_ids", ["rkey", "person_id"])
    op.drop_index("ix_record_refs_target", "record_refs")
    op.create_index("ix_record_refs_target", "record_refs", ["target", "rkey", "role"])
    op.drop_index("ix_search_names_family_ph", "search_names")
    op.create_index("ix_search_names_family_ph", "search_names", ["family_ph", "given_ph", "dob_lo", "dob_hi"])


def downgrade() -> None:
    op.drop_index("ix_search_names_family_ph", "search_names")
    op.create_index("ix_search_names_family_ph", "search_names", ["family_ph", "given_ph"])
    op.drop_index("ix_record_refs_target", "record_refs")
    op.create_index("ix_record_refs_target", "record_refs", ["target"])
    op.drop_index("ix_person_ids_rkey_person_id", "person_ids")
    op.drop_index("ix_person_ids_person_id", "person_ids")
    op.create_index("ix_person_ids_person_id", "person_ids", ["person_id"])
