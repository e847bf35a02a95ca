"""ANPR's verbs: train, profile, convoys, cloned plates, a vehicle's trips.

Reads are personal data: every function here that reads them takes a
:class:`~leds.access.lookup.Lookup`, is authorised under the ``anpr`` action with a stated
purpose, and writes one audit entry (a consultation naming the plates returned, as
``anpr:<VRM>``), like a check.  Reads past the retention period are never read
(:func:`leds.anpr.store.reads_sql`).
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, func, insert, select

from leds.access.lookup import Lookup
from leds.access.policy import authorise
from leds.audit import AuditEvent
from leds.config import Settings
from leds.db.engine import write_transaction
from leds.errors import BadRequest, NotFound
from leds.search.keys import normalise_vrm, vrm_key

from . import features, model, store
from .models import RoutesFile
from .tables import anpr_models

ACTION = "anpr"
CONVOY_WINDOW_S = 120
CONVOY_CAMERAS = 3
CLONE_KM = 20.0
CLONE_KMH = 200.0
CLONE_CONFIDENCE = 0.8


def _audit(lookup: Lookup, kind: str, vrms: list[str], detail: dict[str, Any]) -> None:
    authorise(lookup.principal, ACTION, lookup.purpose, lookup.reason, lookup.audit)
    if lookup.principal.is_system:
        return
    lookup.audit(AuditEvent(action="consultation", actor=lookup.principal.id, purpose=lookup.purpose,
                            reason=lookup.reason, subjects=tuple(f"anpr:{v}" for v in vrms[:500]),
                            detail={"kind": kind, "returned": len(vrms), **detail}))


def load_routes(path: Path) -> list[dict[str, Any]]:
    try:
        parsed = RoutesFile.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise BadRequest(f"{path}: not a routes file ({exc})") from exc
    return [r.model_dump() for r in parsed.routes]


def remember_routes(settings: Settings, routes: list[dict[str, Any]]) -> None:
    """The last routes given are kept, so that ``train`` and the analyst's page know them."""
    p = store.root(settings) / "routes.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps({"routes": routes}, indent=1))


def known_routes(settings: Settings) -> list[dict[str, Any]]:
    p = store.root(settings) / "routes.json"
    if not p.exists():
        raise BadRequest("no routes known yet: give --routes routes.json")
    return load_routes(p)


def _need_reads(settings: Settings) -> None:
    if not store.has_reads(settings):
        raise NotFound("no ANPR reads are loaded (leds anpr ingest)")


def compute_features(settings: Settings, routes: list[dict[str, Any]], engine: str = "duckdb",
                     since: str | None = None, keep: Callable[[Any], Any] | None = None) -> Any:
    """Feature rows (a DataFrame) for every vehicle with a trip on the routes (reads from
    day ``since`` on, if given); with ``keep`` (DuckDB), in two stages, only for the vehicles
    it keeps of the stage-1 rows (:func:`leds.anpr.features.run_duckdb_shortlist`)."""
    _need_reads(settings)
    if engine == "spark":
        from .spark import features_spark

        return features_spark(settings, routes, since=since)
    if engine != "duckdb":
        raise BadRequest("engine must be duckdb or spark")
    con = store.connect(spill=store.root(settings) / "spill")
    try:
        if keep is not None:
            return features.run_duckdb_shortlist(con, store.reads_sql(settings, since), routes, keep)
        return features.run_duckdb(con, store.reads_sql(settings, since), routes)
    finally:
        con.close()


def read_labels(path: Path) -> dict[str, int]:
    """labels.csv as {confusable key: 0|1}."""
    out: dict[str, int] = {}
    try:
        with path.open(newline="") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                vrm, label = (row.get("vrm") or "").strip(), (row.get("label") or "").strip()
                if label not in ("0", "1") or not normalise_vrm(vrm):
                    raise BadRequest(f"{path.name} line {n}: want vrm,label with label 0 or 1")
                out[vrm_key(vrm)] = int(label)
    except OSError as exc:
        raise BadRequest(f"{path}: {exc}") from exc
    return out


