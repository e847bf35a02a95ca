"""The retention domain's tables (migration 0012_retention).

* ``retention_schedule`` (a projection, rebuilt from the log): each current record's
  review group, the rule that gave it, the date its clock starts and its next review.
  The classifier's inputs are kept beside the answer (type, dataset, kind, offence class,
  undetected, as one ``class_key``) so that a change of rule re-schedules without reading
  the records.
* ``retention_reviews``: the latest review decision on a record (retain / restrict /
  dispose), who made it, why and when; every decision is also in the audit trail.
* ``retention_restrictions``: records hidden from every role without ``view_restricted``
  (read by the access policy's row predicate): a step-down decision, or a record whose
  accuracy is disputed (s47(2)).  A restriction is a state, never a deletion.
* ``retention_holds``: legal (evidence) holds; a held record cannot be disposed of or erased.
* ``rights_requests``: data subjects' requests (access, rectification, erasure,
  restriction) with their one-month clock and what was decided.
* ``erasure_receipts``: the signed receipt of each disposal or erasure (record keys,
  counts and hashes; no personal data).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from leds.db.schema import BigId, metadata

retention_schedule = Table(
    "retention_schedule", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("force", String(8), nullable=False),
    # What the classifier reads of the record, in one column (``projector.class_key``):
    # "rtype|dataset|kind|offence class|undetected", e.g. "event|crime|arrest|serious|0".
    # One column, not five: ingest binds every column of every row (migration 0022).
    Column("class_key", String(120), nullable=False),
    Column("basis", String(10), nullable=False),  # the date the clock starts (YYYY-MM-DD)
    Column("review_group", String(12), nullable=False),  # "1", "2", "3", "undetected", "intelligence", ...
    Column("rule", String(40), nullable=False),  # the id of the rule in leds.retention.rules
    Column("rules_version", String(16), nullable=False),  # the rule table's version that scheduled it
    Column("review_on", String(10), nullable=False),
    sqlite_with_rowid=False,
)
# No index but the primary key: every question of the schedule reads it whole or one force's
# records as a range of record keys (which begin with the force); migration 0021.

retention_reviews = Table(
    "retention_reviews", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("decision", String(12), nullable=False),  # retain | restrict | dispose
    Column("reason", Text, nullable=False),
    Column("next_review", String(10)),  # retain: the next review date
    Column("decided_by", String(128), nullable=False),
    Column("decided_at", String(32), nullable=False),
    Column("disposed_at", String(32)),  # set by ``leds retention run``
)
Index("ix_retention_reviews_decision", retention_reviews.c.decision)

retention_restrictions = Table(
    "retention_restrictions", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("grounds", String(24), nullable=False),  # step_down | disputed_accuracy
    Column("since", String(32), nullable=False),
    Column("by", String(128), nullable=False),
    Column("request_id", BigInteger),
    sqlite_with_rowid=False,
)

retention_holds = Table(
    "retention_holds", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("authority", String(200), nullable=False),  # the case, court order or hold reference
    Column("reason", Text, nullable=False),
    Column("since", String(32), nullable=False),
    Column("by", String(128), nullable=False),
)

rights_requests = Table(
    "rights_requests", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # access | rectification | erasure | restriction
    Column("person_id", String(200), nullable=False),  # a national person id or a person record key
    Column("rkey", String(200)),  # the record concerned (rectification, restriction)
    Column("detail", Text, nullable=False),  # what the subject asks
    Column("received_at", String(32), nullable=False),
    Column("due_on", String(10), nullable=False),  # one calendar month after receipt
    Column("status", String(12), nullable=False),  # open | with_force | done | refused
    Column("owning_force", String(8)),
    Column("decision", Text),
    Column("decided_at", String(32)),
    Column("decided_by", String(128)),
    # Rectification: the owning force's corrective updategram, when it arrives.
    Column("corrected_sequence", BigInteger),
    Column("created_by", String(128), nullable=False),
)
Index("ix_rights_requests_status_due", rights_requests.c.status, rights_requests.c.due_on)

erasure_receipts = Table(
    "erasure_receipts", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("kind", String(8), nullable=False),  # erasure | disposal
    Column("receipt", Text, nullable=False),  # canonical JSON
    Column("signature", String(128), nullable=False),  # Ed25519 over the receipt, hex
    Column("key_id", String(64), nullable=False),
    Column("audit_id", Integer),
)

TABLES = (retention_schedule, retention_reviews, retention_restrictions, retention_holds, rights_requests,
          erasure_receipts)
