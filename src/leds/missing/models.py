"""What the missing-persons register may be asked and what it answers.  Requests forbid
unknown fields and limit every field; codes are the standard's closed lists."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from leds.standard.codes import FORCES, MISSING_RISK, MISSING_STATUS
from leds.standard.schema import POSTCODE_PATTERN
from leds.standard.validators import CLOCK_SKEW, date_text, normalise_postcode, now

Risk = Literal["very_low", "low", "medium", "high"]
Status = Literal["missing", "found", "closed"]
AgeBand = Literal["0-11", "12-17", "18-24", "25-39", "40-59", "60-79", "80+", "unknown"]
# Text that is not blank (the schema says so: a pattern), as the standard's own text fields.
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
LongText = Annotated[str, Field(min_length=1, max_length=5000, pattern=r"\S")]
Purpose = Annotated[str, Field(max_length=40)]
EARLIEST = 1900


def _when(value: datetime) -> datetime:
    """A time of this century or the last, not in the future (a time without an offset is UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value.year < EARLIEST:
        raise ValueError(f"a time before {EARLIEST} is not plausible")
    if value > now() + CLOCK_SKEW:
        raise ValueError("the time is in the future")
    return value


def _force(value: str) -> str:
    if value not in FORCES:
        raise ValueError(f"unknown force code {value[:8]!r}")
    return value


def _postcode(value: str) -> str:
    try:
        return normalise_postcode(value)
    except Exception:  # pydantic's own error type, re-raised as a plain message
        raise ValueError("not a UK postcode") from None


def _text_time(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("a time is an ISO 8601 string")
    return value


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a whole number, not true or false")
    return value


Whole = Annotated[int, BeforeValidator(_not_bool)]
When = Annotated[datetime, BeforeValidator(_text_time), AfterValidator(_when), Field(description=f"ISO 8601; from {EARLIEST}, not in the future.")]
Force = Annotated[str, Field(max_length=8, json_schema_extra={"enum": list(FORCES)}), AfterValidator(_force)]
Postcode = Annotated[str, Field(max_length=10, json_schema_extra={"pattern": POSTCODE_PATTERN}),
                     AfterValidator(_postcode)]
assert set(MISSING_RISK) == set(Risk.__args__) and set(MISSING_STATUS) == set(Status.__args__)  # type: ignore[attr-defined]

AGE_BANDS: dict[str, tuple[int, int]] = {"0-11": (0, 11), "12-17": (12, 17), "18-24": (18, 24), "25-39": (25, 39),
                                         "40-59": (40, 59), "60-79": (60, 79), "80+": (80, 200)}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LiveFilters(_Request):
    force: Force | None = None
    risk: Risk | None = None
    age_band: AgeBand | None = None
    vulnerability: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    min_hours: Annotated[int, Field(ge=0, le=100_000)] | None = None
    max_hours: Annotated[int, Field(ge=0, le=100_000)] | None = None
    repeat_only: bool = False
    page: Annotated[int, Field(ge=1, le=10_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=200)] = 50


class LastSeenIn(_Request):
    at: When
    place: Text | None = None
    postcode: Postcode | None = None
    description: LongText | None = None


class ReportRequest(_Request):
    """The coordinators' report form: a new episode, sent in as a ``missing_episode`` updategram."""

    purpose: Purpose
    reason: Annotated[str, Field(max_length=500)] | None = None
    person: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S",
                                 description="National person id (NP-...) or a person record's key.")]
    reported_at: When
    last_seen: LastSeenIn | None = None
    risk: Risk
    vulnerabilities: list[Annotated[str, Field(min_length=1, max_length=40, pattern=r"\S")]] = Field(
        default_factory=list, max_length=20)
    circumstances: LongText | None = None
    contact: Text | None = None
    rationale: LongText | None = None


class FoundIn(_Request):
    at: When
    place: Text | None = None
    force: Force | None = None
    circumstances: LongText | None = None


