"""A large innocent background for the hard week: hundreds of thousands of vehicles that use
the same routes for ordinary reasons, to measure false alarms per 100,000 innocent vehicles.

The week of :mod:`leds.anpr.synth` holds a few thousand vehicles (its generator drives each
car in Python); a false-alarm rate of 1 in 100,000 cannot be shown on that (no false alarm
among N vehicles bounds the rate at 3/N with 95% confidence: N must be 300,000 or more).
This module drives vehicles in bulk with numpy on the *same* world and routes (rebuilt from
the week's seed), every one of them innocent and every one a user of a route, so that each
can be scored (a vehicle with no trip on a route has no feature row and cannot be flagged):

* commuters (a fixed daytime timetable, five days), shift workers on rotas (06:00, 14:00
  or 22:00 starts, by week or by day), delivery vans (daytime runs with short drops, and
  other towns), hauliers (through the route and beyond, any hour), taxis (short drops,
  evenings and nights), nights out (Friday or Saturday evening, back after midnight),
  weekend visitors, late visitors (evening visits of one to two and a half hours, back the
  same night: the innocent pattern nearest a courier's) and one-off trips;
* reads are sparse: each vehicle is seen at a road camera with its own probability
  (0.3-0.7), and now and then in its home town.

``background(out, seed=..., towns=..., routes=..., vehicles=..., start=...)`` writes
``reads-bg-YYYY-MM-DD.csv`` (one per day) and ``background.csv`` (``vrm,role``).
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .synth import _LETTERS, World, _world, plan_routes

ROLES = {"commuter": 0.22, "shift_worker": 0.10, "delivery_van": 0.10, "haulier": 0.08, "taxi": 0.10,
         "night_out": 0.12, "weekend_visitor": 0.10, "late_visitor": 0.10, "one_off": 0.08}
_L = [c for c in _LETTERS if c not in "SB"]  # 20 letters that no OCR slip turns into a digit
_D = "01234679"  # a second character never 5 or 8: no key shared with the week's plates


def plates(n: int, first: int = 0) -> list[str]:
    """Plates ``first`` .. ``first + n - 1`` of one numbering (letter, three digits, three
    letters), distinct from each other and from the week's by the confusable key too."""
    out = []
    for i in range(first, first + n):
        a, i = i % 20, i // 20
        b, i = i % 8, i // 8
        c, i = i % 100, i // 100
        out.append(f"{_L[a]}{_D[b]}{c:02d}{_L[i % 20]}{_L[i // 20 % 20]}{_L[i // 400 % 20]}")
    return out


