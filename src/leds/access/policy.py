"""The one choke point for reads of records.

Every read of record tables by the API, web pages, exports, reports, search
and alert delivery goes through :func:`read_records`, which takes a principal
and a stated purpose.  Access is denied unless a rule allows it.

The full policy (roles, vetting against handling, force restriction, dataset
entitlements, field redaction and audit of every consultation) is the
information-assurance capability.  Until it lands, the only principal allowed
to read is the system itself (rebuild, digest, operators' tools); every other
principal is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, select

from leds.db.schema import records


class AccessDenied(PermissionError):
    """The principal may not read this for this purpose."""


@dataclass(frozen=True)
class Principal:
    id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    force: str | None = None

    @classmethod
    def system(cls) -> Principal:
        return cls(id="system", roles=frozenset({"system"}))


PURPOSES: dict[str, str] = {
    "incident_response": "incident response",
    "investigation": "investigation",
    "intelligence_development": "intelligence development",
    "safeguarding": "safeguarding",
    "missing_person_enquiry": "missing person enquiry",
    "vetting": "vetting",
    "data_quality": "data quality",
    "audit": "audit",
    "system_maintenance": "system maintenance (rebuild, migration, digest)",
    "data_matching": "entity resolution across forces and systems",
}


@dataclass(frozen=True)
class RecordView:
    rkey: str
    force: str
    source: str
    rtype: str
    ref: str
    sequence: int
    deleted: bool
    dataset: str | None
    handling: str | None
    issued_at: str
    data: dict[str, Any] | None


def authorise(principal: Principal, purpose: str) -> None:
    if purpose not in PURPOSES:
        raise AccessDenied(f"unknown purpose {purpose!r}; give one of: {', '.join(PURPOSES)}")
    if "system" in principal.roles:
        return
    raise AccessDenied(f"{principal.id} may not read records")


def _view(r: Any) -> RecordView:
    return RecordView(r["rkey"], r["force"], r["source"], r["rtype"], r["ref"], r["sequence"], bool(r["deleted"]),
                      r["dataset"], r["handling"], r["issued_at"],
                      orjson.loads(r["data"]) if r["data"] is not None else None)


def read_records(conn: Connection, principal: Principal, purpose: str, *, rkeys: list[str] | None = None,
                 rtype: str | None = None, limit: int = 100) -> list[RecordView]:
    authorise(principal, purpose)
    q = select(records).order_by(records.c.rkey).limit(limit)
    if rkeys is not None:
        q = q.where(records.c.rkey.in_(rkeys))
    if rtype is not None:
        q = q.where(records.c.rtype == rtype)
    return [_view(r) for r in conn.execute(q).mappings()]


def iter_records(conn: Connection, principal: Principal, purpose: str, *, rtype: str,
                 include_deleted: bool = False, batch: int = 10_000) -> Iterator[RecordView]:
    """Every current record of a type, streamed in batches (batch jobs such as
    matching).  Same authorisation as :func:`read_records`."""
    authorise(principal, purpose)
    q = select(records).where(records.c.rtype == rtype)
    if not include_deleted:
        q = q.where(records.c.deleted.is_(False))
    for r in conn.execution_options(yield_per=batch).execute(q).mappings():
        yield _view(r)
