"""Auditor queries: who looked at a subject, what a user looked at, what was
disclosed to a partner.  Plain dataclasses (``.as_dict()``) for the API and CLI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, Select, select

from .tables import audit_entries, audit_subjects

# The actions that mean someone saw or passed on personal data.
LOOK_ACTIONS = ("consultation", "disclosure", "combination")
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class Entry:
    id: int
    at: str
    action: str
    actor: str
    purpose: str | None
    reason: str | None
    subjects: list[str]
    detail: dict[str, Any]
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "action": self.action, "actor": self.actor, "purpose": self.purpose,
                "reason": self.reason, "subjects": self.subjects, "detail": self.detail, "hash": self.hash}


_COLS = (audit_entries.c.id, audit_entries.c.at, audit_entries.c.action, audit_entries.c.actor,
         audit_entries.c.purpose, audit_entries.c.reason, audit_entries.c.subjects, audit_entries.c.detail,
         audit_entries.c.hash)


def _entry(r: Any) -> Entry:
    return Entry(r[0], r[1], r[2], r[3], r[4], r[5], orjson.loads(r[6]), orjson.loads(r[7]), r[8])


def _window(q: Select[Any], since: str | None, until: str | None, actions: Sequence[str] | None,
            limit: int) -> Select[Any]:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    if since:
        q = q.where(audit_entries.c.at >= since)
    if until:
        q = q.where(audit_entries.c.at < until)
    if actions:
        q = q.where(audit_entries.c.action.in_(list(actions)))
    return q.order_by(audit_entries.c.id.desc()).limit(limit)


def who_looked_at(engine: Engine, subject_key: str, since: str | None = None, until: str | None = None,
                  limit: int = 100, actions: Sequence[str] | None = LOOK_ACTIONS) -> list[Entry]:
    """Entries naming ``subject_key`` (a record key or national person id),
    newest first.  ``since``/``until`` are UTC ISO times or dates (``2026-11-01``)."""
    q = select(*_COLS).join(audit_subjects, audit_subjects.c.entry_id == audit_entries.c.id) \
        .where(audit_subjects.c.subject_key == subject_key)
    with engine.connect() as conn:
        return [_entry(r) for r in conn.execute(_window(q, since, until, actions, limit))]


def looked_at_by(engine: Engine, actor: str, since: str | None = None, until: str | None = None,
                 limit: int = 100, actions: Sequence[str] | None = LOOK_ACTIONS) -> list[Entry]:
    """What ``actor`` looked at (by default consultations, disclosures and
    combinations; pass ``actions=None`` for everything they did), newest first."""
    q = select(*_COLS).where(audit_entries.c.actor == actor)
    with engine.connect() as conn:
        return [_entry(r) for r in conn.execute(_window(q, since, until, actions, limit))]


def disclosures_to(engine: Engine, partner: str, since: str | None = None, until: str | None = None,
                   limit: int = 100) -> list[Entry]:
    """Every disclosure whose ``detail["partner"]`` is ``partner``, newest first."""
    q = select(*_COLS).where(audit_entries.c.partner == partner)
    with engine.connect() as conn:
        return [_entry(r) for r in conn.execute(_window(q, since, until, ("disclosure",), limit))]
