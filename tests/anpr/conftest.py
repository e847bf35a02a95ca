"""A hard synthetic week, generated once per test session (seeded), and a store loaded with it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leds.anpr.synth import generate


@pytest.fixture(scope="session")
def week(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("anpr-week")
    summary = generate(out, seed=11, vehicles=600)
    truth = json.loads((out / "truth.json").read_text())
    return {"dir": out, "summary": summary, "truth": truth["vehicles"], "cloned": truth["cloned"],
            "files": sorted(out.glob("reads-*.csv")), "cameras": out / "cameras.csv",
            "routes": out / "routes.json", "labels": out / "labels.csv"}

