"""Missing-person episodes as updategrams, and times relative to now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leds.config import Settings
from leds.ingest.pipeline import Ingestor, Summary

from ..factories import ndjson, ug


def ago(**kw: float) -> str:
    return (datetime.now(UTC) - timedelta(**kw)).strftime("%Y-%m-%dT%H:%M:%SZ")


def episode(ref: str, subject: str, *, risk: str = "medium", status: str = "missing", reported: str | None = None,
            seen: str | None = None, found: dict[str, Any] | None = None, subject_force: str | None = None,
            subject_source: str | None = None, **data: Any) -> dict[str, Any]:
    subj: dict[str, Any] = {"type": "person", "ref": subject}
    if subject_force:
        subj |= {"force": subject_force, "source": subject_source}
    d: dict[str, Any] = {"subject": subj, "reported_at": reported or ago(hours=5), "risk": risk, "status": status,
                         "last_seen": {"at": seen or ago(hours=8), "place": "Leeds bus station"},
                         "circumstances": "did not return home", "vulnerabilities": ["mental_health"], **data}
    if found is not None:
        d["found"] = found
    return {"type": "missing_episode", "ref": ref, "dataset": "missing", "handling": "OFFICIAL-SENSITIVE", "data": d}


def send(settings: Settings, docs: list[dict[str, Any]]) -> Summary:
    lines = [(i, line) for i, line in enumerate(ndjson(docs).splitlines(), 1)]
    return Ingestor(settings).ingest_lines(iter(lines), "test")


def wyp(seq: int, rec: dict[str, Any]) -> dict[str, Any]:
    return ug(seq, rec, issued_at=ago(minutes=1))


def mps(seq: int, rec: dict[str, Any]) -> dict[str, Any]:
    return ug(seq, rec, force="MPS", source="CONNECT", issued_at=ago(minutes=1))
