"""The national data standard, v1: Pydantic models of the updategram and the
POLE record types (person, object/vehicle, location, event) plus markers and
links.  These models *are* the standard: JSON Schema is exported from them and
``docs/standard.md`` documents them field by field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from . import codes
from .validators import (
    code_in,
    human_height,
    normalise_pnc_id,
    normalise_postcode,
    normalise_vrm,
    past_date,
    past_datetime,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# Strict: from JSON only ISO strings, never numbers read as timestamps.
PastDate = Annotated[date, Strict(), AfterValidator(past_date)]
PastDateTime = Annotated[datetime, Strict(), AfterValidator(past_datetime)]
AnyDate = Annotated[date, Strict()]
ForceCode = Annotated[str, AfterValidator(code_in("forces", codes.FORCES, "unknown_force"))]
Postcode = Annotated[str, AfterValidator(normalise_postcode)]


def _code(name: str) -> Any:
    return AfterValidator(code_in(name, codes.CODE_LISTS[name]))


# An open vocabulary (UPDATEGRAM.md, "Closed and open code lists"): the code list only
# illustrates; any other value is accepted verbatim and counted by data quality as non-standard.
OpenCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- references between records ---------------------------------------------
class Ref(_Strict):
    """Points at another record.  ``force`` and ``source`` default to the
    sender's own; give them to point at another force's or system's record."""

    type: Annotated[str, _code("record_types")]
    ref: Identifier
    force: ForceCode | None = None
    source: Identifier | None = None


# --- record data --------------------------------------------------------------
class Name(_Strict):
    given: list[Text] = Field(default_factory=list, max_length=10)
    family: Text | None = None
    kind: Annotated[str, _code("name_kinds")] = "primary"


CRO_RE = re.compile(r"^(?:SF)?[0-9]{2}/[0-9]{1,6}[A-Z]$|^[0-9]{1,6}/[0-9]{2}[A-Z]$")


def _cro(value: str) -> str:
    v = value.strip().upper()
    if not CRO_RE.match(v):
        raise PydanticCustomError(
            "invalid_cro_number",
            "'{value}' is not a CRO number (NNNNNN/YYL or SFYY/NNNNNNL)",
            {"value": value[:20]},
        )
    return v


class PersonData(_Strict):
    names: list[Name] = Field(min_length=1, max_length=50)
    birth_dates: list[PastDate] = Field(default_factory=list, max_length=20)
    sex: Annotated[str, _code("sex")] | None = None
    pnc_id: Annotated[str, AfterValidator(normalise_pnc_id)] | None = None
    cro_number: Annotated[str, AfterValidator(_cro)] | None = None
    ethnicity_officer: Annotated[str, _code("ethnicity_officer")] | None = None
    height_cm: Annotated[StrictInt, AfterValidator(human_height)] | None = None
    marks: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=50
    )
    place_of_birth: Text | None = None
    nationality: Text | None = None

    @model_validator(mode="after")
    def _a_family_name(self) -> PersonData:
        if not any(n.family for n in self.names):
            raise PydanticCustomError(
                "missing_family_name", "at least one name must have a family name", {}
            )
        return self


_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{11,17}$")


def _vin(value: str) -> str:
    v = value.strip().upper()
    if not _VIN_RE.match(v):
        raise PydanticCustomError(
            "invalid_vin", "'{value}' is not a VIN (11-17 characters, no I, O or Q)", {"value": value[:20]}
        )
    return v


class VehicleData(_Strict):
    # Declared before ``vrm``: a foreign plate is checked against no UK format.
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "GB"
    vrm: str
    make: Text | None = None
    model: Text | None = None
    colour: Text | None = None
    vin: Annotated[str, AfterValidator(_vin)] | None = None

    @field_validator("vrm")
    @classmethod
    def _normalise_vrm(cls, value: str, info: ValidationInfo) -> str:
        return normalise_vrm(value, foreign=info.data.get("country", "GB") != "GB")


class Address(_Strict):
    lines: list[Text] = Field(default_factory=list, max_length=6)
    town: Text | None = None
    postcode: Postcode | None = None


