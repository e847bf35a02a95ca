"""ANPR's file shapes (routes.json, labels.csv rows) and its answers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

CameraId = Annotated[str, Field(min_length=1, max_length=40)]
Vrm = Annotated[str, Field(min_length=2, max_length=12, pattern=r"^[A-Za-z0-9 ]+$")]


class Route(BaseModel):
    """A known route: the cameras in and around each end, and along the way (in order)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")]
    origin: Annotated[list[CameraId], Field(min_length=1, max_length=500)]
    destination: Annotated[list[CameraId], Field(min_length=1, max_length=500)]
    corridor: Annotated[list[CameraId], Field(max_length=2000)] = []


class RoutesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    routes: Annotated[list[Route], Field(min_length=1, max_length=500)]


class Profiled(BaseModel):
    vrm: str
    score: float
    reasons: list[str]


class ProfileAnswer(BaseModel):
    routes: dict[str, list[Profiled]]


class ClonedPlate(BaseModel):
    vrm: str
    evidence: list[str]


class ClonedAnswer(BaseModel):
    plates: list[ClonedPlate]


class Companion(BaseModel):
    vrm: str
    occasions: int
    cameras: int
    evidence: list[str]


class ConvoyAnswer(BaseModel):
    vrm: str
    convoys: list[Companion]
