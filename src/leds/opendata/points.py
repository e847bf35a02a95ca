"""Anonymous map points for open data, built from the addresses leds holds, and snapping to them.

data.police.uk snaps every location to the nearest of about 750,000 anonymous map points, each
covering at least eight postal addresses, and does not publish the points; its users complain
that snapping crosses boundaries.  Here:

* an **area** (LSOA-style) is a postcode sector (``LS1 4``): the addresses leds holds with
  coordinates are grouped by sector (an address with no postcode, by a 0.05° grid cell);
* within an area, addresses are split at the median of the wider axis, again and again, while a
  group has at least ``2 * N`` addresses: every group then has between N and 2N - 1 distinct
  addresses, and its **point** is their centre, named after their commonest street;
* an event is snapped to the nearest point **in its own area** when its area is known (from a
  postcode or a linked address), otherwise to the nearest point; its own coordinates are never
  published, only the point's;
* the point set is published beside the data (``points.csv``), with how many addresses each covers.

Addresses are counted once each (by UPRN, or postcode and first line), however many records
of them leds holds.  An address with no coordinates cannot place a point (there is no gazetteer
offline); it is counted nowhere.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import Connection, delete, select

from leds.access.policy import Principal, iter_records
from leds.db.bulk import insert_rows
from leds.sharing.tables import opendata_points

PURPOSE = "open_data"
MIN_ADDRESSES = 8
POINTS_HEADER = ("Point ID", "Longitude", "Latitude", "LSOA code", "LSOA name", "Location", "Addresses")
_HOUSE = re.compile(r"^(flat|apartment|unit)?\s*[0-9]+[a-z]?(-[0-9]+[a-z]?)?,?\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Point:
    id: str
    lat: float
    lon: float
    area_code: str
    area_name: str
    street: str | None
    addresses: int


@dataclass(frozen=True)
class Address:
    key: str
    lat: float
    lon: float
    area_code: str
    area_name: str
    street: str | None
    postcode: str | None


def sector(postcode: str | None) -> str | None:
    """The postcode sector, 'LS1 4' of 'LS1 4AP' (with or without its space)."""
    if not postcode:
        return None
    pc = postcode.upper().replace(" ", "")
    if len(pc) < 5:
        return None
    return f"{pc[:-3]} {pc[-3]}"


def _grid(lat: float, lon: float) -> str:
    return f"G{math.floor(lat * 20):+05d}{math.floor(lon * 20):+05d}"


def address_of(data: dict[str, Any]) -> Address | None:
    """A location record's address with coordinates, or None."""
    lat, lon = data.get("lat"), data.get("lon")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    addr = data.get("address") or {}
    pc = addr.get("postcode")
    lines = addr.get("lines") or []
    street = _HOUSE.sub("", lines[0]).strip() if lines else None
    sec = sector(pc)
    town = addr.get("town") or ""
    code = sec or _grid(lat, lon)
    name = f"{town} {sec}".strip() if sec else f"Grid {code}"
    key = f"u{data['uprn']}" if data.get("uprn") else f"a{(pc or '').replace(' ', '')}|{(lines[0] if lines else '').lower()}|{lat:.5f},{lon:.5f}"
    return Address(key, float(lat), float(lon), code, name[:100], (street or None) and street[:190], pc)


def load_addresses(conn: Connection) -> list[Address]:
    """Every distinct address with coordinates that leds holds (location records), read
    through the access policy as the system, for the open-data purpose."""
    seen: dict[str, Address] = {}
    for v in iter_records(conn, Principal.system(), PURPOSE, rtype="location"):
        a = address_of(v.data or {})
        if a is not None:
            seen.setdefault(a.key, a)
    return list(seen.values())


