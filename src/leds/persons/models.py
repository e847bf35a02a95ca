"""The typed answers of the single view of a person (:mod:`leds.persons.service`).

Every fact carries its provenance (:class:`leds.records.models.Fact`: force, source,
record key and date).  Values read from a record's data are optional: a field may be
absent from the record, or redacted for the caller's role.  Event details beyond the
standard's (a warrant's reference, a missing person's risk...) are as the force sent them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from leds.records.models import Fact


class Sourced(BaseModel):
    """A value, and every record that gives it."""

    value: str
    sources: list[Fact]


class SourcedName(BaseModel):
    text: str
    kind: str
    sources: list[Fact]


class Height(Fact):
    value: int


class Mark(Fact):
    value: str


class Identity(BaseModel):
    names: list[SourcedName]
    birth_dates: list[Sourced]
    sex: str | None
    pnc_ids: list[Sourced]
    cro_numbers: list[Sourced]
    heights: list[Height]
    marks: list[Mark]


class Marker(Fact):
    """A warning marker (firearms, violence...); ``date`` is when it began."""

    code: str
    label: str
    detail: str | None
    valid_from: str | None = None  # on a person's markers (not on a vehicle's)


class Event(Fact):
    """An event the person or vehicle is linked to, in ``role``; ``date`` is when it occurred."""

    kind: str | None
    occurred_at: str | None
    description: str | None
    dataset: str | None
    role: str | None


class StatusEvent(Fact):
    kind: str | None
    occurred_at: str | None
    description: str | None


class Wanted(StatusEvent):
    status: Any
    warrant_reference: Any


class Missing(StatusEvent):
    risk: Any
    last_seen_at: Any


class Bail(StatusEvent):
    conditions: Any
    bail_until: Any


class Custody(StatusEvent):
    custody_number: Any
    station: Any


class Status(BaseModel):
    """Active wanted and warrant events, open missing reports (none found since), bail
    that has not ended, and the three latest custody events."""

    wanted: list[Wanted]
    missing: list[Missing]
    bail: list[Bail]
    custody: list[Custody]


class Via(Fact):
    """Linked through the link record ``link``, in ``role``, since ``valid_from``."""

    role: str | None
    link: str
    valid_from: str | None


class LinkedAddress(Via):
    address: dict[str, Any] | None
    uprn: int | None


class LinkedVehicle(Via):
    vrm: str | None
    make: str | None
    model: str | None
    colour: str | None


class LinkedPerson(Via):
    person_id: str
    name: str
    birth_dates: list[str] | None


class SummaryRecord(Fact):
    """One of the person's records: its type, dataset and the fields hidden from the caller."""

    rtype: str
    dataset: str | None
    redacted: list[str]


class PersonSummary(BaseModel):
    """The single concise page of a national person (``person_id``: an ``NP-`` id, or a
    person record's key before it is matched)."""

    person_id: str
    identity: Identity
    markers: list[Marker]
    status: Status
    last_address: LinkedAddress | None
    vehicles: list[LinkedVehicle]
    events: list[Event]
    counts: dict[str, int]
    records: list[SummaryRecord]


class Associations(BaseModel):
    persons: list[LinkedPerson]
    vehicles: list[LinkedVehicle]
    addresses: list[LinkedAddress]


class PersonView(PersonSummary):
    """The person page: the summary, every event (``timeline``) and one hop of associations."""

    timeline: list[Event]
    associations: Associations
