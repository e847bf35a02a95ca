"""Reads become trips, and trips become features per vehicle and route, in one SQL pipeline
that runs unchanged on DuckDB (one machine) and Spark SQL (``--engine spark``).

The pipeline uses only what both dialects share: joins, GROUP BY, CASE, window functions
(LAG/LEAD, running SUM), ``stddev_samp``, ``floor`` and integer epoch seconds (the reads'
``t`` column; hour and weekday are derived from it here, in UTC).  Each step is a named
relation; an engine materialises them in order (:func:`run_duckdb`, ``spark.run_spark``).

A vehicle is its confusable key (``vkey``).  For a route, each read is at an origin camera
(``O``), a destination camera (``D``), a corridor camera (``C``) or elsewhere (``X``).
Consecutive O/D/X reads form *runs* (a new run when the place changes);
a trip is an O run followed by a D run within 6 h (outbound), or a D run by an O run (back).
Per vehicle and route:

* ``trips``, ``out_trips``, ``days``: how often it runs the route, on how many days;
* ``night_share``, ``weekend_share``: when (leaving 22:00-04:59; Saturday or Sunday);
* ``hour_spread``: how irregular (the spread of outbound departure hours, in hours, taken
  round the clock both ways so that 23:00 and 01:00 are close; 3 h when under two trips);
* ``dwell_h``: how long it is seen at the destination; ``turnaround_h``: arrival at the
  destination to leaving for the origin; ``return_share``: outbound trips followed by a
  return within 24 h; ``beyond_share``: outbound trips that carry on elsewhere (through traffic);
* ``corridor_share``: trips seen on the corridor cameras; ``elsewhere_share``: its reads
  anywhere off the route;
* ``swaps``: times another car left the destination for the origin within 15 minutes of
  this one arriving (or the reverse) with the same partner at least twice;
* ``cotravel``: trips on which one other vehicle passed at least 3 of the same corridor
  cameras within 2 minutes of it (the most with any one vehicle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FEATURES = ("trips", "out_trips", "days", "night_share", "weekend_share", "hour_spread", "dwell_h", "turnaround_h",
            "return_share", "beyond_share", "corridor_share", "elsewhere_share", "swaps", "cotravel")

MAX_TRIP_S = 6 * 3600
RUN_GAP_S = 3 * 3600
SWAP_S = 900
CONVOY_S = 120
CONVOY_CAMERAS = 3


# Pairs close in time (co-travel at a camera, a hand-over at the destination) are joined on a
# time bucket as well as the key, so that each read meets only its neighbours in time: a
# plain range condition beside an equality is a hash join then a filter, quadratic in the
# traffic of one camera or route over the whole period (a national day, 164 routes: 14 GB
# and not done in 2.5 minutes).  One side is repeated into the neighbouring buckets, so
# that every pair within the window meets exactly once.
_NEAR = "(SELECT -1 AS k UNION ALL SELECT 0 AS k UNION ALL SELECT 1 AS k)"
_NEXT = "(SELECT 0 AS k UNION ALL SELECT 1 AS k)"


def _bucket(t: str, width: int) -> str:
    return f"CAST(floor({t} / {width}) AS BIGINT)"


def _in(rel: str, alias: str, cand: str | None) -> str:
    """``rel`` as a FROM item, only the candidates' rows (route, vkey in ``cand``) if given."""
    if cand is None:
        return f"{rel} {alias}"
    return (f"(SELECT z.* FROM {rel} z JOIN {cand} q ON q.route = z.route AND q.vkey = z.vkey) {alias}")  # noqa: S608


