"""Records for the sharing tests: crimes and arrests at two forces, over two years."""

from __future__ import annotations

from typing import Any

import pytest

from leds.config import Settings

from ..factories import load, ug

CATEGORIES = ("burglary", "shoplifting", "vehicle-crime")


def crime_docs(n: int = 60, force: str = "WYP", start: int = 1) -> list[dict[str, Any]]:
    docs = []
    for i in range(n):
        year = 2024 if i % 4 else 2023  # a quarter fall before the agreement's period
        docs.append(ug(start + i, {
            "type": "event", "ref": f"C-{force}-{i}", "dataset": "crime", "handling": "OFFICIAL-SENSITIVE",
            "data": {"kind": "crime", "occurred_at": f"{year}-0{1 + i % 3}-1{i % 9}T10:00:00Z",
                     "category": CATEGORIES[i % 3], "outcome": "Under investigation",
                     "description": f"narrative {i} naming a victim", "crime_reference": f"{force}-{i:07d}"}},
            force=force))
    docs.append(ug(start + n, {"type": "event", "ref": f"A-{force}-1", "dataset": "custody",
                               "handling": "OFFICIAL-SENSITIVE",
                               "data": {"kind": "arrest", "occurred_at": "2024-02-01T10:00:00Z",
                                        "description": "arrested"}}, force=force))
    docs.append(ug(start + n + 1, {"type": "event", "ref": f"S-{force}-1", "dataset": "crime", "handling": "SECRET",
                                   "data": {"kind": "crime", "occurred_at": "2024-02-01T10:00:00Z",
                                            "category": "burglary", "outcome": "x"}}, force=force))
    return docs


@pytest.fixture
def crimes(settings: Settings) -> Settings:
    load(settings, crime_docs(force="WYP") + crime_docs(force="MPS"))
    return settings
