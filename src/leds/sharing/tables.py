"""The sharing register and its exports (migration 0014), and the published map points of open
data (:mod:`leds.opendata.points`), which live in the same migration.

These are user-owned state (agreements, approvals, export receipts), not projections of the log:
``leds rebuild`` leaves them alone.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

from leds.db.schema import metadata

BigId = BigInteger().with_variant(Integer(), "sqlite")

sharing_agreements = Table(
    "sharing_agreements", metadata,
    Column("id", String(40), primary_key=True),  # the agreement's own id, e.g. DSA-2026-001
    Column("title", String(200), nullable=False),
    Column("state", String(12), nullable=False),  # draft | approved | suspended | expired
    Column("recipient", String(200), nullable=False),
    Column("discloser_force", String(8)),
    Column("review_date", String(10), nullable=False),
    Column("expires", String(10), nullable=False),
    Column("document", Text, nullable=False),  # the agreement as submitted (JSON)
    Column("sha256", String(64), nullable=False),  # of the canonical document
    Column("created_by", String(128), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("approved_by", String(128)),
    Column("approved_at", String(32)),
    Column("state_reason", Text),
)
Index("ix_sharing_agreements_state", sharing_agreements.c.state, sharing_agreements.c.review_date)

sharing_exports = Table(
    "sharing_exports", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("agreement_id", String(40), nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("out_dir", Text, nullable=False),
    Column("records", Integer, nullable=False),
    Column("suppressed", Integer, nullable=False),
    Column("manifest", Text, nullable=False),  # the signed manifest (JSON)
    Column("key_id", String(16), nullable=False),
)
Index("ix_sharing_exports_agreement", sharing_exports.c.agreement_id, sharing_exports.c.at)

# Anonymous map points for open data: each is the centre of a group of at least N addresses
# that leds holds, within one LSOA-style area (a postcode sector).  Published with the data.
opendata_points = Table(
    "opendata_points", metadata,
    Column("id", String(40), primary_key=True),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("area_code", String(12), nullable=False),
    Column("area_name", String(100), nullable=False),
    Column("street", String(200)),
    Column("addresses", Integer, nullable=False),
    Column("built_at", String(32), nullable=False),
)
Index("ix_opendata_points_area", opendata_points.c.area_code)