def trip_steps(reads: str, route_cams: str) -> list[tuple[str, str]]:
    """Stage 1 up to the trips: every vehicle on every route, in one pass over the reads
    joined to all routes' cameras."""
    hour = "CAST(floor((t % 86400) / 3600) AS INT)"
    return [
        ("a_rr", f"""SELECT rc.route, r.vkey, r.t, rc.role FROM {reads} r
                     JOIN {route_cams} rc ON r.camera_id = rc.camera_id"""),  # noqa: S608
        ("a_veh", """SELECT route, vkey FROM a_rr GROUP BY route, vkey
                     HAVING sum(CASE WHEN role = 'O' THEN 1 ELSE 0 END) > 0
                        AND sum(CASE WHEN role = 'D' THEN 1 ELSE 0 END) > 0"""),
        ("a_all", f"""SELECT v.route, r.vkey, r.t, r.camera_id, coalesce(rc.role, 'X') AS role
                      FROM {reads} r JOIN a_veh v ON r.vkey = v.vkey
                      LEFT JOIN {route_cams} rc ON rc.route = v.route AND rc.camera_id = r.camera_id"""),  # noqa: S608
        ("a_lag", """SELECT route, vkey, t, camera_id, role,
                       LAG(role) OVER (PARTITION BY route, vkey ORDER BY t, camera_id) AS prev_role,
                       LAG(t) OVER (PARTITION BY route, vkey ORDER BY t, camera_id) AS prev_t
                     FROM a_all WHERE role <> 'C'"""),
        ("a_run", """SELECT route, vkey, t, camera_id, role,
                        SUM(CASE WHEN prev_role IS NULL OR prev_role <> role THEN 1 ELSE 0 END)
                          OVER (PARTITION BY route, vkey ORDER BY t, camera_id
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run
                      FROM a_lag"""),
        ("a_runs", """SELECT route, vkey, run, min(role) AS role, min(t) AS t0, max(t) AS t1
                      FROM a_run GROUP BY route, vkey, run"""),
        ("a_seq", """SELECT route, vkey, run, role, t0, t1,
                       LEAD(role, 1) OVER (PARTITION BY route, vkey ORDER BY run) AS r1,
                       LEAD(t0, 1) OVER (PARTITION BY route, vkey ORDER BY run) AS r1_t0,
                       LEAD(t1, 1) OVER (PARTITION BY route, vkey ORDER BY run) AS r1_t1,
                       LEAD(role, 2) OVER (PARTITION BY route, vkey ORDER BY run) AS r2,
                       LEAD(t0, 2) OVER (PARTITION BY route, vkey ORDER BY run) AS r2_t0
                     FROM a_runs"""),
        ("a_trips", f"""SELECT route, vkey, run AS trip, CASE WHEN role = 'O' THEN 'out' ELSE 'back' END AS dir,
                          t1 AS dep_t, r1_t0 AS arr_t, r1_t1 - r1_t0 AS dwell_s,
                          CASE WHEN r2 = 'O' AND r2_t0 - r1_t0 <= 86400 THEN r2_t0 - r1_t0 END AS turnaround_s,
                          CASE WHEN r2 = 'X' AND r2_t0 - r1_t1 <= {RUN_GAP_S} THEN 1 ELSE 0 END AS beyond,
                          {hour.replace('t %', 't1 %')} AS hour,
                          CAST((floor(t1 / 86400) + 3) % 7 + 1 AS INT) AS dow
                        FROM a_seq
                        WHERE ((role = 'O' AND r1 = 'D') OR (role = 'D' AND r1 = 'O'))
                          AND r1_t0 - t1 <= {MAX_TRIP_S}"""),  # noqa: S608
        ("a_ctrip", """SELECT tr.route, tr.vkey, tr.trip, a.camera_id, a.t FROM a_trips tr
                       JOIN a_all a ON a.route = tr.route AND a.vkey = tr.vkey AND a.role = 'C'
                        AND a.t > tr.dep_t AND a.t < tr.arr_t"""),
        ("a_corr", """SELECT route, vkey, count(DISTINCT trip) AS corridor_trips FROM a_ctrip GROUP BY route, vkey"""),
        ("a_else", """SELECT route, vkey, avg(CASE WHEN role = 'X' THEN 1e0 ELSE 0e0 END) AS elsewhere_share
                      FROM a_all GROUP BY route, vkey"""),
        ("a_base", """SELECT tr.route, tr.vkey,
                        count(*) AS trips,
                        sum(CASE WHEN dir = 'out' THEN 1 ELSE 0 END) AS out_trips,
                        count(DISTINCT floor(dep_t / 86400)) AS days,
                        avg(CASE WHEN hour >= 22 OR hour < 5 THEN 1e0 ELSE 0e0 END) AS night_share,
                        avg(CASE WHEN dow >= 6 THEN 1e0 ELSE 0e0 END) AS weekend_share,
                        coalesce(least(stddev_samp(CASE WHEN dir = 'out' THEN hour END),
                                       stddev_samp(CASE WHEN dir = 'out' THEN (hour + 12) % 24 END)), 3e0)
                          AS hour_spread,
                        coalesce(avg(CASE WHEN dir = 'out' THEN dwell_s END) / 3600e0, 0e0) AS dwell_h,
                        coalesce(avg(CASE WHEN dir = 'out' THEN turnaround_s END) / 3600e0, 24e0) AS turnaround_h,
                        coalesce(avg(CASE WHEN dir = 'out' THEN
                                     CASE WHEN turnaround_s IS NULL THEN 0e0 ELSE 1e0 END END), 0e0) AS return_share,
                        coalesce(avg(CASE WHEN dir = 'out' THEN beyond * 1e0 END), 0e0) AS beyond_share,
                        min(coalesce(c.corridor_trips, 0)) * 1e0 / count(*) AS corridor_share,
                        min(e.elsewhere_share) AS elsewhere_share
                      FROM a_trips tr
                      JOIN a_else e ON e.route = tr.route AND e.vkey = tr.vkey
                      LEFT JOIN a_corr c ON c.route = tr.route AND c.vkey = tr.vkey
                      GROUP BY tr.route, tr.vkey"""),
    ]


