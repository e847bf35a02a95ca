"""Requests and answers of the retention API: the review queue and decisions, rights
requests, legal holds, erasures and the published rule table."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

RKEY = Annotated[str, Field(min_length=5, max_length=200, pattern=r"^[A-Z]{2,4}\|[^|\x00-\x1f]{1,64}\|[a-z_]{3,16}"
                                                                  r"\|[^|\x00-\x1f]{1,64}$")]
PERSON = Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
TEXT = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*\S[^\x00]*$")]
DATE = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class Purpose(StrEnum):
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
    purpose: Purpose = Purpose.data_protection


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
    purpose: Purpose = Purpose.data_protection


class RightsDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    decision: TEXT
    purpose: Purpose = Purpose.data_protection


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
    purpose: Purpose = Purpose.data_protection


class Hold(BaseModel):
    rkey: str
    authority: str
    reason: str
    since: str


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: PERSON | None = None
    record: RKEY | None = None
    reason: TEXT
    authority: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")]
    purpose: Purpose = Purpose.data_protection


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
