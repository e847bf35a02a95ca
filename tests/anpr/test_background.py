"""The innocent background (bench/bench_anpr.py --background): vehicles on the week's own
routes, every one a route user that the model scores, none sharing a plate's key with the week."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from leds.anpr import service
from leds.anpr.background import background
from leds.anpr.ingest import ingest
from leds.config import Settings
from leds.db.engine import get_engine
from leds.search.keys import vrm_key


def test_background_vehicles_use_the_weeks_routes_and_never_share_a_key_with_it(tmp_path: Path,
                                                                                week: dict[str, Any]) -> None:
    s = week["summary"]
    bg = background(tmp_path / "bg", seed=s["seed"], towns=14, routes=len(s["routes"]), vehicles=400,
                    start=date.fromisoformat(s["start"]))
    assert bg["reads"] > 400 and sum(bg["roles"].values()) == 400
    plates = [r["vrm"] for r in csv.DictReader((tmp_path / "bg" / "background.csv").open())]
    keys = {vrm_key(p) for p in plates}
    assert len(keys) == 400 and not keys & {vrm_key(v) for v in week["truth"]}
    settings = Settings(home=tmp_path / "home")
    res = ingest(settings, get_engine(settings), week["cameras"], sorted((tmp_path / "bg").glob("reads-bg-*.csv")))
    assert res["rejected"] == 0
    feats = service.compute_features(settings, service.load_routes(week["routes"]))
    assert set(feats["vkey"]) <= keys and len(set(feats["vkey"])) >= 0.9 * len(keys)
