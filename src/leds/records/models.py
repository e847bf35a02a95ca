"""The record domain's typed answers, and the provenance unit every answer carries.

A :class:`Fact` says where a fact came from: the force, the source system, the record's
key and the date (the record's own date for the fact, e.g. when an event occurred or a
link began, or else when the record was issued).  Services build it with :func:`fact`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from leds.access.policy import RecordView


def fact(v: RecordView, when: Any = None) -> dict[str, Any]:
    """The provenance of a fact taken from ``v`` (dated ``when``, else when it was issued),
    as the keys of :class:`Fact`."""
    return {"force": v.force, "source": v.source, "rkey": v.rkey, "date": str(when or v.issued_at)[:10]}


class Fact(BaseModel):
    """Where a fact came from."""

    force: str
    source: str
    rkey: str
    date: str


class Record(BaseModel):
    """A source record as the caller may see it (:class:`leds.access.policy.RecordView`):
    ``data`` is the record's data from the data standard, less the fields named in
    ``redacted`` (hidden from the caller's role); None for a deleted record."""

    rkey: str
    force: str
    source: str
    rtype: str
    ref: str
    sequence: int
    deleted: bool
    dataset: str | None
    handling: str | None
    sharing: str | None
    issued_at: str
    data: dict[str, Any] | None
    redacted: list[str]


class Version(BaseModel):
    """One version of a record (its envelope, not its data), newest first."""

    sequence: int
    op: str
    dataset: str | None
    handling: str | None
    issued_at: str


class Reference(BaseModel):
    """A record this record refers to, and in what role (e.g. a link's ``from`` and ``to``)."""

    role: str
    target: str


class RecordAnswer(Record):
    """One source record with its provenance: the record's own fields, its version history,
    its national person id (a person record that has been matched) and its references."""

    versions: list[Version]
    person_id: str | None
    references: list[Reference]
    record: Record = Field(description="The same record, nested, as `/provenance` answered before it became "
                                       "an alias of `/records`.", deprecated=True)
