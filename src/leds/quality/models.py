"""API shapes of the quality domain."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel

from leds.standard.codes import FORCES

from .rules import RECORD_RULES, RULES

By = Literal["force", "source"]
# Enumerations the API validates (and documents): force codes, rule ids, record-level rule ids.
ForceCode = Enum("ForceCode", {k: k for k in FORCES}, type=str)  # type: ignore[misc]
RuleId = Enum("RuleId", {r.id.replace(".", "_"): r.id for r in RULES}, type=str)  # type: ignore[misc]
RecordRuleId = Enum("RecordRuleId", {r.id.replace(".", "_"): r.id for r in RECORD_RULES}, type=str)  # type: ignore[misc]
PeriodName = Literal["week", "month"]


class RuleOut(BaseModel):
    id: str
    dimension: str
    description: str
    counts: str


class Rules(BaseModel):
    rules: list[RuleOut]


class ScorecardRow(BaseModel):
    force: str
    source: str | None
    rule: str
    dimension: str | None
    passed: int
    total: int
    period: str | None = None


class Scorecard(BaseModel):
    rows: list[ScorecardRow]


class Changes(BaseModel):
    period: str
    rule: str | None
    force: str | None
    new: int
    resolved: int
    persisting: int


class FailingRecord(BaseModel):
    rkey: str
    force: str
    source: str
    type: str
    ref: str
    sequence: int
    issued_at: str
    dataset: str | None
    failing_since: str
    why: str | None
    data: dict[str, Any] | None
    redacted: list[str]


class Failures(BaseModel):
    rule: str
    force: str
    source: str | None
    dimension: str
    failing: int
    shown: int
    not_visible: int
    records: list[FailingRecord]


class NonStandard(BaseModel):
    force: str
    source: str
    field: str
    value: str
    records: int


class NonStandardList(BaseModel):
    rows: list[NonStandard]


class MeasureValue(BaseModel):
    value: float | None
    passed: int
    total: int
    rag: str


class ForceMeasures(BaseModel):
    force: str
    pilot: bool
    measures: dict[str, MeasureValue]
    score: float | None
    rag: str
    rank: int | None = None


class League(BaseModel):
    league: list[ForceMeasures]


class TrendPoint(BaseModel):
    value: float | None
    rag: str


class ForcePage(BaseModel):
    force: str
    pilot: bool
    current: dict[str, Any]
    trends: list[dict[str, Any]]
    nonstandard: list[NonStandard]
