"""The two-stage profile: pair features only for the vehicles that could make the ranking.
It must give the same top K, with the same scores and reasons, as the full computation, and
the cheap bounds must hold for every vehicle."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import pytest

from leds.anpr import features, service, store
from leds.anpr.ingest import ingest
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from tests.anpr.test_features import ROUTE, T0, _drive
from tests.callers import lookup


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, week: dict[str, Any]) -> Any:
    settings = Settings(home=tmp_path_factory.mktemp("anpr-shortlist"))
    engine = get_engine(settings)
    ingest(settings, engine, week["cameras"], week["files"])
    routes = service.load_routes(week["routes"])
    service.train(settings, engine, lookup("intelligence_analyst", purpose="audit")[0], week["labels"], routes)
    yield settings, engine, routes
    dispose_all()


@pytest.mark.parametrize("top", [1, 5, 10, 40])
def test_the_two_stage_ranking_is_the_full_ranking(loaded: Any, top: int) -> None:
    settings, engine, routes = loaded
    m = service.current_model(settings, engine)
    full = service.compute_features(settings, routes)
    short = service.compute_features(settings, routes, keep=service.shortlist(m, top))
    assert len(short) < len(full)  # the shortlist leaves vehicles out (else this proves nothing)
    assert service.rank(short, m, top) == service.rank(full, m, top)
    # the candidates' features are exactly the full computation's
    both = short.merge(full, on=["route", "vkey"], suffixes=("", "_full"))
    assert len(both) == len(short)
    for f in features.FEATURES:
        assert (both[f].astype(float) - both[f + "_full"].astype(float)).abs().max() < 1e-9, f


def test_a_vehicle_that_could_reach_the_threshold_is_kept(loaded: Any) -> None:
    settings, engine, routes = loaded
    m = service.current_model(settings, engine)
    full = service.compute_features(settings, routes)
    lo, _ = m.log_odds(full)
    flagged = set(map(tuple, full.loc[1 / (1 + pd.Series(-lo).apply(__import__("math").exp)).to_numpy() >= 0.5,
                                      ["route", "vkey"]].to_numpy()))
    short = service.compute_features(settings, routes, keep=service.shortlist(m, 1, threshold=0.5))
    assert flagged and flagged <= set(map(tuple, short[["route", "vkey"]].to_numpy()))


def test_the_pair_bounds_hold_and_every_candidate_gets_the_full_features(loaded: Any) -> None:
    settings, _, routes = loaded
    con = store.connect()
    seen: list[Any] = []

    def everyone(stage1: Any) -> Any:
        seen.append(stage1)
        return stage1

    two = features.run_duckdb_shortlist(con, store.reads_sql(settings), routes, everyone)
    full = features.run_duckdb(con, store.reads_sql(settings), routes)
    con.close()
    pd.testing.assert_frame_equal(two.reset_index(drop=True), full.reset_index(drop=True), check_dtype=False)
    b = seen[0].merge(full, on=["route", "vkey"])
    assert len(b) == len(full)
    assert (b["swaps"] <= b["swaps_ub"]).all() and (b["cotravel"] <= b["cotravel_ub"]).all()
    assert b["swaps"].max() > 0 and b["cotravel"].max() > 0  # the week has hand-overs and escorts


def _short(reads: list[tuple[str, str, int]], keep: set[str]) -> dict[str, dict[str, Any]]:
    con = duckdb.connect()
    con.execute("CREATE TABLE reads (vkey VARCHAR, vrm VARCHAR, camera_id VARCHAR, t BIGINT)")
    con.executemany("INSERT INTO reads VALUES (?, ?, ?, ?)", [(v, v, c, t) for v, c, t in reads])
    df = features.run_duckdb_shortlist(con, "reads", ROUTE, lambda s: s[s["vkey"].isin(keep)])
    return {r["vkey"]: r for r in df.to_dict("records")}


def test_a_candidate_counts_its_hand_overs_as_the_one_arriving_and_as_the_one_leaving() -> None:
    reads = []
    for day in (0, 1):
        start = T0 + day * 86400
        reads += _drive("A", start)  # arrives at D1 at start + 4000
        reads += [("P", "D1", start + 4000 + 900), ("P", "O1", start + 9000)]  # leaves D1 900 s later
        reads += [("Q", "D1", start + 4000 + 901), ("Q", "O1", start + 9100)]  # 901 s: not a hand-over
    assert _short(reads, {"A"})["A"]["swaps"] == 2  # A arriving, P leaving: P not a candidate
    got = _short(reads, {"P", "Q"})
    assert got["P"]["swaps"] == 2 and got["Q"]["swaps"] == 0 and "A" not in got  # P leaving after A arrived
    got = _short(reads, {"A", "P"})
    assert got["A"]["swaps"] == 2 and got["P"]["swaps"] == 2  # both candidates: each hand-over once


def test_a_candidate_co_travels_with_a_vehicle_that_is_not_one() -> None:
    a = _drive("A", T0)
    b = _drive("B", T0 + 30, {"C1": T0 + 1120, "C2": T0 + 2039, "C3": T0 + 2880})
    got = _short(a + b, {"B"})
    assert got["B"]["cotravel"] == 1 and "A" not in got