def train(settings: Settings, engine: Engine, lookup: Lookup, labels_path: Path,
          routes: list[dict[str, Any]], compute: str = "duckdb") -> dict[str, Any]:
    """Fit, save and register a new model version; returns its card (version, path, metrics)."""
    labels = read_labels(labels_path)
    _audit(lookup, "anpr train", [], {"labels": len(labels), "routes": [r["name"] for r in routes]})
    feats = compute_features(settings, routes, compute)
    with engine.connect() as conn:
        version = int(conn.execute(select(func.coalesce(func.max(anpr_models.c.version), 0))).scalar_one()) + 1
    try:
        m = model.fit(feats, labels, version)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    path, sha = model.save(m, store.models_dir(settings))
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(insert(anpr_models).values(version=version, created_at=model.stamp(),
                                                algorithm="logistic_regression", path=str(path), sha256=sha,
                                                metrics=json.dumps(m.metrics)))
    remember_routes(settings, routes)
    return {"version": version, "path": str(path), "sha256": sha, "threshold": m.threshold,
            "metrics": m.metrics, "weights": dict(zip(features.FEATURES, m.coef, strict=True))}


def current_model(settings: Settings, engine: Engine) -> model.Model:
    with engine.connect() as conn:
        row = conn.execute(select(anpr_models.c.path).order_by(anpr_models.c.version.desc()).limit(1)).first()
    if row is None:
        raise NotFound("no courier model yet: run leds anpr train --labels labels.csv")
    return model.load(Path(row[0]))


# The pair features (hand-overs, co-travel) cost pairs of vehicles, which grow with the square
# of a camera's or a route's traffic; they are bounded per vehicle without pairs (see
# features.BOUND_STEPS) and computed only for the vehicles that could still make the ranking.
PAIR_BOUNDS = {"swaps": ("swaps_lb", "swaps_ub"), "cotravel": ("cotravel_lb", "cotravel_ub")}


def shortlist(m: model.Model, top: int, threshold: float | None = None) -> Callable[[Any], Any]:
    """Of the stage-1 rows, the vehicles that could be in a route's top ``top`` (or reach
    ``threshold``): those whose highest possible log-odds (pair features at their most
    incriminating value within their bounds) reaches the ``top``-th highest lowest possible
    log-odds on the route.  Any other vehicle scores below ``top`` vehicles whatever its pair
    features are, so the top ``top`` and their scores are those of the full computation."""
    def keep(stage1: Any) -> Any:
        lo, hi = m.bounds(stage1, PAIR_BOUNDS)
        df = stage1[["route", "vkey"]].assign(lo=lo, hi=hi)
        kth = df.groupby("route")["lo"].transform(lambda s: s.nlargest(top).min() if len(s) > top else -math.inf)
        kept = df["hi"] >= kth - 1e-9
        if threshold is not None:
            kept |= df["hi"] >= math.log(threshold / (1 - threshold)) - 1e-9
        return df[kept]
    return keep


def rank(feats: Any, m: model.Model, top: int) -> dict[str, list[dict[str, Any]]]:
    """Every route's vehicles, best first (the top ``top``), each with its reasons."""
    out: dict[str, list[dict[str, Any]]] = {}
    for route, rows in feats.groupby("route", sort=True):
        lo, _ = m.log_odds(rows)
        best = rows.iloc[(-lo).argsort(kind="stable")[:top]]
        out[str(route)] = [{"vrm": r["vrm"], "score": s, "reasons": why}
                           for (_, r), (s, why) in zip(best.iterrows(), m.score(best), strict=True)]
    return out


def profile(settings: Settings, engine: Engine, lookup: Lookup, routes: list[dict[str, Any]],
            route: str | None = None, top: int = 10, compute: str = "duckdb", since: str | None = None
            ) -> dict[str, Any]:
    """``{"routes": {NAME: [{"vrm", "score", "reasons"}, ...]}}``, best first, for every route."""
    authorise(lookup.principal, ACTION, lookup.purpose, lookup.reason, lookup.audit)
    if route is not None:
        routes = [r for r in routes if r["name"] == route]
        if not routes:
            raise NotFound(f"no route named {route!r} in the routes file")
    m = current_model(settings, engine)
    feats = compute_features(settings, routes, compute, since, shortlist(m, top) if compute == "duckdb" else None)
    ranked = rank(feats, m, top)
    answer = {"routes": {r["name"]: ranked.get(r["name"], []) for r in routes}}
    _audit(lookup, "anpr profile", [e["vrm"] for v in answer["routes"].values() for e in v],
           {"routes": [r["name"] for r in routes], "top": top, "model": m.version, "since": since})
    if route is None:
        remember_routes(settings, routes)
    return answer


