"""The quality domain's tables (migration 0013).

* ``quality_facts``: each record's current quality (which rules apply, which it fails), one
  row per record; the day is its current version's issue day.  A projection.
* ``quality_counts``: passed/total per (day, force, source, rule), kept by the projector
  in the ingest transaction as deltas of the facts.  A projection.
* ``quality_failures``: when each record started (``opened``) and stopped (``resolved``)
  failing each rule: new, resolved and persisting failures between periods.  A projection
  (its days are issue days, so a replay of the log gives the same history).
* ``quality_quarantined``: quarantined lines per (day received, force, source).  Not a
  projection: quarantined lines are not in the log, so rebuild must not empty it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

from leds.db.schema import metadata

quality_facts = Table(
    "quality_facts", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("force", String(8), nullable=False),
    Column("source", String(64), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("day", String(10), nullable=False),
    Column("checked", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    sqlite_with_rowid=False,
)

quality_counts = Table(
    "quality_counts", metadata,
    Column("day", String(10), primary_key=True),
    Column("force", String(8), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("rule", String(48), primary_key=True),
    Column("passed", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

quality_failures = Table(
    "quality_failures", metadata,
    Column("rule", String(48), primary_key=True),
    Column("rkey", String(200), primary_key=True),
    Column("opened", String(10), primary_key=True),
    Column("force", String(8), nullable=False),
    Column("source", String(64), nullable=False),
    Column("resolved", String(10)),
    Column("detail", String(200)),
    sqlite_with_rowid=False,
)
Index("ix_quality_failures_rule_force", quality_failures.c.rule, quality_failures.c.force,
      quality_failures.c.resolved)

quality_quarantined = Table(
    "quality_quarantined", metadata,
    Column("day", String(10), primary_key=True),
    Column("force", String(8), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("lines", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
