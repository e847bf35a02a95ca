"""A hard synthetic week of ANPR reads, seeded, with the truth beside it.

The week is built so that counting trips fails: the vehicles that run a known route most
often are delivery vans (many short daytime runs, short stops), shift workers (a night
shift at the market town, every working day) and hauliers (through traffic at any hour);
couriers run the route two to five times, mostly late, stay briefly and come back the same
night, some swap cars, some are escorted (a convoy), and a third of them run in daytime.
Around them: locals, commuters, family visits, van convoys (co-travel that is innocent),
cloned plates (one plate on two cars far apart), confusable twins (two real cars whose
plates differ only by O/0, I/1, ..., which must *not* be called clones), OCR slips on 2% of
reads and a few bad reads of each kind the contract names.

``generate(out, seed=7, vehicles=3000)`` writes ``cameras.csv``, ``reads-YYYY-MM-DD.csv``
(one per day), ``routes.json``, ``labels.csv`` (a few known couriers and cleared vehicles)
and ``truth.json`` (every planted vehicle's role and route, the cloned plates).
"""

from __future__ import annotations

import csv
import heapq
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from leds.search.keys import vrm_key

_LAT0, _LON0 = 51.0, -2.5
_KM_LON = 111.32 * math.cos(math.radians(52.0))
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXY"  # no I, O, Q, Z in the area/letters part of a plate
_SLIPS = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8", "2": "Z", "Z": "2"}
NIGHT = (22, 5)  # a night departure: 22:00 to 04:59 UTC


@dataclass
class World:
    towns: list[tuple[float, float]]  # (x km, y km)
    cams: list[tuple[str, float, float, str]]  # (camera_id, x, y, kind: town:<i> | road:<a>-<b>)
    town_cams: list[list[int]]
    paths: dict[tuple[int, int], list[tuple[int, float]]] = field(default_factory=dict)  # (camera, km) in order
    adj: dict[int, list[tuple[int, float, list[int]]]] = field(default_factory=dict)

    def path(self, a: int, b: int) -> list[tuple[int, float]]:
        """The road cameras met from town a to town b, in order, each with its distance from a."""
        if (a, b) not in self.paths:
            dist = {a: 0.0}
            prev: dict[int, tuple[int, list[int]]] = {}
            heap = [(0.0, a)]
            while heap:
                d, u = heapq.heappop(heap)
                if u == b:
                    break
                if d > dist[u]:
                    continue
                for v, w, cams in self.adj[u]:
                    if d + w < dist.get(v, math.inf):
                        dist[v] = d + w
                        prev[v] = (u, cams)
                        heapq.heappush(heap, (d + w, v))
            legs: list[tuple[int, int, list[int]]] = []
            u = b
            while u != a:
                p, cams = prev[u]
                legs.append((p, u, cams))
                u = p
            out: list[tuple[int, float]] = []
            done = 0.0
            for p, u, cams in reversed(legs):
                px, py = self.towns[p]
                ordered = sorted(cams, key=lambda c: math.hypot(self.cams[c][1] - px, self.cams[c][2] - py))
                for c in ordered:
                    out.append((c, done + math.hypot(self.cams[c][1] - px, self.cams[c][2] - py)))
                done += math.hypot(self.towns[u][0] - px, self.towns[u][1] - py)
            out.append((-1, done))  # the arrival, at this distance
            self.paths[(a, b)] = out
        return self.paths[(a, b)]