def pair_steps(reads: str, cand: str | None = None) -> list[tuple[str, str]]:
    """Stage 2, the pair features (co-travel, hand-overs) after :func:`trip_steps`: of every
    vehicle, or only of the candidates in ``cand`` (a relation of route, vkey): their pairs
    with any vehicle are all found (a candidate's hand-overs as the one arriving and as the
    one leaving), so a candidate's pair features are the same as in the full computation.
    Each vehicle's spelling (its most frequent one, found over all its reads) is looked up
    here too, for the vehicles returned only."""
    if cand is None:
        hand_x = f"""SELECT x.route, x.vkey, y.vkey AS other
                        FROM (SELECT a.*, {_bucket("a.arr_t", SWAP_S)} + k.k AS b FROM a_trips a
                              CROSS JOIN {_NEXT} k) x
                        JOIN (SELECT *, {_bucket("dep_t", SWAP_S)} AS b FROM a_trips) y
                          ON x.route = y.route AND x.b = y.b AND x.vkey <> y.vkey AND x.dir <> y.dir
                         AND y.dep_t BETWEEN x.arr_t AND x.arr_t + {SWAP_S}"""  # noqa: S608
    else:  # candidate arriving (any other leaving), then candidate leaving after a non-candidate arriving
        hand_x = f"""SELECT x.route, x.vkey, y.vkey AS other
                        FROM (SELECT a.*, {_bucket("a.arr_t", SWAP_S)} + k.k AS b FROM {_in("a_trips", "a", cand)}
                              CROSS JOIN {_NEXT} k) x
                        JOIN (SELECT *, {_bucket("dep_t", SWAP_S)} AS b FROM a_trips) y
                          ON x.route = y.route AND x.b = y.b AND x.vkey <> y.vkey AND x.dir <> y.dir
                         AND y.dep_t BETWEEN x.arr_t AND x.arr_t + {SWAP_S}
                      UNION ALL
                      SELECT x.route, x.vkey, y.vkey AS other
                        FROM (SELECT a.*, {_bucket("a.arr_t", SWAP_S)} + k.k AS b FROM a_trips a
                              CROSS JOIN {_NEXT} k
                              WHERE NOT EXISTS (SELECT 1 FROM {cand} q WHERE q.route = a.route AND q.vkey = a.vkey)) x
                        JOIN (SELECT w.*, {_bucket("w.dep_t", SWAP_S)} AS b FROM {_in("a_trips", "w", cand)}) y
                          ON x.route = y.route AND x.b = y.b AND x.vkey <> y.vkey AND x.dir <> y.dir
                         AND y.dep_t BETWEEN x.arr_t AND x.arr_t + {SWAP_S}"""  # noqa: S608
    keep = "" if cand is None else f" WHERE EXISTS (SELECT 1 FROM {cand} q WHERE q.route = h.route AND q.vkey = h.vkey)"  # noqa: S608
    return [
        ("a_pairs", f"""SELECT x.route, x.vkey, x.trip, y.vkey AS other
                        FROM (SELECT c.*, {_bucket("c.t", CONVOY_S)} AS b FROM {_in("a_ctrip", "c", cand)}) x
                        JOIN (SELECT c.*, {_bucket("c.t", CONVOY_S)} + k.k AS b FROM a_ctrip c
                              CROSS JOIN {_NEAR} k) y
                          ON x.route = y.route AND x.camera_id = y.camera_id AND x.b = y.b AND x.vkey <> y.vkey
                         AND y.t BETWEEN x.t - {CONVOY_S} AND x.t + {CONVOY_S}
                        GROUP BY x.route, x.vkey, x.trip, y.vkey
                        HAVING count(DISTINCT x.camera_id) >= {CONVOY_CAMERAS}"""),  # noqa: S608
        ("a_cotravel", """SELECT route, vkey, max(n) AS cotravel FROM
                            (SELECT route, vkey, other, count(*) AS n FROM a_pairs GROUP BY route, vkey, other) p
                          GROUP BY route, vkey"""),
        ("a_hand", hand_x),
        ("a_swaps", f"""SELECT route, vkey, sum(n) AS swaps FROM
                         (SELECT route, vkey, other, count(*) AS n FROM
                            (SELECT route, vkey, other FROM a_hand
                             UNION ALL SELECT route, other AS vkey, vkey AS other FROM a_hand) h{keep}
                          GROUP BY route, vkey, other HAVING count(*) >= 2) p
                       GROUP BY route, vkey"""),  # noqa: S608
        ("a_spell", f"""SELECT vkey, vrm FROM
                         (SELECT vkey, vrm, ROW_NUMBER() OVER (PARTITION BY vkey ORDER BY n DESC, vrm) AS k FROM
                            (SELECT r.vkey, r.vrm, count(*) AS n FROM {reads} r
                             JOIN (SELECT DISTINCT vkey FROM {cand or "a_trips"}) v ON r.vkey = v.vkey
                             GROUP BY r.vkey, r.vrm) c) s WHERE k = 1"""),  # noqa: S608
        ("a_feat", f"""SELECT b.route, b.vkey, s.vrm, {", ".join("b." + f for f in FEATURES[:-2])},
                        coalesce(w.swaps, 0) AS swaps, coalesce(k.cotravel, 0) AS cotravel
                      FROM {_in("a_base", "b", cand)}
                      JOIN a_spell s ON s.vkey = b.vkey
                      LEFT JOIN a_swaps w ON w.route = b.route AND w.vkey = b.vkey
                      LEFT JOIN a_cotravel k ON k.route = b.route AND k.vkey = b.vkey"""),  # noqa: S608
    ]


