"""Pydantic shapes of the office's API and files: frameworks and assessments (their JSON Schemas
are published: ``leds maturity schema``, ``GET /api/v1/maturity/schemas/{name}``), commissioning
requests and scores, benefit profiles, objectives and risks."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leds.standard.codes import FORCES

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Short = Annotated[str, Field(min_length=1, max_length=200)]
Force = Annotated[str, Field(min_length=2, max_length=8, pattern=r"^[A-Z0-9]+$",
                             json_schema_extra={"enum": list(FORCES)})]
Said = Annotated[str, Field(min_length=1, max_length=4000, pattern=r"\S", description="Not blank.")]
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
COMPUTED_MEASURES = ("forces_onboarded", "datasets_connected", "agreements_in_force", "volume_shared",
                     "data_quality", "portal_coverage")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rag(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"


# -- maturity frameworks ---------------------------------------------------------------------
class Level(Strict):
    level: int = Field(ge=0, le=10)
    name: Short
    descriptor: Text


class Heading(Strict):
    id: Id
    title: Short


class Question(Strict):
    id: Id
    topic: Id
    theme: Id
    text: Text
    levels: dict[str, Text] = Field(default_factory=dict, max_length=11,
                                    description="What each level looks like for this question (level -> descriptor).")
    leds_evidence: str | None = Field(None, max_length=40, description="A measure leds holds that bears on it "
                                      "(quality_score, quarantine_rate, timeliness, retention_backlog).")


class Framework(Strict):
    """A maturity framework as data: a scale of levels, topics and themes (a question sits in
    one of each), the questions with their level descriptors.  Versioned: a new version is a
    new framework row; rounds keep the version they were answered against."""

    id: Id
    version: int = Field(ge=1, le=10_000)
    title: Short
    source: str = Field("", max_length=500)
    scale: list[Level] = Field(min_length=2, max_length=11)
    topics: list[Heading] = Field(min_length=1, max_length=50)
    themes: list[Heading] = Field(min_length=1, max_length=50)
    questions: list[Question] = Field(min_length=1, max_length=500)


class FrameworkSummary(BaseModel):
    id: str
    version: int
    title: str
    questions: int
    builtin: bool


class Frameworks(BaseModel):
    frameworks: list[FrameworkSummary]


# -- assessments ------------------------------------------------------------------------------
class Answer(Strict):
    """A level claimed for a question: every level above 0 needs its evidence, a note (not
    blank) or a link."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "if": {"properties": {"level": {"minimum": 1}}, "required": ["level"]},
        "then": {"anyOf": [{"properties": {"evidence": {"type": "string", "pattern": r"\S"}}, "required": ["evidence"]},
                           {"properties": {"link": {"type": "string"}}, "required": ["link"]}]}})

    question: Id
    level: int = Field(ge=0, le=10, description="A level of the framework's scale.")
    evidence: str = Field("", max_length=4000, description="A note saying why the level is met.")
    link: str | None = Field(None, max_length=500, pattern=r"^https?://\S+$")

    @model_validator(mode="after")
    def _evidenced(self) -> Answer:
        if self.level > 0 and not (self.evidence.strip() or self.link):
            raise ValueError(f"{self.question}: level {self.level} is claimed without evidence: "
                             "give a note or a link")
        return self


class Assessment(Strict):
    """A force's round: the levels claimed, each above 0 with its evidence (a note or
    a link).  ``submit`` closes the round (every question must be answered)."""

    framework: Id
    framework_version: int | None = Field(None, ge=1, le=10_000)
    force: Force
    label: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 ._/-]+$",
                       description="The round, e.g. 2025 or 2025-26.")
    answers: list[Answer] = Field(default_factory=list, max_length=500)
    submit: bool = False


class RoundAnswer(BaseModel):
    question: str
    level: int
    evidence: str
    link: str | None


class Round(BaseModel):
    id: int
    framework: str
    framework_version: int
    force: str
    label: str
    status: str
    started_at: str
    submitted_at: str | None
    answered: int
    questions: int
    answers: list[RoundAnswer]


class Rounds(BaseModel):
    rounds: list[dict[str, Any]]


class Target(Strict):
    framework: Id
    force: Force
    topic: Id
    level: int = Field(ge=0, le=10)
    by_date: Day


class Targets(BaseModel):
    targets: list[dict[str, Any]]


class Dashboard(BaseModel):
    """The national dashboard: no single index, by design."""

    framework: str
    version: int
    scale: list[dict[str, Any]]
    topics: list[dict[str, Any]]
    themes: list[dict[str, Any]]
    forces: list[str]
    national: dict[str, Any]
    by_force: dict[str, Any]
    spread: dict[str, dict[str, int]]
    change: dict[str, Any]
    gaps: list[dict[str, Any]]
    similar: dict[str, list[dict[str, Any]]]


