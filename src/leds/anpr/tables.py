"""The anpr domain's tables in the store (created by migration 0015_anpr).

The reads themselves are not here: they live in Parquet under ``LEDS_HOME/anpr/reads``
(partitioned by day) and are queried with DuckDB (see :mod:`leds.anpr.store`).  The store
keeps what must be transactional and small:

* ``anpr_files``: the ledger of ingested files, by content hash (a file loaded twice is
  skipped), with the counts of reads loaded and kept aside by reason.
* ``anpr_rejected``: the bad reads, each with its reason (unknown camera, unparseable time,
  implausible plate, confidence out of range), as the contract says.
* ``anpr_models``: the versions of the courier model, with their measured quality.

User-owned state (not projections of the updategram log): never emptied by ``leds rebuild``.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from leds.db.schema import BigId, metadata

anpr_files = Table(
    "anpr_files", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("name", String(400), nullable=False),
    Column("loaded_at", String(32), nullable=False),
    Column("reads", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("by_reason", Text, nullable=False),  # JSON {reason: count}
    Column("days", Text, nullable=False),  # JSON [YYYY-MM-DD, ...]: the partitions it wrote
)

anpr_rejected = Table(
    "anpr_rejected", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("file_sha256", String(64), nullable=False),
    Column("line", Integer, nullable=False),
    Column("read_id", String(100)),
    Column("reason", String(24), nullable=False),
    Column("raw", Text, nullable=False),
    Column("kept_at", String(32), nullable=False),
)
Index("ix_anpr_rejected_file", anpr_rejected.c.file_sha256)

anpr_models = Table(
    "anpr_models", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("created_at", String(32), nullable=False),
    Column("algorithm", String(40), nullable=False),
    Column("path", String(400), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("metrics", Text, nullable=False),  # JSON: labels, cross-validated AP/Brier, calibration, threshold
)