# Bounds on the pair features of every vehicle, cheap to compute (no pairs): ``cotravel`` is
# at most its trips past CONVOY_CAMERAS or more corridor cameras; ``swaps`` (hand-overs with
# partners met at least twice) at most its hand-overs with anyone, counted per trip end as the
# other vehicles leaving (or arriving) at that place within SWAP_S, by a sliding window.
BOUND_STEPS = [
    ("a_cotub", f"""SELECT route, vkey, count(*) AS cotravel_ub FROM
                     (SELECT route, vkey, trip FROM a_ctrip GROUP BY route, vkey, trip
                      HAVING count(DISTINCT camera_id) >= {CONVOY_CAMERAS}) c GROUP BY route, vkey"""),  # noqa: S608
    ("a_ends", """SELECT route, vkey, CASE WHEN dir = 'out' THEN 'D' ELSE 'O' END AS place, arr_t AS t, 1 AS arr
                  FROM a_trips
                  UNION ALL SELECT route, vkey, CASE WHEN dir = 'out' THEN 'O' ELSE 'D' END AS place, dep_t AS t, 0 AS arr
                  FROM a_trips"""),
    ("a_swapub", f"""SELECT route, vkey, sum(n) AS swaps_ub FROM
                      (SELECT route, vkey, CASE WHEN arr = 1 THEN
                         sum(1 - arr) OVER (PARTITION BY route, place ORDER BY t
                                            RANGE BETWEEN CURRENT ROW AND {SWAP_S} FOLLOWING)
                       ELSE sum(arr) OVER (PARTITION BY route, place ORDER BY t
                                           RANGE BETWEEN {SWAP_S} PRECEDING AND CURRENT ROW) END AS n
                       FROM a_ends) e GROUP BY route, vkey"""),  # noqa: S608
    ("a_stage1", """SELECT b.*, coalesce(w.swaps_ub, 0) AS swaps_ub, coalesce(k.cotravel_ub, 0) AS cotravel_ub
                    FROM a_base b LEFT JOIN a_swapub w ON w.route = b.route AND w.vkey = b.vkey
                    LEFT JOIN a_cotub k ON k.route = b.route AND k.vkey = b.vkey"""),
]


