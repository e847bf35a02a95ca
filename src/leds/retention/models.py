"""Requests and answers of the retention API: the review queue and decisions, rights
requests, legal holds, erasures and the published rule table."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leds.access.rules import PURPOSES

RKEY = Annotated[str, Field(min_length=5, max_length=200, pattern=r"^[A-Z]{2,4}\|[^|\x00-\x1f]{1,64}\|[a-z_]{3,16}"
                                                                  r"\|[^|\x00-\x1f]{1,64}$")]
PERSON = Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
TEXT = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*\S[^\x00]*$")]
DATE = Annotated[date, Field(description="YYYY-MM-DD")]


# A body with a ``reason`` follows the look-up convention (access.deps.complete_openapi): any
# published purpose, and the reason doubles as its explanation; the others take only data_protection.
Purpose = Annotated[str, Field(max_length=40, json_schema_extra={"enum": list(PURPOSES)},
                               description="Reason code (GET /api/v1/purposes); usually data_protection.")]


class DataProtectionPurpose(StrEnum):
    """The one purpose of these routes (see GET /api/v1/purposes)."""

    data_protection = "data_protection"


class Decision(StrEnum):
    retain = "retain"
    restrict = "restrict"
    dispose = "dispose"


class RequestKind(StrEnum):
    access = "access"
    rectification = "rectification"
    erasure = "erasure"
    restriction = "restriction"


class Outcome(StrEnum):
    done = "done"
    refused = "refused"


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rkey: RKEY
    decision: Decision
    reason: TEXT
    next_review: DATE | None = None
    purpose: Purpose = "data_protection"


class ReviewAnswer(BaseModel):
    rkey: str
    decision: str
    reason: str
    next_review: str | None
    decided_by: str
    decided_at: str


class DueDate(BaseModel):
    date: str
    count: int
    by_group: dict[str, int]


class QueueItem(BaseModel):
    rkey: str
    force: str
    rtype: str
    review_group: str
    rule: str
    due_on: str
    last_decision: str | None
    linked_groups: dict[str, int]  # a person record: the review groups of the records linked to it
    why: str


class Queue(BaseModel):
    as_of: str
    until: str
    rules_version: str
    scheduled: int
    due_now: int
    awaiting_disposal: int
    by_date: list[DueDate]
    items: list[QueueItem]


class RuleRow(BaseModel):
    id: str
    group: str
    title: str
    review_years: int
    disposal: str
    note: str


class Rules(BaseModel):
    version: str
    rules: list[RuleRow]


class RightsRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: RequestKind
    person_id: PERSON
    rkey: RKEY | None = None
    detail: TEXT
    purpose: DataProtectionPurpose = DataProtectionPurpose.data_protection


class RightsDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    decision: TEXT
    purpose: DataProtectionPurpose = DataProtectionPurpose.data_protection


class RightsRequest(BaseModel):
    id: int
    kind: str
    person_id: str
    rkey: str | None
    detail: str
    received_at: str
    due_on: str
    status: str
    overdue: bool
    owning_force: str | None
    decision: str | None
    decided_at: str | None
    decided_by: str | None
    corrected_sequence: int | None
    created_by: str


class RightsRequests(BaseModel):
    requests: list[RightsRequest]


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rkey: RKEY
    authority: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")]
    reason: TEXT
    purpose: Purpose = "data_protection"


class Hold(BaseModel):
    rkey: str
    authority: str
    reason: str
    since: str


def _one_of_person_or_record(schema: dict[str, Any]) -> None:
    """Say in the schema what the validator checks: exactly one of ``person`` and ``record``."""
    props = schema["properties"]
    for name in ("person", "record"):
        props[name] = next(s for s in props[name]["anyOf"] if s.get("type") == "string") | {"title": name.title()}
    schema["oneOf"] = [{"required": ["person"], "not": {"required": ["record"]}},
                       {"required": ["record"], "not": {"required": ["person"]}}]


class ErasureIn(BaseModel):
    """Erase a person (national person id or person record key) or one record: exactly one."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_one_of_person_or_record)
    person: PERSON | None = None
    record: RKEY | None = None
    reason: TEXT
    authority: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")]
    purpose: Purpose = "data_protection"

    @field_validator("person", "record", mode="before")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("leave the field out rather than send null")
        return v

    @model_validator(mode="after")
    def _exactly_one(self) -> ErasureIn:
        if (self.person is None) == (self.record is None):
            raise ValueError("give exactly one of person and record")
        return self


class Receipt(BaseModel):
    receipt: str
    kind: str
    at: str
    actor: str
    reason: str
    authority: str
    person: str | None
    records: list[str]
    record_count: int
    kept_shared: list[str]
    removed: dict[str, int]
    matching: dict[str, Any]
    method: str
    records_sha256: str
    receipt_id: int
    audit_entry: int
    signature: str
    key_id: str
    seconds: float
