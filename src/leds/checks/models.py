"""What a check or a search may ask, validated before anything is looked up, and what a
check answers.

Every field has a length limit (an oversized query is refused, never truncated), dates
must be real dates in the past, and codes must be on the published code lists.  The
same models serve the API (as request bodies) and the web pages (from form fields).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.json_schema import JsonDict

from leds.access.rules import PURPOSES
from leds.missing.models import MissingBanner
from leds.persons.models import Event, Marker, PersonSummary
from leds.records.models import Fact
from leds.standard.codes import DATASETS, FORCES
from leds.standard.validators import EARLIEST_DATE, date_text, normalise_pnc_id, today

Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"[A-Za-z]")]  # folded to at least one letter
# What the validators below accept, said in the schema too (so that a client generated from the
# OpenAPI document sends only what is accepted): letters and digits, with spaces between.
VRM_PATTERN = r"^ *([A-Za-z0-9][ -]*){2,8}$"
POSTCODE_PATTERN = r"^ *[A-Za-z]( *[A-Za-z0-9]){1,6} *$"
# Free text is searched by its words (letters and digits, search.keys.words): one is needed.
WORD_PATTERN = r"[A-Za-z0-9]"
# A PNC ID's last letter is a check character (mod 23), which a pattern cannot say: the schema
# names the format, and the validator verifies the letter.
PNC_FORMAT = {"format": "pnc-id"}


def _one_of_given(*fields: str, texts: tuple[str, ...] = ()) -> JsonDict:
    """JSON Schema for "at least one of these fields, not null" (and, for ``texts``, not blank)."""
    given: JsonDict = {"not": {"type": "null"}}
    text: JsonDict = {"type": "string", "pattern": WORD_PATTERN}
    return {"anyOf": [{"required": [f], "properties": {f: text if f in texts else given}} for f in fields]}
PURPOSE_TEXT_MAX = 500


def _past(d: date) -> date:
    if d > today():
        raise ValueError(f"date {d.isoformat()} is in the future")
    if d < EARLIEST_DATE:
        raise ValueError(f"date {d.isoformat()} is before {EARLIEST_DATE.isoformat()}")
    return d


def _postcode_like(v: str) -> str:
    if not re.fullmatch(POSTCODE_PATTERN, v):
        raise ValueError("enter a postcode or a postcode district, like LS1 4AP or LS1")
    return v.replace(" ", "").upper()


def _pnc(v: str) -> str:
    try:
        return normalise_pnc_id(v)
    except Exception as exc:  # pydantic's own error type, re-raised as a plain message
        raise ValueError(str(exc)) from None


PastDate = Annotated[date, BeforeValidator(date_text), AfterValidator(_past)]
Age = Annotated[int, Field(ge=0, le=130)]


class _Query(BaseModel):
    # Values are taken as sent (no stripping): each limit and pattern in the schema then holds
    # for exactly what the client sends; the name and postcode keys ignore spaces anyway.
    model_config = ConfigDict(extra="forbid")


class PersonQuery(_Query):
    """A person check: any of name, date of birth, age range, sex, PNC ID and postcode."""

    surname: Name | None = Field(None, description="Family name; `*` and `?` are wildcards.")
    forename: Name | None = Field(None, description="Given name (nicknames and short forms are found too).")
    dob: PastDate | None = Field(None, description="Date of birth, YYYY-MM-DD: a real date, from 1880 to today.")
    age_from: Age | None = Field(None, description="Youngest age; not above age_to.")
    age_to: Age | None = None
    sex: Literal["M", "F", "X", "U"] | None = None
    pnc_id: Annotated[str, Field(max_length=16, json_schema_extra=PNC_FORMAT), AfterValidator(_pnc)] | None = Field(
        None, description="PNC ID, YYYY/NNNNNNNL (the check character is verified).")
    postcode: Annotated[str, Field(max_length=10, json_schema_extra={"pattern": POSTCODE_PATTERN}),
                        AfterValidator(_postcode_like)] | None = None

    model_config = ConfigDict(json_schema_extra=_one_of_given("surname", "dob", "pnc_id", "postcode"))

    @model_validator(mode="after")
    def _enough(self) -> PersonQuery:
        if not (self.surname or self.pnc_id or self.dob or self.postcode):
            raise ValueError("give at least a surname, a date of birth, a PNC ID or a postcode")
        if self.age_from is not None and self.age_to is not None and self.age_from > self.age_to:
            raise ValueError("the lowest age is above the highest age")
        return self


class VehicleQuery(_Query):
    vrm: Annotated[str, Field(min_length=1, max_length=16, json_schema_extra={"pattern": VRM_PATTERN},
                              description="Registration mark; 0/O, 1/I, 5/S, 8/B and 2/Z are treated as alike.")]

    @model_validator(mode="after")
    def _shape(self) -> VehicleQuery:
        if not re.fullmatch(VRM_PATTERN, self.vrm):
            raise ValueError("a registration mark has 2 to 8 letters and digits")
        return self


class SearchQuery(_Query):
    """Descriptive search, like the PNC's, over everything the caller may see."""

    surname: Name | None = Field(None, description="`*` and `?` are wildcards: `Smi*`, `Sm?th`.")
    forename: Name | None = None
    phonetic: bool = Field(False, description="Also find names that sound alike (Metaphone).")
    dob: PastDate | None = Field(None, description="Date of birth, YYYY-MM-DD: a real date, from 1880 to today.")
    age_from: Age | None = Field(None, description="Youngest age; not above age_to.")
    age_to: Age | None = None
    sex: Literal["M", "F", "X", "U"] | None = None
    height_from: Annotated[int, Field(ge=40, le=260)] | None = Field(None, description="Lowest height in cm; "
                                                                     "not above height_to.")
    height_to: Annotated[int, Field(ge=40, le=260)] | None = None
    marks: Annotated[str, Field(max_length=200, json_schema_extra={"pattern": f"^$|{WORD_PATTERN}"})] | None = Field(
        None, description="Marks, scars, tattoos: free text, with at least one word.")
    district: Annotated[str, Field(max_length=10, json_schema_extra={"pattern": POSTCODE_PATTERN}),
                        AfterValidator(_postcode_like)] | None = Field(
        None, description="Postcode district (LS1) or full postcode.")
    force: Annotated[str, Field(max_length=8, json_schema_extra={"enum": list(FORCES)})] | None = None
    dataset: Annotated[str, Field(max_length=32, json_schema_extra={"enum": list(DATASETS)})] | None = None
    text: Annotated[str, Field(max_length=200, json_schema_extra={"pattern": f"^$|{WORD_PATTERN}"})] | None = Field(
        None, description="Full text over event descriptions and intelligence, with at least one word.")
    page: Annotated[int, Field(ge=1, le=1000)] = 1
    per_page: Annotated[int, Field(ge=1, le=100)] = 20

    model_config = ConfigDict(json_schema_extra=_one_of_given(
        "surname", "forename", "dob", "age_from", "age_to", "height_from", "height_to", "marks", "district", "text",
        texts=("marks", "text")))

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
