"""The pair features (co-travel, hand-overs) at the edges of their time windows: the joins
bucket time, and a pair straddling two buckets must still meet exactly once."""

from __future__ import annotations

import duckdb

from leds.anpr import features

ROUTE = [{"name": "R", "origin": ["O1"], "destination": ["D1"], "corridor": ["C1", "C2", "C3"]}]
T0 = 1_700_006_400  # a multiple of both bucket widths (120 s, 900 s)


def _features(reads: list[tuple[str, str, int]]) -> dict[str, dict[str, float]]:
    con = duckdb.connect()
    con.execute("CREATE TABLE reads (vkey VARCHAR, vrm VARCHAR, camera_id VARCHAR, t BIGINT)")
    con.executemany("INSERT INTO reads VALUES (?, ?, ?, ?)", [(v, v, c, t) for v, c, t in reads])
    df = features.run_duckdb(con, "reads", ROUTE)
    return {r["vkey"]: r for r in df.to_dict("records")}


def _drive(v: str, start: int, at: dict[str, int] | None = None) -> list[tuple[str, str, int]]:
    """O1, C1, C2, C3, D1 a thousand seconds apart from ``start`` (or at the times given)."""
    times = {"O1": start, "C1": start + 1000, "C2": start + 2000, "C3": start + 3000, "D1": start + 4000}
    times.update(at or {})
    return [(v, cam, t) for cam, t in times.items()]


def test_a_vehicle_within_two_minutes_at_three_cameras_is_a_co_traveller_even_across_bucket_edges() -> None:
    a = _drive("A", T0)
    # B: exactly 120 s behind at C1, 2 s apart across a bucket edge at C2, 120 s ahead at C3.
    b = _drive("B", T0 + 30, {"C1": T0 + 1120, "C2": T0 + 2039, "C3": T0 + 2880})
    a = [(v, c, T0 + 2041 if c == "C2" else t) for v, c, t in a]
    # C: 121 s or more from both of them at every corridor camera.
    c = _drive("C", T0 + 50, {"C1": T0 + 1241, "C2": T0 + 2162, "C3": T0 + 3121})
    got = _features(a + b + c)
    assert got["A"]["cotravel"] == 1 and got["B"]["cotravel"] == 1
    assert got["C"]["cotravel"] == 0


def test_a_hand_over_at_the_edge_of_fifteen_minutes_counts_once_each_time() -> None:
    reads = []
    for day in (0, 1):
        start = T0 + day * 86400
        reads += _drive("A", start)  # arrives at D1 at start + 4000
        # P leaves D1 for O1 exactly 900 s after A arrives (across a 900 s bucket edge), twice.
        reads += [("P", "D1", start + 4000 + 900), ("P", "O1", start + 9000)]
        # Q leaves 901 s after: not a hand-over.
        reads += [("Q", "D1", start + 4000 + 901), ("Q", "O1", start + 9100)]
    got = _features(reads)
    assert got["A"]["swaps"] == 2 and got["P"]["swaps"] == 2
    assert got["Q"]["swaps"] == 0