# -- commissioning -----------------------------------------------------------------------------
class Priority(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class RequestIn(Strict):
    title: Short
    problem: Text
    portfolio: str = Field(min_length=1, max_length=120, description="Who asks: the portfolio, force or team.")
    priority: Priority
    evidence: Text


class SimilarIn(Strict):
    title: str = Field("", max_length=200)
    problem: str = Field("", max_length=4000)


class Criterion(StrEnum):
    strategic_alignment = "strategic_alignment"
    capability = "capability"
    stakeholder_engagement = "stakeholder_engagement"
    feasibility = "feasibility"
    cost = "cost"


class ScoreIn(Strict):
    criterion: Criterion
    score: int = Field(ge=1, le=5, description="The criterion's range (GET /api/v1/commissioning/criteria): 1-5.")
    rationale: Said


class ScoresIn(Strict):
    scores: list[ScoreIn] = Field(min_length=1, max_length=10)


class Category(StrEnum):
    p1 = "P1"
    p2 = "P2"
    p3 = "P3"
    p4 = "P4"


class DecisionKind(StrEnum):
    approved = "approved"
    rejected = "rejected"
    deferred = "deferred"
    duplicate = "duplicate"


class DecisionIn(Strict):
    """Approving needs a category; marking a duplicate needs the request it duplicates."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"allOf": [
        {"if": {"properties": {"decision": {"const": "approved"}}, "required": ["decision"]},
         "then": {"properties": {"category": {"type": "string"}}, "required": ["category"]}},
        {"if": {"properties": {"decision": {"const": "duplicate"}}, "required": ["decision"]},
         "then": {"properties": {"duplicate_of": {"type": "integer"}}, "required": ["duplicate_of"]}}]})

    decision: DecisionKind
    category: Category | None = None
    note: Said
    duplicate_of: int | None = Field(None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _complete(self) -> DecisionIn:
        if self.decision == DecisionKind.approved and self.category is None:
            raise ValueError("an approved request needs a priority category")
        if self.decision == DecisionKind.duplicate and self.duplicate_of is None:
            raise ValueError("say which request it duplicates (duplicate_of)")
        return self


class Similar(BaseModel):
    kind: str
    id: str
    title: str
    score: float
    likely_duplicate: bool


class SimilarList(BaseModel):
    similar: list[Similar]
    method: str


class RequestOut(BaseModel):
    id: int
    ref: str
    title: str
    problem: str
    requester: str
    force: str
    portfolio: str
    priority: str
    evidence: str
    status: str
    category: str | None
    duplicate_of: int | None
    created_at: str
    scores: list[dict[str, Any]]
    total: int | None
    suggested_category: str | None
    log: list[dict[str, Any]]
    similar: list[Similar] = []


class RequestList(BaseModel):
    requests: list[dict[str, Any]]


class Criteria(BaseModel):
    criteria: list[dict[str, Any]]
    categories: list[dict[str, Any]]


# -- benefits ----------------------------------------------------------------------------------
class BenefitIn(Strict):
    """A benefit profile in the plan's template (Appendix E)."""

    ref: str = Field(pattern=r"^BEN_\d{3,5}$")
    title: Short
    rationale: Text
    owner: Short
    category: str = Field(pattern=r"^(quantitative|qualitative)$")
    measure: str = Field(min_length=1, max_length=300)
    unit: str = Field(min_length=1, max_length=40)
    calculation: str = Field("", max_length=4000)
    baseline: float = Field(description="Required: a benefit without a baseline cannot be tracked.")
    target: float
    stage: Short
    rag: Rag = Rag.amber
    computed: str | None = Field(None, max_length=40, description="A measure leds computes itself (GET "
                                 "/api/v1/benefits: computed_measures).",
                                 json_schema_extra={"enum": [*COMPUTED_MEASURES, None]})


class MeasurementIn(Strict):
    day: Day
    value: float
    note: str = Field("", max_length=1000)


class Benefit(BaseModel):
    ref: str
    title: str
    rationale: str
    owner: str
    category: str
    measure: str
    unit: str
    calculation: str
    baseline: float
    target: float
    stage: str
    rag: str
    computed: str | None
    latest: float | None
    progress: float | None
    measurements: list[dict[str, Any]]
    trend: list[dict[str, Any]] = Field(default_factory=list, description="A computed measure's history by month.")


class Benefits(BaseModel):
    benefits: list[Benefit]
    computed_measures: dict[str, str]


# -- delivery ----------------------------------------------------------------------------------
class ObjectiveIn(Strict):
    ref: str = Field(pattern=r"^[0-9]{1,2}\.[0-9]{1,2}$")
    strand: Short
    title: Short
    owner: Short
    rag: Rag
    progress: str = Field("", max_length=4000)
    due: Day | None = None


class RiskIn(Strict):
    objective: str = Field(pattern=r"^[0-9]{1,2}\.[0-9]{1,2}$")
    description: Text
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    mitigation: Text
    owner: Short
    status: str = Field("open", pattern=r"^(open|closed)$")


class Objectives(BaseModel):
    objectives: list[dict[str, Any]]


class QuarterlyReport(BaseModel):
    quarter: str
    summary: dict[str, Any]
    strands: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    markdown: str


class Saved(BaseModel):
    ok: bool
    id: str