def _world(rng: np.random.Generator, n_towns: int) -> World:
    towns: list[tuple[float, float]] = []
    while len(towns) < n_towns:
        x, y = rng.uniform(0, 360), rng.uniform(0, 360)
        if all(math.hypot(x - a, y - b) > 35 for a, b in towns):
            towns.append((x, y))
    cams: list[tuple[str, float, float, str]] = []
    town_cams: list[list[int]] = []
    for i, (x, y) in enumerate(towns):
        mine = []
        for _ in range(int(rng.integers(4, 8))):
            mine.append(len(cams))
            cams.append(("", x + rng.normal(0, 1.5), y + rng.normal(0, 1.5), f"town:{i}"))
        town_cams.append(mine)
    w = World(towns, cams, town_cams, adj={i: [] for i in range(n_towns)})
    edges: set[tuple[int, int]] = set()
    for i, (x, y) in enumerate(towns):
        near = sorted(range(n_towns), key=lambda j: math.hypot(towns[j][0] - x, towns[j][1] - y))[1:4]
        edges.update((min(i, j), max(i, j)) for j in near)
    for a, b in sorted(edges):
        (ax, ay), (bx, by) = towns[a], towns[b]
        length = math.hypot(bx - ax, by - ay)
        ids = []
        for k in range(max(1, int(length // 18))):
            f = (k + 1) / (max(1, int(length // 18)) + 1)
            ids.append(len(cams))
            cams.append(("", ax + f * (bx - ax) + rng.normal(0, 0.3), ay + f * (by - ay) + rng.normal(0, 0.3),
                         f"road:{a}-{b}"))
        w.adj[a].append((b, length, ids))
        w.adj[b].append((a, length, ids))
    w.cams = [(f"C{i + 1:05d}", x, y, kind) for i, (_, x, y, kind) in enumerate(cams)]
    return w


class _Week:
    """Collects reads as (vrm, camera index, epoch second, confidence)."""

    def __init__(self, world: World, rng: np.random.Generator, start: datetime):
        self.w, self.rng, self.t0 = world, rng, int(start.timestamp())
        self.reads: list[tuple[str, int, int, float]] = []
        self.busy: dict[str, float] = {}  # a car cannot start a journey before it finished the last

    def read(self, vrm: str, cam: int, t: float, p: float = 1.0) -> None:
        if self.rng.random() < p:
            self.reads.append((vrm, cam, int(t), round(float(self.rng.uniform(0.82, 0.99)), 2)))

    def in_town(self, vrm: str, town: int, t_from: float, t_to: float, rate_per_h: float = 0.25) -> None:
        """Local movement while staying in a town: reads at its cameras now and then."""
        if t_to <= t_from:
            return
        n = self.rng.poisson((t_to - t_from) / 3600 * rate_per_h)
        for t in self.rng.uniform(t_from, t_to, n):
            self.read(vrm, int(self.rng.choice(self.w.town_cams[town])), t)

    def drive(self, vrm: str, a: int, b: int, t: float, speed: float | None = None,
              follow: list[tuple[str, float]] | None = None) -> float:
        """Drive from town a to town b leaving at t; returns the arrival time.  ``follow``:
        other vehicles in convoy, each (vrm, seconds behind)."""
        kmh = speed or float(self.rng.uniform(65, 95))
        cars = [(vrm, 0.0), *(follow or [])]
        t = max([t] + [self.busy.get(v, 0.0) + 600 for v, _ in cars])
        leave = int(self.rng.choice(self.w.town_cams[a]))
        arrive_cam = int(self.rng.choice(self.w.town_cams[b]))
        arrival = t
        for v, lag in cars:
            self.read(v, leave, t + lag, 0.9)
        for cam, km in self.w.path(a, b):
            when = t + km / kmh * 3600
            if cam < 0:
                arrival = when
                for v, lag in cars:
                    self.read(v, arrive_cam, when + lag + self.rng.uniform(0, 60), 0.95)
                continue
            seen = self.rng.random() < 0.9
            for v, lag in cars:
                if seen:
                    self.read(v, cam, when + lag + self.rng.normal(0, 4))
        for v, lag in cars:
            self.busy[v] = arrival + lag + 60
        return arrival

    def at(self, day: int, hour: float) -> float:
        return self.t0 + day * 86400 + hour * 3600


def _plate(rng: np.random.Generator, used: set[str]) -> str:
    while True:
        p = (rng.choice(list(_LETTERS)) + rng.choice(list(_LETTERS)) + f"{int(rng.integers(10, 75)):02d}"
             + "".join(rng.choice(list(_LETTERS), 3)))
        if p not in used and vrm_key(p) not in used:
            used.add(p)
            used.add(vrm_key(p))
            return p


def _twin(p: str) -> str:
    """A real, different plate that the confusable key cannot tell from ``p``."""
    for i, ch in enumerate(p):
        if ch in "0158" and i >= 2:
            return p[:i] + {"0": "O", "1": "I", "5": "S", "8": "B"}[ch] + p[i + 1:]
    return p[:2] + "8" + p[3:] if p[2] != "8" else p[:2] + "B" + p[3:]


def plan_routes(w: World, towns: int, routes: int) -> tuple[list[tuple[str, int, int]], list[dict[str, Any]]]:
    """The routes: a hub (one of the first towns) to a market town two or more legs away, as
    (name, hub, market) and as routes.json's entries.  A function of the world only, so that
    :mod:`leds.anpr.background` puts its vehicles on the same routes."""
    plan: list[tuple[str, int, int]] = []
    for r, hub in enumerate(range(routes)):
        candidates = sorted(range(routes, towns), key=lambda j: -len(w.path(hub, j)))
        market = next(j for j in candidates if all(j != p[1] for p in plan)
                      and 70 < math.dist(w.towns[hub], w.towns[j]) < 230)
        plan.append((f"R{r + 1}-{hub:02d}{market:02d}", hub, market))
    route_defs = [{"name": name, "origin": [w.cams[c][0] for c in w.town_cams[h]],
                   "destination": [w.cams[c][0] for c in w.town_cams[m]],
                   "corridor": [w.cams[c][0] for c, _ in w.path(h, m) if c >= 0]} for name, h, m in plan]
    return plan, route_defs


def generate(out: Path, *, seed: int = 7, vehicles: int = 3000, towns: int = 14, routes: int = 3,
             couriers_per_route: int = 18, start: date | None = None) -> dict[str, Any]:
    """Write a week's files to ``out``; returns a summary (counts, file names).  ``start``
    is a Monday (default: the Monday two weeks before today, so that the week is inside
    the retention period); everything else follows from ``seed``."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    if start is None:
        today = date.today()
        start = today - timedelta(days=today.weekday() + 14)
    begin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    w = _world(rng, towns)
    wk = _Week(w, rng, begin)
    used: set[str] = set()
    truth: dict[str, dict[str, Any]] = {}

    def new(role: str, route: str | None = None) -> str:
        p = _plate(rng, used)
        truth[p] = {"role": role, "route": route}
        return p

    plan, route_defs = plan_routes(w, towns, routes)

    def farthest(home: int) -> int:
        return max(range(towns), key=lambda other: math.dist(w.towns[other], w.towns[home]))

    def neighbour(t: int) -> int:
        return int(rng.choice([v for v, _, _ in w.adj[t]]))

    def trip_and_back(v: str, a: int, b: int, day: int, hour: float, stay_h: float, escort: list[Any] | None = None,
                      ) -> None:
        arr = wk.drive(v, a, b, wk.at(day, hour), follow=escort)
        leave = arr + stay_h * 3600
        wk.in_town(v, b, arr, leave, 0.4)
        wk.drive(v, b, a, leave, follow=escort)

    n_locals = vehicles
    for _ in range(n_locals):  # locals, with the odd visit to a neighbouring town
        v, home = new("local"), int(rng.integers(towns))
        for d in range(7):
            if rng.random() < 0.06:  # a day out: seen at home before and after, not during
                hour, stay = rng.uniform(9, 15), rng.uniform(1, 4)
                wk.in_town(v, home, wk.at(d, 7), wk.at(d, hour - 0.2), 0.2)
                trip_and_back(v, home, neighbour(home), d, hour, stay)
                wk.in_town(v, home, wk.at(d, hour + stay + 5), wk.at(d, 23), 0.2)
            elif rng.random() < 0.85:
                wk.in_town(v, home, wk.at(d, 7), wk.at(d, 21), 0.2)
    for name, hub, market in plan:
        def commuters(n: int, role: str, hour: float, stay: float, days: int, a: int, b: int,
                      name: str = name) -> None:
            for _ in range(n):
                v = new(role, name)
                h0 = hour + rng.normal(0, 0.3)
                off = set(rng.choice(7, 7 - days, replace=False).tolist())
                for d in range(7):
                    if d not in off:
                        trip_and_back(v, a, b, d, h0 + rng.normal(0, 0.15), stay + rng.normal(0, 0.3))
        commuters(12, "commuter", 7.5, 9.0, 5, hub, market)
        commuters(8, "commuter", 7.3, 9.5, 5, market, hub)
        commuters(10, "shift_worker", 22.2, 8.0, 5, hub, market)
        commuters(8, "shift_worker", 5.5, 8.5, 5, market, hub)
        for _ in range(6):  # family visits: weekends, long stays
            v = new("visitor", name)
            trip_and_back(v, hub, market, 5, rng.uniform(9, 13), rng.uniform(4, 30))
        for k in range(14):  # delivery vans: many short daytime drops, market town among others
            v = new("delivery_van", name)
            convoy = [(new("delivery_van", name), float(rng.uniform(30, 80)))] if k < 3 else None
            stops = [market, *rng.choice([t for t in range(towns) if t not in (hub, market)], 3, replace=False).tolist()]
            for d in range(6 if k % 2 else 5):
                t = wk.at(d, rng.uniform(6.5, 8))
                for _ in range(int(rng.integers(2, 4))):
                    dest = int(rng.choice(stops, p=[0.55, 0.15, 0.15, 0.15]))
                    arr = wk.drive(v, hub, dest, t, follow=convoy)
                    back = arr + rng.uniform(0.3, 1.0) * 3600
                    t = wk.drive(v, dest, hub, back, follow=convoy) + rng.uniform(0.2, 0.8) * 3600
                    if t > wk.at(d, 18):
                        break
        for _ in range(12):  # hauliers: through the route and beyond, any hour
            v = new("haulier", name)
            before = neighbour(hub)
            beyond = next((t for t in (neighbour(market) for _ in range(8)) if t != hub), neighbour(market))
            for d in range(7):
                if rng.random() < 0.7:
                    t = wk.drive(v, before, hub, wk.at(d, rng.uniform(0, 24)))
                    t = wk.drive(v, hub, market, t + 600)
                    t = wk.drive(v, market, beyond, t + 900)
                    t = wk.drive(v, beyond, market, t + rng.uniform(1, 3) * 3600)
                    t = wk.drive(v, market, hub, t + 600)
                    wk.drive(v, hub, before, t + 600)
        # Couriers: a line's cars; some swap at the market end, some are escorted.
        for k in range(couriers_per_route):
            v = new("courier", name)
            escort = [(new("courier", name), float(rng.uniform(20, 90)))] if k % 6 == 0 else None
            if escort:
                truth[escort[0][0]]["escorts"] = v
            daytime = k % 3 == 2
            days = rng.choice(7, int(rng.integers(2, 6)), replace=False)
            partner = new("courier", name) if k % 5 == 1 else None
            for d in sorted(days.tolist()):
                hour = rng.uniform(9, 17) if daytime else float(rng.choice([rng.uniform(19, 24), rng.uniform(0, 4)]))
                arr = wk.drive(v, hub, market, wk.at(d, hour), follow=escort)
                stay = rng.uniform(0.3, 2.5)
                if partner is not None:  # the partner car leaves for the hub as this one arrives
                    hand = arr + rng.uniform(120, 600)
                    wk.read(partner, wk.w.town_cams[market][0], hand)
                    wk.drive(partner, market, hub, hand + 30)
                wk.in_town(v, market, arr, arr + stay * 3600, 0.4)
                wk.drive(v, market, hub, arr + stay * 3600, follow=escort)
    clones = []
    for _ in range(4):  # cloned plates: the same plate on a second car in a far town
        v = new("cloned")
        home = int(rng.integers(towns))
        far = farthest(home)
        for d in range(7):
            wk.in_town(v, home, wk.at(d, 7), wk.at(d, 20), 0.5)
            wk.in_town(v, far, wk.at(d, 8), wk.at(d, 19), 0.5)
        clones.append(v)
    for _ in range(4):  # confusable twins: two real cars, far apart, plates equal up to the key
        v = new("twin")
        u = _twin(v)
        truth[u] = {"role": "twin", "route": None}
        home = int(rng.integers(towns))
        far = farthest(home)
        for d in range(7):
            wk.in_town(v, home, wk.at(d, 7), wk.at(d, 20), 0.5)
            wk.in_town(u, far, wk.at(d, 8), wk.at(d, 19), 0.5)

    # Files: cameras, a day of reads per file (OCR slips, bad reads, not quite sorted), routes, labels.
    with (out / "cameras.csv").open("w", newline="") as f:
        cw = csv.writer(f)
        cw.writerow(["camera_id", "lat", "lon", "road", "direction", "force", "site_name"])
        for cid, x, y, kind in w.cams:
            road = "A" + kind.split(":")[1].replace("-", "") if kind.startswith("road") else "LOCAL"
            cw.writerow([cid, f"{_LAT0 + y / 111.0:.5f}", f"{_LON0 + x / _KM_LON:.5f}", road, "",
                         ("WYP", "MPS", "WMP", "GMP")[int(x // 90) % 4], f"{kind} site {cid}"])
    reads = sorted(wk.reads, key=lambda r: r[2])
    files, bad, slips = [], 0, 0
    for d in range(7):
        day = begin + timedelta(days=d)
        lo, hi = int(day.timestamp()), int(day.timestamp()) + 86400
        name = f"reads-{day:%Y-%m-%d}.csv"
        files.append(name)
        with (out / name).open("w", newline="") as f:
            cw = csv.writer(f)
            cw.writerow(["read_id", "vrm", "camera_id", "read_at", "confidence"])
            rows = [r for r in reads if lo <= r[2] < hi]
            for i in range(0, len(rows) - 1, 50):  # not quite sorted
                rows[i], rows[i + 1] = rows[i + 1], rows[i]
            for i, (vrm, cam, t, conf) in enumerate(rows):
                rid = f"R{d}{i:09d}"
                plate, cid = vrm, w.cams[cam][0]
                stamp = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if rng.random() < 0.02:
                    pos = [j for j, ch in enumerate(plate) if ch in _SLIPS]
                    if pos:
                        j = int(rng.choice(pos))
                        plate, conf, slips = plate[:j] + _SLIPS[plate[j]] + plate[j + 1:], 0.6, slips + 1
                if i % 1500 == 7:
                    bad += 1
                    which = (i // 1500) % 3
                    cid = "CX9999" if which == 0 else cid  # an unknown camera
                    stamp = "yesterday teatime" if which == 1 else stamp
                    plate = "??" if which == 2 else plate
                cw.writerow([rid, plate, cid, stamp, conf])
    (out / "routes.json").write_text(json.dumps({"routes": route_defs}, indent=1))
    labels: list[tuple[str, int]] = []
    for name, _, _ in plan:
        mine = [v for v, t in truth.items() if t["route"] == name]
        cour = [v for v in mine if truth[v]["role"] == "courier"]
        labels += [(v, 1) for v in cour[: len(cour) // 3]]
        cleared = [v for v in mine if truth[v]["role"] in ("delivery_van", "shift_worker", "haulier", "commuter",
                                                           "visitor")]
        labels += [(v, 0) for v in rng.choice(cleared, min(len(cleared), 20), replace=False).tolist()]
    with (out / "labels.csv").open("w", newline="") as f:
        lw = csv.writer(f)
        lw.writerow(["vrm", "label"])
        lw.writerows(labels)
    summary = {"reads": len(reads), "bad": bad, "slips": slips, "cameras": len(w.cams), "files": files,
               "routes": [p[0] for p in plan], "n_vehicles": len(truth), "labels": len(labels),
               "cloned": clones, "start": start.isoformat(), "seed": seed}
    (out / "truth.json").write_text(json.dumps({"vehicles": truth, "cloned": clones, **summary}))
    return summary
