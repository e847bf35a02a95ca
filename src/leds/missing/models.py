"""What the missing-persons register may be asked and what it answers.  Requests forbid
unknown fields and limit every field; codes are the standard's closed lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leds.standard.codes import MISSING_RISK, MISSING_STATUS

Risk = Literal["very_low", "low", "medium", "high"]
Status = Literal["missing", "found", "closed"]
AgeBand = Literal["0-11", "12-17", "18-24", "25-39", "40-59", "60-79", "80+", "unknown"]
Text = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(min_length=1, max_length=5000)]
Purpose = Annotated[str, Field(max_length=40)]
assert set(MISSING_RISK) == set(Risk.__args__) and set(MISSING_STATUS) == set(Status.__args__)  # type: ignore[attr-defined]

AGE_BANDS: dict[str, tuple[int, int]] = {"0-11": (0, 11), "12-17": (12, 17), "18-24": (18, 24), "25-39": (25, 39),
                                         "40-59": (40, 59), "60-79": (60, 79), "80+": (80, 200)}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LiveFilters(_Request):
    force: Annotated[str, Field(max_length=8)] | None = None
    risk: Risk | None = None
    age_band: AgeBand | None = None
    vulnerability: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    min_hours: Annotated[int, Field(ge=0, le=100_000)] | None = None
    max_hours: Annotated[int, Field(ge=0, le=100_000)] | None = None
    repeat_only: bool = False
    page: Annotated[int, Field(ge=1, le=10_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=200)] = 50


class LastSeenIn(_Request):
    at: datetime
    place: Text | None = None
    postcode: Annotated[str, Field(max_length=10)] | None = None
    description: LongText | None = None


class ReportRequest(_Request):
    """The coordinators' report form: a new episode, sent in as a ``missing_episode`` updategram."""

    purpose: Purpose = "missing_person_enquiry"
    reason: Annotated[str, Field(max_length=500)] | None = None
    person: Annotated[str, Field(min_length=1, max_length=200,
                                 description="National person id (NP-...) or a person record's key.")]
    reported_at: datetime
    last_seen: LastSeenIn | None = None
    risk: Risk
    vulnerabilities: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(default_factory=list,
                                                                                       max_length=20)
    circumstances: LongText | None = None
    contact: Text | None = None
    rationale: LongText | None = None


class FoundIn(_Request):
    at: datetime
    place: Text | None = None
    force: Annotated[str, Field(max_length=8)] | None = None
    circumstances: LongText | None = None


class UpdateRequest(_Request):
    """A new version of an episode reported through leds: re-grade, found, closed, interview."""

    purpose: Purpose = "missing_person_enquiry"
    reason: Annotated[str, Field(max_length=500)] | None = None
    risk: Risk | None = None
    status: Status | None = None
    found: FoundIn | None = None
    return_interview_at: datetime | None = None
    rationale: LongText


class ProtocolRequest(_Request):
    purpose: Purpose = "safeguarding"
    reason: Annotated[str, Field(max_length=500)] | None = None
    kind: Literal["herbert", "philomena"]
    person: Annotated[str, Field(min_length=1, max_length=200)]
    consent: Annotated[str, Field(min_length=3, max_length=500,
                                  description="Who consented and how (e.g. 'daughter, lasting power of attorney').")]
    expires_on: date
    description: LongText | None = None
    likely_places: list[Text] = Field(default_factory=list, max_length=20)
    medical: LongText | None = None
    contacts: list[Text] = Field(default_factory=list, max_length=10)
    routines: LongText | None = None


class UnidentifiedRequest(_Request):
    purpose: Purpose = "missing_person_enquiry"
    reason: Annotated[str, Field(max_length=500)] | None = None
    kind: Literal["living", "remains"]
    found_at: datetime
    place: Text | None = None
    sex: Literal["M", "F", "X", "U"] | None = None
    age_min: Annotated[int, Field(ge=0, le=120)] | None = None
    age_max: Annotated[int, Field(ge=0, le=120)] | None = None
    height_cm: Annotated[int, Field(ge=40, le=260)] | None = None
    description: LongText | None = None
    marks: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list, max_length=20)


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