class LocationData(_Strict):
    address: Address | None = None
    uprn: Annotated[StrictInt, Field(ge=1, le=999_999_999_999)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> LocationData:
        a = self.address
        no_address = a is None or (not a.lines and a.town is None and a.postcode is None)
        if no_address and self.uprn is None and (self.lat is None or self.lon is None):
            raise PydanticCustomError(
                "missing_location", "a location needs an address, a UPRN or both lat and lon", {}
            )
        return self


class EventData(BaseModel):
    """Events carry kind-specific fields beyond these; they are kept as sent."""

    model_config = ConfigDict(extra="allow")

    kind: OpenCode  # open: codes.EVENT_KINDS
    occurred_at: PastDateTime
    description: LongText | None = None


class _Period(_Strict):
    valid_from: PastDate | None = None
    valid_to: AnyDate | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _Period:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise PydanticCustomError(
                "invalid_period",
                "valid_to {to} is before valid_from {frm}",
                {"to": self.valid_to.isoformat(), "frm": self.valid_from.isoformat()},
            )
        return self


class MarkerData(_Period):
    subject: Ref
    code: Annotated[str, _code("markers")]
    detail: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class LinkData(_Period):
    # Only the wire name "from" is accepted ("from_" is Python's spelling).
    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    from_: Ref = Field(alias="from")
    to: Ref
    role: OpenCode  # open: codes.LINK_ROLES


class LastSeen(_Strict):
    at: PastDateTime
    place: Text | None = None
    postcode: Postcode | None = None
    description: LongText | None = None


class Found(_Strict):
    at: PastDateTime | None = None
    place: Text | None = None
    force: ForceCode | None = None
    circumstances: LongText | None = None


class ReturnInterview(_Strict):
    at: PastDateTime
    by: Text | None = None


class MissingEpisodeData(_Strict):
    """One missing-person episode; its later states are later versions of the same record."""

    subject: Ref
    reported_at: PastDateTime
    last_seen: LastSeen | None = None
    risk: Annotated[str, _code("missing_risk")]
    vulnerabilities: list[Text] = Field(default_factory=list, max_length=20)  # open vocabulary
    circumstances: LongText | None = None
    status: Annotated[str, _code("missing_status")]
    found: Found | None = None
    return_interview: ReturnInterview | None = None
    contact: Text | None = None
    recorded_by: Text | None = None
    rationale: LongText | None = None

    @model_validator(mode="after")
    def _in_order(self) -> MissingEpisodeData:
        if self.subject.type != "person":
            raise PydanticCustomError("invalid_code", "the subject of an episode must be a person", {})
        if self.status == "found" and (self.found is None or self.found.at is None):
            raise PydanticCustomError("found_without_time", "status found needs found.at", {})
        if self.last_seen is not None and self.last_seen.at > self.reported_at:
            raise PydanticCustomError("last_seen_after_reported", "last_seen.at {seen} is after reported_at {rep}",
                                      {"seen": self.last_seen.at.isoformat(), "rep": self.reported_at.isoformat()})
        if self.found is not None and self.found.at is not None and self.found.at < self.reported_at:
            raise PydanticCustomError("found_before_reported", "found.at {found} is before reported_at {rep}",
                                      {"found": self.found.at.isoformat(), "rep": self.reported_at.isoformat()})
        return self


DATA_MODELS: dict[str, type[BaseModel]] = {
    "person": PersonData,
    "vehicle": VehicleData,
    "location": LocationData,
    "event": EventData,
    "marker": MarkerData,
    "link": LinkData,
    "missing_episode": MissingEpisodeData,
}


# --- records and the envelope --------------------------------------------------
class _RecordBase(_Strict):
    ref: Identifier
    dataset: Annotated[str, _code("datasets")] | None = None
    handling: Annotated[str, _code("handling")] | None = None
    # Visible to every force ("national") or to the recording force only
    # ("force").  When absent the dataset decides: see leds.access.rules.
    sharing: Literal["force", "national"] | None = None


class PersonRecord(_RecordBase):
    type: Literal["person"]
    data: PersonData | None = None


class VehicleRecord(_RecordBase):
    type: Literal["vehicle"]
    data: VehicleData | None = None


class LocationRecord(_RecordBase):
    type: Literal["location"]
    data: LocationData | None = None


class EventRecord(_RecordBase):
    type: Literal["event"]
    data: EventData | None = None


class MarkerRecord(_RecordBase):
    type: Literal["marker"]
    data: MarkerData | None = None


class LinkRecord(_RecordBase):
    type: Literal["link"]
    data: LinkData | None = None


class MissingEpisodeRecord(_RecordBase):
    type: Literal["missing_episode"]
    data: MissingEpisodeData | None = None


AnyRecord = Annotated[
    PersonRecord | VehicleRecord | LocationRecord | EventRecord | MarkerRecord | LinkRecord
    | MissingEpisodeRecord,
    Field(discriminator="type"),
]


class Updategram(_Strict):
    """One line of an updategram file: an envelope around one record."""

    updategram: Literal["1"]
    force: ForceCode
    source: Identifier
    sequence: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)]
    issued_at: PastDateTime
    op: Annotated[str, _code("ops")]
    record: AnyRecord

    @model_validator(mode="after")
    def _op_shape(self) -> Updategram:
        r = self.record
        if self.op == "upsert":
            missing = [f for f in ("data", "dataset", "handling") if getattr(r, f) is None]
            if missing:
                raise PydanticCustomError(
                    "missing",
                    "an upsert needs record.{fields}",
                    {"fields": ", record.".join(missing)},
                )
        elif r.data is not None or r.dataset is not None or r.handling is not None or r.sharing is not None:
            raise PydanticCustomError(
                "delete_with_data", "a delete carries only record.type and record.ref", {}
            )
        return self

    def refs(self) -> list[tuple[str, Ref]]:
        """The records this one points at, with the role each plays."""
        d = self.record.data
        if isinstance(d, MarkerData | MissingEpisodeData):
            return [("subject", d.subject)]
        if isinstance(d, LinkData):
            return [("from", d.from_), ("to", d.to)]
        return []
