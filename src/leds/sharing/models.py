"""Request and response shapes of the sharing API."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class State(StrEnum):
    draft = "draft"
    approved = "approved"
    suspended = "suspended"
    expired = "expired"


class Problem(BaseModel):
    path: str
    message: str


class AgreementSummary(BaseModel):
    problems: list[Problem] = Field(description="What must be fixed before it can be approved (beyond the schema).")
    id: str
    title: str
    state: State
    recipient: str
    discloser_force: str | None
    review_date: str
    expires: str
    sha256: str
    created_by: str
    created_at: str
    approved_by: str | None
    approved_at: str | None
    state_reason: str | None


class AgreementList(BaseModel):
    agreements: list[AgreementSummary]


class ExportFile(BaseModel):
    name: str
    sha256: str | None = None
    bytes: int | None = None
    records: int | None = None


class ExportOut(BaseModel):
    id: int
    agreement_id: str
    at: str
    actor: str
    out_dir: str
    records: int
    suppressed: int
    key_id: str
    manifest: dict[str, Any]


class AgreementDetail(AgreementSummary):
    document: dict[str, Any]
    exports: list[ExportOut]


class SuspendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000, pattern=r"[^\s\x00-\x1f\x7f]",
                        description="Why (at least one visible character).")


class ExportIn(BaseModel):
    """Optionally narrow an export; anything beyond the agreement is refused (and audited)."""

    model_config = ConfigDict(extra="forbid")
    datasets: list[str] | None = Field(default=None, max_length=20)
    fields: dict[str, list[str]] | None = Field(default=None, max_length=10)


class ReviewsDue(BaseModel):
    due: list[AgreementSummary]
