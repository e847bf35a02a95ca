"""What a check or a search may ask, validated before anything is looked up, and what a
check answers.

Every field has a length limit (an oversized query is refused, never truncated), dates
must be real dates in the past, and codes must be on the published code lists.  The
same models serve the API (as request bodies) and the web pages (from form fields).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from leds.access.rules import PURPOSES
from leds.missing.models import MissingBanner
from leds.persons.models import Event, Marker, PersonSummary
from leds.records.models import Fact
from leds.standard.codes import DATASETS, FORCES
from leds.standard.validators import EARLIEST_DATE, normalise_pnc_id, today

Name = Annotated[str, Field(min_length=1, max_length=100)]
PURPOSE_TEXT_MAX = 500


def _past(d: date) -> date:
    if d > today():
        raise ValueError(f"date {d.isoformat()} is in the future")
    if d < EARLIEST_DATE:
        raise ValueError(f"date {d.isoformat()} is before {EARLIEST_DATE.isoformat()}")
    return d


def _postcode_like(v: str) -> str:
    compact = "".join(v.split()).upper()
    if not (2 <= len(compact) <= 7) or not compact.isalnum() or not compact[0].isalpha():
        raise ValueError("enter a postcode or a postcode district, like LS1 4AP or LS1")
    return compact


def _pnc(v: str) -> str:
    try:
        return normalise_pnc_id(v)
    except Exception as exc:  # pydantic's own error type, re-raised as a plain message
        raise ValueError(str(exc)) from None


PastDate = Annotated[date, AfterValidator(_past)]
Age = Annotated[int, Field(ge=0, le=130)]


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PersonQuery(_Query):
    """A person check: any of name, date of birth, age range, sex, PNC ID and postcode."""

    surname: Name | None = Field(None, description="Family name; `*` and `?` are wildcards.")
    forename: Name | None = Field(None, description="Given name (nicknames and short forms are found too).")
    dob: PastDate | None = Field(None, description="Date of birth, YYYY-MM-DD.")
    age_from: Age | None = None
    age_to: Age | None = None
    sex: Literal["M", "F", "X", "U"] | None = None
    pnc_id: Annotated[str, Field(max_length=16), AfterValidator(_pnc)] | None = Field(
        None, description="PNC ID, YYYY/NNNNNNNL (the check character is verified).")
    postcode: Annotated[str, Field(max_length=10), AfterValidator(_postcode_like)] | None = None

    @model_validator(mode="after")
    def _enough(self) -> PersonQuery:
        if not (self.surname or self.pnc_id or self.dob or self.postcode):
            raise ValueError("give at least a surname, a date of birth, a PNC ID or a postcode")
        if self.age_from is not None and self.age_to is not None and self.age_from > self.age_to:
            raise ValueError("the lowest age is above the highest age")
        return self


class VehicleQuery(_Query):
    vrm: Annotated[str, Field(min_length=1, max_length=16,
                              description="Registration mark; 0/O, 1/I, 5/S, 8/B and 2/Z are treated as alike.")]

    @model_validator(mode="after")
    def _shape(self) -> VehicleQuery:
        compact = "".join(c for c in self.vrm.upper() if c.isalnum())
        if not 2 <= len(compact) <= 8:
            raise ValueError("a registration mark has 2 to 8 letters and digits")
        return self


class SearchQuery(_Query):
    """Descriptive search, like the PNC's, over everything the caller may see."""

    surname: Name | None = Field(None, description="`*` and `?` are wildcards: `Smi*`, `Sm?th`.")
    forename: Name | None = None
    phonetic: bool = Field(False, description="Also find names that sound alike (Metaphone).")
    dob: PastDate | None = None
    age_from: Age | None = None
    age_to: Age | None = None
    sex: Literal["M", "F", "X", "U"] | None = None
    height_from: Annotated[int, Field(ge=40, le=260)] | None = None
    height_to: Annotated[int, Field(ge=40, le=260)] | None = None
    marks: Annotated[str, Field(max_length=200)] | None = Field(None, description="Marks, scars, tattoos: free text.")
    district: Annotated[str, Field(max_length=10), AfterValidator(_postcode_like)] | None = Field(
        None, description="Postcode district (LS1) or full postcode.")
    force: Annotated[str, Field(max_length=8)] | None = None
    dataset: Annotated[str, Field(max_length=32)] | None = None
    text: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="Full text over event descriptions and intelligence.")
    page: Annotated[int, Field(ge=1, le=1000)] = 1
    per_page: Annotated[int, Field(ge=1, le=100)] = 20

    @model_validator(mode="after")
    def _check(self) -> SearchQuery:
        if self.force is not None and self.force not in FORCES:
            raise ValueError(f"unknown force code {self.force[:8]!r}")
        if self.dataset is not None and self.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {self.dataset[:32]!r}")
        if self.age_from is not None and self.age_to is not None and self.age_from > self.age_to:
            raise ValueError("the lowest age is above the highest age")
        if self.height_from is not None and self.height_to is not None and self.height_from > self.height_to:
            raise ValueError("the lowest height is above the highest height")
        if not any((self.surname, self.forename, self.dob, self.age_from is not None, self.age_to is not None,
                    self.height_from, self.height_to, self.marks, self.district, self.text)):
            raise ValueError("give at least one of: a name, a date of birth or age range, a height range, "
                             "marks, a postcode district or text")
        return self


