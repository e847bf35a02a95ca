"""Alerts' request and answer models: subscriptions (with their rules and saved searches),
inbox entries, dead letters."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from leds.access.rules import PURPOSES, ROLES
from leds.standard.codes import EVENT_KINDS, FORCES, LINK_ROLES, MARKERS, RECORD_TYPES
from leds.standard.validators import date_text

DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
WEBHOOK = r"^(https://[^/?#\s:@]+|http://(localhost|127\.0\.0\.1|\[::1\]))(:[0-9]{1,5})?([/?#]\S*)?$"


class Kind(StrEnum):
    person = "person"
    vehicle = "vehicle"
    rule = "rule"
    search = "search"
    watch = "watch"


def _not_null(schema: dict[str, Any], *names: str) -> None:
    """An optional field is left out, never sent as null: say so in the JSON schema (the
    server treats null as absent; a client generated from the schema never sends it)."""
    for name in names:
        prop = schema["properties"][name]
        if "anyOf" in prop:
            kept = [x for x in prop.pop("anyOf") if x.get("type") != "null"]
            prop.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
            prop.pop("default", None)


def _enum(schema: dict[str, Any], name: str, values: list[str]) -> None:
    prop = schema["properties"][name]
    (prop["items"] if prop.get("type") == "array" else prop)["enum"] = values


def _one_of(value: str | None, codes: dict[str, str], what: str) -> str | None:
    if value is not None and value not in codes:
        raise ValueError(f"unknown {what} {value!r}; known: {', '.join(codes)}")
    return value


class Rule(BaseModel):
    """Records of a ``type`` (with a marker code, event kind or link role) in postcode
    districts or forces.  ``marker`` on a marker rule is the marker's code; on a person or
    link rule, the person concerned must carry that marker (e.g. a person with marker VI
    gets a new address in LS1: ``{"type": "link", "link_role": "resides_at", "marker": "VI",
    "districts": ["LS1"]}``).  ``districts`` apply to locations and resides_at links."""

    @staticmethod
    def _schema(schema: dict[str, Any]) -> None:
        _not_null(schema, "marker", "event_kind", "link_role")
        _enum(schema, "type", list(RECORD_TYPES))
        _enum(schema, "marker", list(MARKERS))
        _enum(schema, "event_kind", list(EVENT_KINDS))
        _enum(schema, "link_role", list(LINK_ROLES))
        _enum(schema, "forces", list(FORCES))
        schema["properties"]["districts"]["items"]["pattern"] = DISTRICT.pattern
        schema["allOf"] = [
            {"if": {"required": ["event_kind"]}, "then": {"properties": {"type": {"const": "event"}}}},
            {"if": {"required": ["link_role"]}, "then": {"properties": {"type": {"const": "link"}}}},
            {"if": {"required": ["marker"]}, "then": {"properties": {"type": {"enum": ["marker", "person", "link"]}}}},
            {"if": {"required": ["districts"], "properties": {"districts": {"minItems": 1}}},
             "then": {"properties": {"type": {"enum": ["location", "link"]}}}},
        ]

    model_config = ConfigDict(extra="forbid", json_schema_extra=_schema)

    type: Annotated[str, Field(max_length=16, description="Record type.")]
    marker: Annotated[str | None, Field(max_length=4)] = None
    event_kind: Annotated[str | None, Field(max_length=24)] = None
    link_role: Annotated[str | None, Field(max_length=24)] = None
    districts: Annotated[list[Annotated[str, Field(max_length=4)]], Field(max_length=50)] = []
    forces: Annotated[list[Annotated[str, Field(max_length=8)]], Field(max_length=50)] = []

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        return _one_of(v, RECORD_TYPES, "record type") or v

    @field_validator("marker")
    @classmethod
    def _marker(cls, v: str | None) -> str | None:
        return _one_of(v, MARKERS, "marker code")

    @field_validator("event_kind")
    @classmethod
    def _event(cls, v: str | None) -> str | None:
        return _one_of(v, EVENT_KINDS, "event kind")

    @field_validator("link_role")
    @classmethod
    def _role(cls, v: str | None) -> str | None:
        return _one_of(v, LINK_ROLES, "link role")

    @field_validator("districts")
    @classmethod
    def _districts(cls, v: list[str]) -> list[str]:
        out = [d.strip().upper() for d in v]
        bad = [d for d in out if not DISTRICT.match(d)]
        if bad:
            raise ValueError(f"not a postcode district: {', '.join(bad)} (e.g. LS1, SW1A)")
        return out

    @field_validator("forces")
    @classmethod
    def _forces(cls, v: list[str]) -> list[str]:
        out = [f.upper() for f in v]
        for f in out:
            _one_of(f, FORCES, "force code")
        return out

    @model_validator(mode="after")
    def _fits(self) -> Rule:
        if self.event_kind and self.type != "event":
            raise ValueError("event_kind is for rules on events")
        if self.link_role and self.type != "link":
            raise ValueError("link_role is for rules on links")
        if self.marker and self.type not in ("marker", "person", "link"):
            raise ValueError("marker is for rules on markers, persons or links")
        if self.districts and self.type not in ("location", "link"):
            raise ValueError("districts are for rules on locations or links")
        return self


class SavedSearch(BaseModel):
    """A descriptive search kept as a subscription: a person record that now matches every
    field given (surname exactly, forename as a prefix) raises an alert."""

    @staticmethod
    def _schema(schema: dict[str, Any]) -> None:
        _not_null(schema, "surname", "forename", "dob", "sex", "pnc_id")
        schema["anyOf"] = [{"required": ["surname"]}, {"required": ["pnc_id"]}, {"required": ["dob"]}]

    model_config = ConfigDict(extra="forbid", json_schema_extra=_schema)

    surname: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    forename: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    dob: Annotated[date, BeforeValidator(date_text)] | None = None
    sex: Annotated[str | None, Field(pattern="^[MFXU]$")] = None
    pnc_id: Annotated[str | None, Field(max_length=16)] = None

    @model_validator(mode="after")
    def _enough(self) -> SavedSearch:
        if not (self.surname or self.pnc_id or self.dob):
            raise ValueError("a saved search needs a surname, a PNC ID or a date of birth")
        return self


Purpose = Annotated[str, Field(max_length=40, json_schema_extra={"enum": list(PURPOSES)},
                               description="Reason code, as for a check (see GET /api/v1/purposes).")]


class SubscriptionRequest(BaseModel):
    """A new subscription: exactly one of person_id, vrm, rule, search (with ``watch`` true
    and a person_id: look-ups of that person by others)."""

    @staticmethod
    def _schema(schema: dict[str, Any]) -> None:
        subjects = ["person_id", "vrm", "rule", "search"]
        _not_null(schema, *subjects, "expires", "team", "webhook_url", "email")
        schema["oneOf"] = [{"required": [n], "not": {"anyOf": [{"required": [m]} for m in subjects if m != n]}}
                           for n in subjects]
        schema["if"] = {"properties": {"watch": {"const": True}}, "required": ["watch"]}
        schema["then"] = {"required": ["person_id"]}

    model_config = ConfigDict(extra="forbid", json_schema_extra=_schema)

    person_id: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    vrm: Annotated[str | None, Field(min_length=1, max_length=16)] = None
    rule: Rule | None = None
    search: SavedSearch | None = None
    watch: bool = Field(False, description="Be told when another user looks the person up (investigative "
                        "interest); the person checking is not told.")
    purpose: Purpose = "investigation"
    reason: Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S",
                                 description="Why: e.g. the case reference (not blank).")]
    expires: Annotated[date, BeforeValidator(date_text)] | None = Field(None, description="Last day the subscription is live (default: a year).")
    team: Annotated[str | None, Field(max_length=40, json_schema_extra={"enum": list(ROLES)},
                                      description="Share with this role in your force.")] = None
    webhook_url: Annotated[str | None, Field(max_length=2000, pattern=WEBHOOK, description=(
        "POST each alert here, signed (https; plain http only to a loopback address)."))] = None
    email: Annotated[str | None, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] = None
    max_per_minute: Annotated[int, Field(ge=1, le=1000)] = 10

    @model_validator(mode="after")
    def _one(self) -> SubscriptionRequest:
        given = [n for n in ("person_id", "vrm", "rule", "search") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of person_id, vrm, rule, search")
        if self.watch and given != ["person_id"]:
            raise ValueError("a watch is on a person: give person_id")
        return self

    @property
    def kind(self) -> Kind:
        if self.watch:
            return Kind.watch
        return Kind.person if self.person_id else Kind.vehicle if self.vrm else Kind.rule if self.rule else Kind.search


class Subscription(BaseModel):
    id: int
    owner: str
    team: str | None
    kind: Kind
    target: str | None
    spec: dict[str, Any] | None
    purpose: str
    reason: str
    created_at: str
    expires: str
    webhook_url: str | None
    email: str | None
    max_per_minute: int
    live: bool
    webhook_secret: str | None = Field(None, description="The webhook's signing secret: in the answer that "
                                       "creates the subscription only.")


class Subscriptions(BaseModel):
    subscriptions: list[Subscription]


class Alert(BaseModel):
    """One inbox entry, as its reader may see it now: the changed record's envelope and its
    data, redacted for the reader (``record`` is absent for a digest or a look-up alert)."""

    id: int
    subscription: int | None
    person_id: str | None
    kind: str = Field(description="change, digest, lookup (a watched person was looked up), merge or split "
                      "(the person was merged or split by matching)")
    at: str
    rkey: str | None = None
    detail: dict[str, Any] = {}
    record: dict[str, Any] | None = None


class Inbox(BaseModel):
    alerts: list[Alert]
    unread: int


class DeadLetter(BaseModel):
    id: int
    subscription: int
    channel: str
    destination: str
    idempotency_key: str
    attempts: int
    last_error: str | None
    created_at: str