class UpdateRequest(_Request):
    """A new version of an episode reported through leds: re-grade, found, closed, interview."""

    purpose: Purpose
    reason: Annotated[str, Field(max_length=500)] | None = None
    risk: Risk | None = None
    status: Status | None = None
    found: FoundIn | None = None
    return_interview_at: When | None = None
    rationale: LongText


class ProtocolRequest(_Request):
    purpose: Purpose
    reason: Annotated[str, Field(max_length=500)] | None = None
    kind: Literal["herbert", "philomena"]
    person: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
    consent: Annotated[str, Field(min_length=3, max_length=500, pattern=r"\S",
                                  description="Who consented and how (e.g. 'daughter, lasting power of attorney').")]
    expires_on: Annotated[date, BeforeValidator(date_text)]
    description: LongText | None = None
    likely_places: list[Text] = Field(default_factory=list, max_length=20)
    medical: LongText | None = None
    contacts: list[Text] = Field(default_factory=list, max_length=10)
    routines: LongText | None = None


class UnidentifiedRequest(_Request):
    purpose: Purpose
    reason: Annotated[str, Field(max_length=500)] | None = None
    kind: Literal["living", "remains"]
    found_at: When
    place: Text | None = None
    sex: Literal["M", "F", "X", "U"] | None = None
    age_min: Annotated[Whole, Field(ge=0, le=120, json_schema_extra={"minimum": 0, "maximum": 120})] | None = None
    age_max: Annotated[Whole, Field(ge=0, le=120, json_schema_extra={"minimum": 0, "maximum": 120})] | None = None
    height_cm: Annotated[Whole, Field(ge=40, le=260, json_schema_extra={"minimum": 40, "maximum": 260})] | None = None
    description: LongText | None = None
    marks: list[Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]] = Field(default_factory=list,
                                                                                           max_length=20)


# -- answers -------------------------------------------------------------------------------
class Episode(BaseModel):
    episode_id: str
    force: str
    source: str
    person_id: str
    subject: str
    subject_received: bool
    name: str | None = None
    risk: str
    status: str
    reported_at: str
    last_seen_at: str | None = None
    hours_missing: int | None = None
    age: int | None = None
    child: bool
    repeat: bool = False
    episodes_of_person: int = 1
    found_at: str | None = None
    review_due: str | None = None
    review_overdue: bool = False
    protocols: int = 0
    data: dict[str, Any] | None = None
    redacted: list[str] = Field(default_factory=list)


class LiveAnswer(BaseModel):
    episodes: list[Episode]
    total: int
    page: int
    per_page: int
    headline: dict[str, Any]


class EpisodeDetail(BaseModel):
    episode: Episode
    history: list[dict[str, Any]]
    sightings: list[dict[str, Any]]
    protocols: list[dict[str, Any]]
    other_episodes: list[dict[str, Any]]
    timers: dict[str, Any]


class Reported(BaseModel):
    episode_id: str
    sequence: int
    protocols: list[dict[str, Any]]


class Stats(BaseModel):
    episodes: int
    live: int
    people: int
    found: int
    closed: int
    repeat_people: int
    repeat_rate: float
    by_force: list[dict[str, Any]]
    by_risk: list[dict[str, Any]]
    by_age_band: list[dict[str, Any]]
    by_month: list[dict[str, Any]]
    time_missing: list[dict[str, Any]]
    return_interviews: dict[str, Any]


class Protocol(BaseModel):
    id: int
    kind: str
    subject: str
    force: str
    lodged_by: str
    lodged_at: str
    consent: str
    expires_on: str
    details: dict[str, Any]


class Unidentified(BaseModel):
    id: int
    kind: str
    found_at: str
    force: str
    candidates: list[dict[str, Any]] = Field(default_factory=list)


class MissingBanner(BaseModel):
    """A live episode of the checked person (or of a person linked to the checked vehicle):
    shown first on the check, as MISSING."""

    episode_id: str
    risk: str
    reporting_force: str
    reported_at: str
    hours_missing: int | None
    contact: str
    last_seen: dict[str, Any] | None
    child: bool
    repeat: bool
    person_id: str