def _split(group: list[Address], n: int) -> list[list[Address]]:
    out: list[list[Address]] = []
    todo = [group]
    while todo:
        g = todo.pop()
        if len(g) < 2 * n:
            out.append(g)
            continue
        lat_span = max(a.lat for a in g) - min(a.lat for a in g)
        lon_span = (max(a.lon for a in g) - min(a.lon for a in g)) * math.cos(math.radians(g[0].lat))
        g = sorted(g, key=(lambda a: (a.lat, a.lon, a.key)) if lat_span >= lon_span else (lambda a: (a.lon, a.lat, a.key)))
        mid = len(g) // 2
        todo += [g[:mid], g[mid:]]
    return out


def build_points(addresses: list[Address], min_addresses: int = MIN_ADDRESSES) -> list[Point]:
    """Points that each cover at least ``min_addresses`` distinct addresses, none crossing an
    area's boundary (an area with fewer addresses has no point of its own)."""
    by_area: dict[str, list[Address]] = defaultdict(list)
    for a in addresses:
        by_area[a.area_code].append(a)
    points: list[Point] = []
    for code in sorted(by_area):
        group = by_area[code]
        if len(group) < min_addresses:
            continue
        for i, g in enumerate(sorted(_split(group, min_addresses), key=lambda g: min(a.key for a in g)), 1):
            lat = round(sum(a.lat for a in g) / len(g), 6)
            lon = round(sum(a.lon for a in g) / len(g), 6)
            streets = Counter(a.street for a in g if a.street)
            street = streets.most_common(1)[0][0] if streets else None
            points.append(Point(f"{code.replace(' ', '')}-{i:03d}", lat, lon, code, g[0].area_name, street, len(g)))
    return points


def save_points(conn: Connection, points: list[Point]) -> None:
    """Replace the stored point set (call inside a write transaction)."""
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conn.execute(delete(opendata_points))
    insert_rows(conn, opendata_points, ("id", "lat", "lon", "area_code", "area_name", "street", "addresses",
                                        "built_at"),
                [(p.id, p.lat, p.lon, p.area_code, p.area_name, p.street, p.addresses, at) for p in points])


def stored_points(conn: Connection) -> list[Point]:
    c = opendata_points.c
    return [Point(r.id, r.lat, r.lon, r.area_code, r.area_name, r.street, r.addresses)
            for r in conn.execute(select(opendata_points).order_by(c.id))]


def write_points_csv(path: Path, points: list[Point]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(POINTS_HEADER)
        for p in points:
            w.writerow([p.id, f"{p.lon:.6f}", f"{p.lat:.6f}", p.area_code, p.area_name,
                        f"On or near {p.street}" if p.street else "On or near", p.addresses])


class Snapper:
    """Nearest point, in the event's own area when that is known (a k-d tree over all points,
    on a local flat projection)."""

    def __init__(self, points: list[Point]):
        self.points = points
        self.by_area: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(points):
            self.by_area[p.area_code].append(i)
        self.cos = math.cos(math.radians(float(np.mean([p.lat for p in points])))) if points else 1.0
        self.tree = cKDTree(np.array([[p.lat, p.lon * self.cos] for p in points])) if points else None

    def snap(self, lats: list[float], lons: list[float], areas: list[str | None]) -> list[int | None]:
        """The index of the point for each (lat, lon, area); None where there are no points."""
        if self.tree is None or not lats:
            return [None] * len(lats)
        k = min(8, len(self.points))
        _, idx = self.tree.query(np.column_stack([lats, np.asarray(lons) * self.cos]), k=k)
        idx = idx.reshape(len(lats), k)
        out: list[int | None] = []
        for row, area, lat, lon in zip(idx.tolist(), areas, lats, lons, strict=True):
            choice = row[0]
            if area is not None and self.points[choice].area_code != area:
                mine = [i for i in row if self.points[i].area_code == area] or self._nearest_in(area, lat, lon)
                if mine:
                    choice = mine[0]
            out.append(choice)
        return out

    def _nearest_in(self, area: str, lat: float, lon: float) -> list[int]:
        cands = self.by_area.get(area, [])
        if not cands:
            return []
        return [min(cands, key=lambda i: (self.points[i].lat - lat) ** 2 + ((self.points[i].lon - lon) * self.cos) ** 2)]
