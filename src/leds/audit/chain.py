"""The hash-chained audit log: events, their canonical form, and ``append``.

Each entry's hash is SHA-256 over a canonical JSON object of the entry
(including its id and the previous entry's hash); see :func:`canonical`.
Entries are numbered 1, 2, 3, ... by ``append`` itself, under a lock, so the
chain has exactly one order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, text

from leds.config import Settings
from leds.db.bulk import insert_rows

from .keys import Signer, checkpoint_message, get_signer
from .tables import audit_checkpoints, audit_entries, audit_subjects

ACTIONS = ("collection", "alteration", "consultation", "disclosure", "combination", "erasure", "denied",
           "authentication")
GENESIS = "0" * 64
# A checkpoint is signed whenever the chain crosses a multiple of this many entries.
CHECKPOINT_EVERY = 1000
# PostgreSQL: every writer of the chain takes this transaction-scoped advisory lock
# before reading the chain head ("LEDSAUDT" as a 64-bit integer).
PG_LOCK_KEY = 0x4C45445341554454

ENTRY_COLUMNS = ("id", "at", "action", "actor", "purpose", "reason", "subjects", "detail", "partner", "kind",
                 "prev_hash", "hash")


class AuditError(RuntimeError):
    """An audit entry could not be written."""


@dataclass(frozen=True)
class AuditEvent:
    """Something to record.  ``subjects`` are record keys
    (``FORCE|SOURCE|type|ref``) and/or national person ids (``NP-...``);
    ``detail`` is any JSON object: endpoint or command, query, counts,
    ``partner`` (required for disclosures), ``kind`` (e.g. "check"), outcome."""

    action: str
    actor: str
    purpose: str | None = None
    reason: str | None = None
    subjects: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(name: str, value: str | None, limit: int | None, required: bool = False) -> None:
    if value is None:
        if required:
            raise ValueError(f"audit event: {name} is required")
        return
    if not isinstance(value, str):
        raise ValueError(f"audit event: {name} must be a string, not {type(value).__name__}")
    if required and not value.strip():
        raise ValueError(f"audit event: {name} must not be empty")
    if "\x00" in value:
        raise ValueError(f"audit event: {name} contains a NUL character")
    if limit is not None and len(value) > limit:
        raise ValueError(f"audit event: {name} is longer than {limit} characters")


@dataclass(frozen=True)
class Prepared:
    """An event checked and serialised, ready to be chained."""

    action: str
    actor: str
    purpose: str | None
    reason: str | None
    subjects: tuple[str, ...]
    subjects_json: str
    detail_json: str
    partner: str | None
    kind: str | None


def prepare(event: AuditEvent) -> Prepared:
    """Check an event and serialise it; raises ``ValueError`` with the reason."""
    if not isinstance(event, AuditEvent):
        raise ValueError(f"expected an AuditEvent, got {type(event).__name__}")
    if event.action not in ACTIONS:
        raise ValueError(f"audit event: unknown action {event.action!r}; use one of: {', '.join(ACTIONS)}")
    _text("actor", event.actor, 128, required=True)
    _text("purpose", event.purpose, 64)
    _text("reason", event.reason, 10_000)
    if event.action in ("consultation", "disclosure") and not event.purpose:
        raise ValueError(f"audit event: a {event.action} must state its purpose code")
    if isinstance(event.subjects, str):
        raise ValueError("audit event: subjects must be a tuple of keys, not one string")
    subjects = tuple(dict.fromkeys(event.subjects))  # drop repeats, keep order
    for s in subjects:
        _text("subject key", s, 200, required=True)
    if not isinstance(event.detail, dict):
        raise ValueError("audit event: detail must be a JSON object (dict)")
    try:
        detail_json = orjson.dumps(event.detail, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError as exc:
        raise ValueError(f"audit event: detail is not JSON-serialisable: {exc}") from exc
    partner = event.detail.get("partner")
    kind = event.detail.get("kind")
    if event.action == "disclosure" and not (isinstance(partner, str) and partner.strip()):
        raise ValueError('audit event: a disclosure must name its recipient in detail["partner"]')
    if partner is not None:
        _text('detail["partner"]', partner, 128)
    if kind is not None:
        _text('detail["kind"]', kind, 32)
    return Prepared(event.action, event.actor, event.purpose, event.reason, subjects,
                    orjson.dumps(list(subjects)).decode(), detail_json, partner, kind)


def canonical(entry_id: int, at: str, action: str, actor: str, purpose: str | None, reason: str | None,
              subjects_json: str, detail_json: str, prev_hash: str) -> bytes:
    """The bytes an entry's hash covers: a JSON object with sorted keys, no
    whitespace, UTF-8, where ``subjects`` and ``detail`` are the stored JSON
    texts embedded as strings.  Reproducible with Python's standard library::

        json.dumps({...}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    """
    return json.dumps(
        {"id": entry_id, "at": at, "action": action, "actor": actor, "purpose": purpose, "reason": reason,
         "subjects": subjects_json, "detail": detail_json, "prev_hash": prev_hash},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry_id: int, at: str, action: str, actor: str, purpose: str | None, reason: str | None,
               subjects_json: str, detail_json: str, prev_hash: str) -> str:
    return hashlib.sha256(canonical(entry_id, at, action, actor, purpose, reason, subjects_json, detail_json,
                                    prev_hash)).hexdigest()


def lock_chain(conn: Connection) -> None:
    """Serialise writers of the chain for the rest of the caller's transaction."""
    if not conn.in_transaction():
        raise AuditError("audit append needs an open write transaction "
                         "(use: with engine.connect() as conn, write_transaction(conn): ...)")
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
    elif conn.dialect.name == "sqlite" and not conn.get_execution_options().get("write"):
        # A deferred SQLite transaction would read the head under a read lock and
        # could then fail to upgrade; the caller must hold the write lock already.
        raise AuditError("audit append on SQLite needs a BEGIN IMMEDIATE transaction: "
                         "open it with leds.db.engine.write_transaction(conn)")


# Hot path (every audited request): plain statements, no SQL compilation per call.
_HEAD_SQL = "SELECT id, hash FROM audit_entries ORDER BY id DESC LIMIT 1"
_LAST_CP_SQL = "SELECT id, entry_id FROM audit_checkpoints ORDER BY id DESC LIMIT 1"


def chain_head(conn: Connection) -> tuple[int, str]:
    """(id, hash) of the newest entry, or (0, GENESIS) for an empty chain."""
    row = conn.exec_driver_sql(_HEAD_SQL).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def last_checkpoint(conn: Connection) -> tuple[int, int]:
    """(sequence, entry id) of the newest checkpoint, or (0, 0)."""
    row = conn.exec_driver_sql(_LAST_CP_SQL).first()
    return (row[0], row[1]) if row else (0, 0)


def append(conn: Connection, events: Sequence[AuditEvent], *, settings: Settings | None = None,
           signer: Signer | None = None, checkpoint_every: int = CHECKPOINT_EVERY) -> list[int]:
    """Append ``events`` to the chain inside the caller's open write transaction
    and return their entry ids.  Nothing is visible until the caller commits; a
    rollback leaves the chain as it was.

    On PostgreSQL this takes the chain's advisory lock (held to the end of the
    caller's transaction); on SQLite the caller's BEGIN IMMEDIATE already
    serialises writers.  Pass ``settings`` (or a ``signer``) so that a
    checkpoint falling due is signed in the same transaction; without either,
    it is signed by the next append that has one or by ``leds audit checkpoint``.
    """
    return append_prepared(conn, [prepare(e) for e in events],  # all checked before anything is written
                           settings=settings, signer=signer, checkpoint_every=checkpoint_every)


def append_prepared(conn: Connection, prepared: Sequence[Prepared], *, settings: Settings | None = None,
                    signer: Signer | None = None, checkpoint_every: int = CHECKPOINT_EVERY) -> list[int]:
    """:func:`append` for events already checked and serialised by :func:`prepare` (the
    audit writer prepares each in its caller's thread)."""
    if not prepared:
        return []
    lock_chain(conn)
    last_id, prev = chain_head(conn)
    first_id = last_id + 1
    at = utcnow()
    rows: list[tuple[Any, ...]] = []
    subject_rows: list[tuple[Any, ...]] = []
    ids: list[int] = []
    for p in prepared:
        last_id += 1
        h = entry_hash(last_id, at, p.action, p.actor, p.purpose, p.reason, p.subjects_json, p.detail_json, prev)
        rows.append((last_id, at, p.action, p.actor, p.purpose, p.reason, p.subjects_json, p.detail_json,
                     p.partner, p.kind, prev, h))
        subject_rows.extend((last_id, s) for s in p.subjects)
        ids.append(last_id)
        prev = h
    insert_rows(conn, audit_entries, ENTRY_COLUMNS, rows)
    insert_rows(conn, audit_subjects, ("entry_id", "subject_key"), subject_rows)
    if signer is None and settings is not None:
        signer = get_signer(settings)
    # A checkpoint is due when this batch crosses a multiple of checkpoint_every
    # (a crossing appended without a signer is signed at the next crossing).
    if signer is not None and last_id // checkpoint_every > (first_id - 1) // checkpoint_every:
        _, covered = last_checkpoint(conn)
        if last_id // checkpoint_every > covered // checkpoint_every:
            write_checkpoint(conn, signer, (last_id, prev))
    return ids


@dataclass(frozen=True)
class Checkpoint:
    id: int
    entry_id: int
    entry_hash: str
    count: int
    at: str
    key_id: str
    signature: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "entry_id": self.entry_id, "entry_hash": self.entry_hash, "count": self.count,
                "at": self.at, "key_id": self.key_id, "signature": self.signature}


def write_checkpoint(conn: Connection, signer: Signer, head: tuple[int, str] | None = None) -> Checkpoint | None:
    """Sign the chain head (inside the caller's locked write transaction).
    Returns None when the chain is empty or the head is already checkpointed."""
    entry_id, h = head if head is not None else chain_head(conn)
    seq, covered = last_checkpoint(conn)
    if entry_id == 0 or entry_id == covered:
        return None
    # Entries are numbered 1..n with no gaps, so the count up to entry_id is entry_id.
    cp = Checkpoint(seq + 1, entry_id, h, entry_id, utcnow(), signer.key_id, "")
    sig = signer.sign(checkpoint_message(cp.id, cp.entry_id, cp.entry_hash, cp.count, cp.at))
    cp = Checkpoint(cp.id, cp.entry_id, cp.entry_hash, cp.count, cp.at, cp.key_id, sig)
    conn.execute(audit_checkpoints.insert().values(**cp.as_dict()))
    return cp
