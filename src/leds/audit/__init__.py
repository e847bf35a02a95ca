"""The s62 audit trail: an append-only, hash-chained log of every collection,
alteration, consultation, disclosure, combination and erasure, with signed
checkpoints, verification, auditor queries and misuse signals.  See docs/audit.md."""

from __future__ import annotations

from . import tables  # noqa: F401  (registers the audit tables on leds.db.schema.metadata)
from .chain import ACTIONS, CHECKPOINT_EVERY, AuditError, AuditEvent, Checkpoint, append
from .keys import AuditKeyError
from .queries import Entry, disclosures_to, looked_at_by, who_looked_at
from .verify import VerifyReport, verify
from .writer import AuditWriter, checkpoint, close_writers, get_writer

__all__ = ["ACTIONS", "CHECKPOINT_EVERY", "AuditError", "AuditEvent", "AuditKeyError", "AuditWriter", "Checkpoint",
           "Entry", "VerifyReport", "append", "checkpoint", "close_writers", "disclosures_to", "get_writer",
           "looked_at_by", "verify", "who_looked_at"]
