"""Audit tables (s62 DPA 2018), on the project's one ``metadata``.

* ``audit_entries``: the append-only, hash-chained log.  ``id`` is assigned by
  :func:`leds.audit.chain.append` (1, 2, 3, ... with no gaps) and is part of
  each entry's hash, so the order is fixed by the chain, not by the database.
* ``audit_subjects``: one row per (entry, subject key), so "who looked at this
  subject" is an index look-up, not a scan of JSON.  Checked against the
  entry's own ``subjects`` by ``leds audit verify``.
* ``audit_checkpoints``: Ed25519-signed (sequence, last entry id, its hash,
  count) checkpoints, numbered 1, 2, 3, ... with no gaps.
* ``audit_flags``: high-profile subjects whose every look-up raises a signal.
* ``audit_signals``: misuse signals raised for auditors.

``partner`` and ``kind`` are copies of ``detail["partner"]`` and
``detail["kind"]`` kept in columns so that they can be indexed; they are not
in the hash, but ``verify`` checks that they agree with ``detail`` (which is).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table, Text

from leds.db.schema import BigId, metadata

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),  # UTC, microseconds: 2026-11-21T18:00:00.123456Z
    Column("action", String(16), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("purpose", String(64)),
    Column("reason", Text),
    Column("subjects", Text, nullable=False),  # JSON list of subject keys, as hashed
    Column("detail", Text, nullable=False),  # canonical JSON object, as hashed
    Column("partner", String(128)),  # = detail["partner"] (indexed copy)
    Column("kind", String(32)),  # = detail["kind"] (indexed copy)
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_entries_actor_at", audit_entries.c.actor, audit_entries.c.at)
Index("ix_audit_entries_partner", audit_entries.c.partner)
Index("ix_audit_entries_at", audit_entries.c.at)

audit_subjects = Table(
    "audit_subjects",
    metadata,
    Column("entry_id", BigInteger, primary_key=True),
    Column("subject_key", String(200), primary_key=True),
)
Index("ix_audit_subjects_subject_key", audit_subjects.c.subject_key, audit_subjects.c.entry_id)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=False),  # 1, 2, 3, ... (signed)
    Column("entry_id", BigInteger, nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("at", String(32), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(128), nullable=False),  # hex Ed25519 signature
)

audit_flags = Table(
    "audit_flags",
    metadata,
    Column("subject_key", String(200), primary_key=True),
    Column("flagged_by", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("flagged_at", String(32), nullable=False),
)

audit_signals = Table(
    "audit_signals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("subject_key", String(200)),
    Column("entry_id", BigInteger),
    Column("raised_at", String(32), nullable=False),
    Column("detail", Text, nullable=False),  # JSON: the figures behind the signal
    # Stops the same signal being raised twice when scans overlap.
    Column("dedupe", String(400), nullable=False, unique=True),
)
Index("ix_audit_signals_actor", audit_signals.c.actor)

AUDIT_TABLES = (audit_entries, audit_subjects, audit_checkpoints, audit_flags, audit_signals)
