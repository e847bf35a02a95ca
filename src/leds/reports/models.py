"""API shapes of the reports domain."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Grain = Literal["day", "week", "month"]
Schedule = Literal["none", "daily", "weekly"]
ParamValue = str | int | float | bool | None


class MI(BaseModel):
    grain: str
    since: str | None
    ingest: list[dict[str, Any]]
    quarantine: list[dict[str, Any]]
    lookups: list[dict[str, Any]]
    matching: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    missing: list[dict[str, Any]]


class CrimeRow(BaseModel):
    key: str
    crimes: int


class CrimeReport(BaseModel):
    by: str
    force: str | None
    month_from: str | None
    month_to: str | None
    crime_type: str | None
    total: int
    rows: list[CrimeRow]
    cannot_show: list[str]


class StopSearchReport(BaseModel):
    force: str | None
    month: str | None
    month_to: str | None
    ethnicity: str
    reference_group: str | None
    total: int
    groups: list[dict[str, Any]]
    population_given: bool
    cannot_show: list[str]


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    query: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    params: dict[Annotated[str, StringConstraints(max_length=40)], ParamValue] = Field(default_factory=dict, max_length=20)
    schedule: Schedule = "none"


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    params: dict[Annotated[str, StringConstraints(max_length=40)], ParamValue] = Field(default_factory=dict, max_length=20)


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    params: dict[Annotated[str, StringConstraints(max_length=40)], ParamValue] = Field(default_factory=dict, max_length=20)


class SavedReport(BaseModel):
    id: int
    owner: str
    name: str
    query: str
    params: dict[str, Any]
    schedule: str
    created_at: str
    next_run_at: str | None


class QueryResult(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    relations: list[str]
    seconds: float


class RunResult(BaseModel):
    run_id: int
    status: str
    delivered: bool
    report: SavedReport
    columns: list[str] | None = None
    rows: list[list[Any]] | None = None
    row_count: int | None = None
    truncated: bool | None = None
    relations: list[str] | None = None
    seconds: float | None = None
    error: str | None = None


class Run(BaseModel):
    id: int
    at: str
    status: str
    rows: int
    result: dict[str, Any]