# -- the reason a look-up gives, and what a check answers --------------------------------
# The routes answer with orjson from the services' dicts; these models are their schema.
class Reason(BaseModel):
    """Why the caller looks: a code from GET /api/v1/purposes and, where it needs one, text."""

    purpose: Annotated[str | None, Field(max_length=40, description="A reason code from GET /api/v1/purposes.",
                                         json_schema_extra={"enum": list(PURPOSES)})] = None
    reason: Annotated[str | None, Field(max_length=PURPOSE_TEXT_MAX,
                                        description="Explanation, e.g. the case reference.")] = None


class ExplanationRow(BaseModel):
    """What one comparison contributed to a candidate's match weight (in bits; null for an
    infinite weight, e.g. a certain disagreement)."""

    comparison: str
    level: str | None
    weight: float | None


class Candidate(BaseModel):
    """A candidate national person, ranked by the match weight of its best record."""

    person_id: str
    confidence: float = Field(description="The match probability, 0 to 1.")
    weight: float | None = Field(description="The match weight in bits (null if infinite).")
    model_version: int | None = Field(description="The matching model that scored it; null before the first "
                                                  "`leds match` (scored by field agreement).")
    explanation: list[ExplanationRow]
    name: str
    birth_dates: list[str]
    sex: str | None
    forces: list[str]
    records: int
    markers: list[str]


class PersonCheckAnswer(BaseModel):
    candidates: list[Candidate]
    summary: PersonSummary | None = Field(description="The best candidate's summary, or the chosen `person_id`'s.")
    scored_by: Literal["model", "field agreement"]
    missing: list[MissingBanner] = Field(default_factory=list, description="The chosen person's live missing "
                                         "episodes (shown first, as MISSING); empty when none.")


class VehiclePerson(Fact):
    """A keeper or user of the vehicle (``role``); ``date`` is when the link began."""

    role: str | None
    person_id: str
    name: str
    birth_dates: list[str] | None


class VehicleHit(Fact):
    vrm: str | None
    make: str | None
    model: str | None
    colour: str | None
    vin: str | None
    match: Literal["exact", "confusable"]
    people: list[VehiclePerson]
    markers: list[Marker]
    reports: list[Event]


class VehicleCheckAnswer(BaseModel):
    query: str
    normalised: str
    vehicles: list[VehicleHit]
    missing: list[MissingBanner] = Field(default_factory=list, description="Live missing episodes of the "
                                         "vehicle's people (shown first, as MISSING).")