class _Drives:
    """Reads of many trips at once: arrays of (vehicle, camera index, epoch second)."""

    def __init__(self, w: World, rng: np.random.Generator, t0: int):
        self.w, self.rng, self.t0 = w, rng, t0
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def _town(self, town: int, n: int) -> np.ndarray:
        return np.asarray(self.w.town_cams[town])[self.rng.integers(0, len(self.w.town_cams[town]), n)]

    def drive(self, a: int, b: int, veh: np.ndarray, t: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """Trips from town a to town b leaving at t (epoch seconds); returns the arrivals."""
        n = len(veh)
        if n == 0:
            return t
        path = self.w.path(a, b)
        cams = np.array([c for c, _ in path if c >= 0], dtype=np.int64)
        km = np.array([k for c, k in path if c >= 0])
        kmh = self.rng.uniform(65, 95, n)
        arrive = t + path[-1][1] / kmh * 3600
        if len(cams):
            when = t[:, None] + km[None, :] / kmh[:, None] * 3600 + self.rng.normal(0, 4, (n, len(cams)))
            hit = self.rng.random((n, len(cams))) < seen[:, None]
            self.parts.append((np.broadcast_to(veh[:, None], hit.shape)[hit],
                               np.broadcast_to(cams[None, :], hit.shape)[hit], when[hit]))
        self.at(a, veh, t, 0.9)
        self.at(b, veh, arrive + self.rng.uniform(0, 60, n), 0.95)
        return arrive

    def at(self, town: int, veh: np.ndarray, t: np.ndarray, p: float = 1.0) -> None:
        keep = self.rng.random(len(veh)) < p
        self.parts.append((veh[keep], self._town(town, int(keep.sum())), t[keep]))

    def there_and_back(self, a: int, b: int, veh: np.ndarray, t: np.ndarray, stay_h: np.ndarray,
                       seen: np.ndarray) -> None:
        arrive = self.drive(a, b, veh, t, seen)
        self.drive(b, a, veh, arrive + stay_h * 3600, seen)

    def hour(self, day: np.ndarray, h: np.ndarray) -> np.ndarray:
        return self.t0 + day * 86400 + h * 3600


def _days(rng: np.random.Generator, n: int, k: np.ndarray | int, pool: tuple[int, ...] = tuple(range(7))
          ) -> tuple[np.ndarray, np.ndarray]:
    """For each of n vehicles, ``k`` distinct days from ``pool``: (vehicle index, day) pairs."""
    k = np.broadcast_to(np.asarray(k), (n,))
    order = np.argsort(rng.random((n, len(pool))), axis=1)
    take = np.arange(len(pool))[None, :] < k[:, None]
    rows = np.broadcast_to(np.arange(n)[:, None], take.shape)[take]
    return rows, np.asarray(pool)[order[take]]


def _route_traffic(dr: _Drives, rng: np.random.Generator, role: str, veh: np.ndarray, a: int, b: int,
                   beyond: int, others: list[int]) -> None:
    """One role's week on one route (a: the end the vehicles live at, b: the other end)."""
    n = len(veh)
    seen = rng.uniform(0.3, 0.7, n)
    u = rng.uniform
    if role == "commuter":
        i, d = _days(rng, n, 5, (0, 1, 2, 3, 4))
        h0 = u(6, 9.5, n)
        dr.there_and_back(a, b, veh[i], dr.hour(d, h0[i] + rng.normal(0, 0.25, len(i))), u(7, 10, len(i)), seen[i])
    elif role == "shift_worker":
        i, d = _days(rng, n, rng.integers(4, 6, n))
        weekly = rng.choice([6.0, 14.0, 22.0], n)
        start = np.where(rng.random(n)[i] < 0.5, weekly[i], rng.choice([6.0, 14.0, 22.0], len(i)))
        dr.there_and_back(a, b, veh[i], dr.hour(d, start - 0.7 + rng.normal(0, 0.2, len(i))), u(8.3, 9, len(i)),
                          seen[i])
    elif role == "delivery_van":
        i, d = _days(rng, n, rng.integers(5, 7, n))
        for run in range(int(rng.integers(1, 4))):
            dr.there_and_back(a, b, veh[i], dr.hour(d, u(7, 15, len(i)) + run * 0.1), u(0.2, 1.0, len(i)), seen[i])
        for town in others[:3]:
            dr.at(town, veh[i], dr.hour(d, u(8, 17, len(i))), 0.5)
    elif role == "haulier":
        i, d = _days(rng, n, rng.integers(3, 8, n))
        arrive = dr.drive(a, b, veh[i], dr.hour(d, u(0, 24, len(i))), seen[i])
        arrive = dr.drive(b, beyond, veh[i], arrive + 900, seen[i])
        arrive = dr.drive(beyond, b, veh[i], arrive + u(1, 3, len(i)) * 3600, seen[i])
        dr.drive(b, a, veh[i], arrive + 600, seen[i])
    elif role == "taxi":
        i, d = _days(rng, n, rng.integers(4, 7, n))
        for _ in range(int(rng.integers(1, 4))):
            night = rng.random(len(i)) < 0.5
            h = np.where(night, u(18, 27, len(i)), u(8, 18, len(i)))
            dr.there_and_back(a, b, veh[i], dr.hour(d, h), u(0.05, 0.5, len(i)), seen[i])
        dr.at(a, veh[i], dr.hour(d, u(8, 23, len(i))), 0.8)
    elif role == "night_out":
        i, d = _days(rng, n, rng.integers(1, 3, n), (4, 5))
        dr.there_and_back(a, b, veh[i], dr.hour(d, u(19, 23, len(i))), u(2, 5, len(i)), seen[i])
    elif role == "weekend_visitor":
        i, d = _days(rng, n, 1, (5, 6))
        dr.there_and_back(a, b, veh[i], dr.hour(d, u(9, 14, len(i))), u(4, 30, len(i)), seen[i])
    elif role == "late_visitor":
        i, d = _days(rng, n, rng.integers(1, 5, n))
        dr.there_and_back(a, b, veh[i], dr.hour(d, u(17.5, 22.5, len(i))), u(1.0, 2.5, len(i)), seen[i])
    elif role == "one_off":
        i, d = _days(rng, n, 1)
        dr.there_and_back(a, b, veh[i], dr.hour(d, u(6, 20, len(i))), u(1, 6, len(i)), seen[i])
    if role not in ("haulier",):  # home life: now and then in the home town
        i, d = _days(rng, n, rng.integers(0, 5, n))
        dr.at(a, veh[i], dr.hour(d, u(7, 21, len(i))), 0.7)


def background(out: Path, *, seed: int, towns: int, routes: int, vehicles: int, start: date,
               bg_seed: int = 1, first: int = 0) -> dict[str, Any]:
    """Write ``vehicles`` innocent route users of the week made by
    ``synth.generate(seed=seed, towns=towns, routes=routes, start=start)``, with plates
    ``first`` on (shards of one background: another ``bg_seed`` and ``first`` each)."""
    w = _world(np.random.default_rng(seed), towns)  # the week's world: generate() draws it first
    plan, _ = plan_routes(w, towns, routes)
    rng = np.random.default_rng([seed, bg_seed])
    t0 = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
    dr = _Drives(w, rng, t0)
    names = plates(vehicles, first)
    role_of = rng.choice(list(ROLES), vehicles, p=np.array(list(ROLES.values())) / sum(ROLES.values()))
    route_of = rng.integers(0, len(plan), vehicles)
    lives_at_hub = rng.random(vehicles) < 0.7
    for r, (_, hub, market) in enumerate(plan):
        beyond = max((v for v, _, _ in w.adj[market] if v != hub), key=lambda v: len(w.path(hub, v)))
        others = [t for t in rng.permutation(towns).tolist() if t not in (hub, market)]
        for role in ROLES:
            for home, away, here in ((hub, market, lives_at_hub), (market, hub, ~lives_at_hub)):
                veh = np.flatnonzero((route_of == r) & (role_of == role) & here)
                _route_traffic(dr, rng, role, veh, home, away, beyond if home == hub else hub, others)
    veh = np.concatenate([p[0] for p in dr.parts])
    cam = np.concatenate([p[1] for p in dr.parts])
    t = np.concatenate([p[2] for p in dr.parts]).astype(np.int64)
    keep = (t >= t0) & (t < t0 + 7 * 86400)
    veh, cam, t = veh[keep], cam[keep], t[keep]
    order = np.argsort(t, kind="stable")
    veh, cam, t = veh[order], cam[order], t[order]
    conf = np.round(rng.uniform(0.82, 0.99, len(t)), 2)
    cam_ids = np.array([c[0] for c in w.cams])
    stamps = np.datetime_as_string(t.astype("datetime64[s]"), unit="s")
    plate_arr = np.array(names)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for d in range(7):
        lo, hi = np.searchsorted(t, [t0 + d * 86400, t0 + (d + 1) * 86400])
        day = datetime.fromtimestamp(t0 + d * 86400, UTC).strftime("%Y-%m-%d")
        name = f"reads-bg-{day}.csv"
        n = int(hi - lo)
        table = pa.table({"read_id": np.char.add(f"B{d}", np.char.zfill(np.arange(n).astype(str), 9)),
                          "vrm": plate_arr[veh[lo:hi]], "camera_id": cam_ids[cam[lo:hi]],
                          "read_at": np.char.add(stamps[lo:hi], "Z"), "confidence": conf[lo:hi]})
        pacsv.write_csv(table, out / name, pacsv.WriteOptions(quoting_style="none"))
        files.append(name)
    with (out / "background.csv").open("w", newline="") as f:
        cw = csv.writer(f)
        cw.writerow(["vrm", "role"])
        cw.writerows(zip(names, role_of.tolist(), strict=True))
    counts = {role: int((role_of == role).sum()) for role in ROLES}
    return {"vehicles": vehicles, "reads": int(len(t)), "files": files, "roles": counts}
