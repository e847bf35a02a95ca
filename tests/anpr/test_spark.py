"""The same feature pipeline on Spark (local mode) gives the same features as on DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from leds.anpr import service
from leds.anpr.features import FEATURES
from leds.anpr.ingest import ingest
from leds.config import Settings
from leds.db.engine import get_engine

pytest.importorskip("pyspark")


@pytest.mark.slow
def test_spark_computes_the_same_features_as_duckdb(tmp_path: Path, week: dict[str, Any]) -> None:
    settings = Settings(home=tmp_path / "home")
    ingest(settings, get_engine(settings), week["cameras"], week["files"][:2])
    routes = service.load_routes(week["routes"])
    on_duckdb = service.compute_features(settings, routes, "duckdb").sort_values(["route", "vkey"])
    on_spark = service.compute_features(settings, routes, "spark").sort_values(["route", "vkey"])
    assert len(on_duckdb) > 50
    assert on_spark[["route", "vkey", "vrm"]].values.tolist() == on_duckdb[["route", "vkey", "vrm"]].values.tolist()
    for f in FEATURES:
        assert np.allclose(on_spark[f].to_numpy(float), on_duckdb[f].to_numpy(float)), f