def _stamp(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def convoys(settings: Settings, lookup: Lookup, vrm: str, window_s: int = CONVOY_WINDOW_S,
            min_cameras: int = CONVOY_CAMERAS, since: str | None = None) -> dict[str, Any]:
    """Vehicles that travel with ``vrm``: seen at ``min_cameras`` or more of the same cameras,
    in the same order, each within ``window_s`` seconds of it, on one journey (an occasion:
    no gap over an hour)."""
    authorise(lookup.principal, ACTION, lookup.purpose, lookup.reason, lookup.audit)
    _need_reads(settings)
    key = vrm_key(vrm)
    con = store.connect()
    try:
        rows = con.execute(f"""
            WITH me AS (SELECT camera_id, t FROM {store.reads_sql(settings, since)} WHERE vkey = ?)
            SELECT r.vkey, r.vrm, r.camera_id, me.t, r.t FROM {store.reads_sql(settings, since)} r
            JOIN me ON r.camera_id = me.camera_id AND r.t BETWEEN me.t - ? AND me.t + ?
            WHERE r.vkey <> ? ORDER BY r.vkey, me.t""", [key, window_s, window_s, key]).fetchall()  # noqa: S608
    finally:
        con.close()
    by: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    spelling: dict[str, str] = {}
    for k, spelt, cam, mine, theirs in rows:
        by[k].append((cam, int(mine), int(theirs)))
        spelling.setdefault(k, spelt)
    out: list[dict[str, Any]] = []
    for k, seen in by.items():
        occasions, most = 0, 0
        evidence: list[str] = []
        for trip in _occasions(seen):
            chain = _in_order(trip)
            cams = len({c for c, _, _ in chain})
            if cams >= min_cameras:
                occasions += 1
                most = max(most, cams)
                lag = sum(b - a for _, a, b in chain) / len(chain)
                evidence.append(f"{_stamp(chain[0][1])}-{_stamp(chain[-1][1])[11:]}: {cams} cameras in order "
                                f"({chain[0][0]} to {chain[-1][0]}), {abs(lag):.0f} s "
                                f"{'behind' if lag >= 0 else 'ahead'} on average")
        if occasions:
            out.append({"vrm": spelling[k], "occasions": occasions, "cameras": most, "evidence": evidence[:20]})
    out.sort(key=lambda e: (-e["occasions"], -e["cameras"], e["vrm"]))
    _audit(lookup, "anpr convoys", [normalise_vrm(vrm)] + [e["vrm"] for e in out], {"vrm": normalise_vrm(vrm)})
    return {"vrm": normalise_vrm(vrm), "convoys": out}


def _occasions(seen: list[tuple[str, int, int]]) -> list[list[tuple[str, int, int]]]:
    out: list[list[tuple[str, int, int]]] = []
    for s in sorted(seen, key=lambda x: x[1]):
        if out and s[1] - out[-1][-1][1] <= 3600:
            out[-1].append(s)
        else:
            out.append([s])
    return out


def _in_order(trip: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The longest run of matches in which both vehicles' times increase (an ordered chain)."""
    best: list[list[tuple[str, int, int]]] = []
    for s in trip:
        prior = [c for c in best if c[-1][2] < s[2] and c[-1][1] < s[1]]
        best.append(max(prior, key=len, default=[]) + [s])
    return max(best, key=len, default=[])


def cloned(settings: Settings, lookup: Lookup, km: float = CLONE_KM, kmh: float = CLONE_KMH,
           min_pairs: int = 2, since: str | None = None) -> dict[str, Any]:
    """Plates seen at two places no vehicle could travel between in the time.  Only reads
    that spell the plate the same way and are confident count (an OCR slip on one plate can
    spell another: those are not evidence); ``min_pairs`` impossible journeys are needed."""
    authorise(lookup.principal, ACTION, lookup.purpose, lookup.reason, lookup.audit)
    _need_reads(settings)
    con = store.connect()
    try:
        rows = con.execute(f"""
            WITH r AS (SELECT r.vrm, r.t, r.camera_id, c.lat, c.lon, c.site_name FROM {store.reads_sql(settings, since)} r
                       JOIN {store.cameras_sql(settings)} c ON c.camera_id = r.camera_id
                       WHERE r.confidence >= ?),
            s AS (SELECT *, LAG(t) OVER w AS pt, LAG(camera_id) OVER w AS pc, LAG(lat) OVER w AS plat,
                         LAG(lon) OVER w AS plon, LAG(site_name) OVER w AS ps
                  FROM r WINDOW w AS (PARTITION BY vrm ORDER BY t, camera_id)),
            d AS (SELECT *, 2 * 6371 * asin(sqrt(pow(sin(radians(lat - plat) / 2), 2) + cos(radians(lat))
                         * cos(radians(plat)) * pow(sin(radians(lon - plon) / 2), 2))) AS km FROM s
                  WHERE pt IS NOT NULL)
            SELECT vrm, pc, ps, pt, camera_id, site_name, t, km FROM d
            WHERE km > ? AND km * 3600.0 / greatest(t - pt, 1) > ?
            ORDER BY vrm, t""", [CLONE_CONFIDENCE, km, kmh]).fetchall()  # noqa: S608
    finally:
        con.close()
    by: dict[str, list[str]] = defaultdict(list)
    for plate, pc, ps, pt, cam, site, t, dist in rows:
        mins = max(1, round((t - pt) / 60))
        by[plate].append(f"{_stamp(pt)} at {pc} ({ps}), then {_stamp(t)} at {cam} ({site}): {dist:.0f} km in "
                         f"{mins} min ({dist * 60 / mins:.0f} km/h)")
    plates = [{"vrm": p, "evidence": ev[:20]} for p, ev in sorted(by.items()) if len(ev) >= min_pairs]
    _audit(lookup, "anpr cloned", [str(p["vrm"]) for p in plates], {"plates": len(plates)})
    return {"plates": plates}


def vehicle_reads(settings: Settings, lookup: Lookup, vrm: str, limit: int = 5000) -> dict[str, Any]:
    """A vehicle's reads (by confusable key) with the camera positions, and its trips and
    features on the known routes, for the analyst's page.  Audited."""
    authorise(lookup.principal, ACTION, lookup.purpose, lookup.reason, lookup.audit)
    _need_reads(settings)
    key = vrm_key(vrm)
    con = store.connect()
    try:
        reads = con.execute(f"""SELECT r.t, r.vrm, r.camera_id, c.lat, c.lon, c.site_name, r.confidence
            FROM {store.reads_sql(settings)} r JOIN {store.cameras_sql(settings)} c ON c.camera_id = r.camera_id
            WHERE r.vkey = ? ORDER BY r.t LIMIT ?""", [key, limit]).fetchall()  # noqa: S608
        cams = con.execute(f"SELECT camera_id, lat, lon FROM {store.cameras_sql(settings)}").fetchall()  # noqa: S608
        try:
            routes = known_routes(settings)
        except BadRequest:
            routes = []
        trips: list[dict[str, Any]] = []
        feats: list[dict[str, Any]] = []
        if routes and reads:
            df = features.run_duckdb(con, store.reads_sql(settings), routes)
            mine = df[df["vkey"] == key]
            trips = features.trips_of(con, store.reads_sql(settings), routes, key)
            feats = mine.to_dict("records")
    finally:
        con.close()
    reasons: dict[str, tuple[float, list[str]]] = {}
    if feats:
        try:
            from pandas import DataFrame

            m = current_model(settings, lookup_engine(settings))
            for row, scored in zip(feats, m.score(DataFrame(feats)), strict=True):
                reasons[row["route"]] = scored
        except NotFound:
            pass
    _audit(lookup, "anpr vehicle", [normalise_vrm(vrm)], {"vrm": normalise_vrm(vrm), "reads": len(reads)})
    return {"vrm": normalise_vrm(vrm), "key": key,
            "reads": [{"t": int(t), "at": _stamp(int(t)), "vrm": v, "camera_id": c, "lat": la, "lon": lo, "site": s,
                       "confidence": cf} for t, v, c, la, lo, s, cf in reads],
            "cameras": [(c, la, lo) for c, la, lo in cams], "routes": routes, "trips": trips,
            "features": feats, "scores": {k: {"score": s, "reasons": r} for k, (s, r) in reasons.items()}}


def linked_records(conn: Connection, lookup: Lookup, vrm: str) -> dict[str, Any]:
    """The vehicle's records in leds (keepers and users, markers, reports such as wanted or
    missing), found by the search index's confusable VRM key and read through the access
    policy under the ``anpr`` action: what the analyst may not see is not there."""
    from leds.checks.models import VehicleQuery
    from leds.checks.service import vehicle_check

    return vehicle_check(conn, lookup, VehicleQuery(vrm=vrm), action=ACTION)


def lookup_engine(settings: Settings) -> Engine:
    from leds.db.engine import get_engine

    return get_engine(settings)