def steps(reads: str, route_cams: str) -> list[tuple[str, str]]:
    """The whole pipeline as (name, SELECT) pairs, every vehicle's pair features included.
    ``reads`` is a relation of reads (vkey, vrm, camera_id, t); ``route_cams`` one of
    (route, camera_id, role) with role O, D or C."""
    return trip_steps(reads, route_cams) + pair_steps(reads)


def route_rows(routes: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(route, camera_id, role) for each camera of each route; a camera named as an end wins
    over the same camera in the corridor."""
    out: dict[tuple[str, str], str] = {}
    for r in routes:
        for role, key in (("C", "corridor"), ("D", "destination"), ("O", "origin")):
            for cam in r.get(key, []):
                out[(r["name"], cam)] = role
    return [(route, cam, role) for (route, cam), role in sorted(out.items())]


def run_duckdb(con: Any, reads: str, routes: list[dict[str, Any]]) -> Any:
    """The features of every vehicle with a trip on one of ``routes`` (a pandas DataFrame)."""
    import pandas as pd

    con.register("route_cams_df", pd.DataFrame(route_rows(routes), columns=["route", "camera_id", "role"]))
    con.execute("CREATE OR REPLACE TEMP TABLE route_cams AS SELECT * FROM route_cams_df")
    for name, sql in steps(reads, "route_cams"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
    return con.execute("SELECT * FROM a_feat ORDER BY route, vkey").df()


def run_duckdb_shortlist(con: Any, reads: str, routes: list[dict[str, Any]], shortlist: Callable[[Any], Any]) -> Any:
    """Two stages: every vehicle's features but the pair features, with bounds on those
    (``swaps_ub``, ``cotravel_ub``; lower bounds 0), for every route at once; then the pair
    features of the vehicles that ``shortlist`` (stage-1 rows -> route, vkey) keeps, and their
    feature rows (the same as :func:`run_duckdb` gives for them).  The hand-overs (cheap)
    come first: the shortlist is asked again with exact swaps (``swaps_lb = swaps_ub``), and
    only what it keeps then gets the co-travel pairs.  Vehicles not kept are not returned."""
    import pandas as pd

    def make(named: list[tuple[str, str]]) -> None:
        for name, sql in named:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def keep(rows: Any) -> None:
        con.register("cand_df", shortlist(rows)[["route", "vkey"]])
        con.execute("CREATE OR REPLACE TEMP TABLE a_cand AS SELECT DISTINCT route, vkey FROM cand_df")
        con.unregister("cand_df")

    con.register("route_cams_df", pd.DataFrame(route_rows(routes), columns=["route", "camera_id", "role"]))
    con.execute("CREATE OR REPLACE TEMP TABLE route_cams AS SELECT * FROM route_cams_df")
    make(trip_steps(reads, "route_cams") + BOUND_STEPS)
    keep(con.execute("SELECT * FROM a_stage1 ORDER BY route, vkey").df())
    pairs = dict(pair_steps(reads, "a_cand"))
    make([(n, pairs[n]) for n in ("a_hand", "a_swaps")])
    keep(con.execute("""SELECT s.* EXCLUDE (swaps_ub), coalesce(w.swaps, 0) AS swaps_lb, coalesce(w.swaps, 0) AS swaps_ub
                        FROM a_stage1 s JOIN a_cand q ON q.route = s.route AND q.vkey = s.vkey
                        LEFT JOIN a_swaps w ON w.route = s.route AND w.vkey = s.vkey ORDER BY s.route, s.vkey""").df())
    make([(n, pairs[n]) for n in ("a_pairs", "a_cotravel", "a_spell", "a_feat")])
    return con.execute("SELECT * FROM a_feat ORDER BY route, vkey").df()


def trips_of(con: Any, reads: str, routes: list[dict[str, Any]], vkey: str) -> list[dict[str, Any]]:
    """A vehicle's trips on the routes (after :func:`run_duckdb` on the same connection)."""
    rows = con.execute("SELECT route, dir, dep_t, arr_t, dwell_s, turnaround_s FROM a_trips WHERE vkey = ? "
                       "ORDER BY dep_t", [vkey]).fetchall()
    from datetime import UTC, datetime

    return [{"route": r, "dir": d, "dep_t": int(a), "arr_t": int(b), "dwell_s": int(w or 0),
             "left": datetime.fromtimestamp(int(a), UTC).strftime("%a %d %b %H:%M"),
             "turnaround_s": None if ta is None else int(ta)} for r, d, a, b, w, ta in rows]
