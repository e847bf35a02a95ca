from __future__ import annotations

import csv
import math
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from leds.audit import get_writer
from leds.audit.tables import audit_entries
from leds.config import Settings
from leds.db.engine import get_engine
from leds.errors import BadRequest
from leds.opendata.importer import HEADERS, import_file
from leds.opendata.points import Address, build_points
from leds.opendata.publish import publish, publish_key, reidentifiable

from ..conftest import env_for
from ..factories import load, ug

DATA = Path("/work/shared/data/police-uk")
CITY = DATA / "2023-05-city-of-london-street.csv"
MET = DATA / "2022-08-metropolitan-stop-and-search.csv"
LEDS = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "leds")
N = 8
UNIT = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's unit may use


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def test_importing_a_police_uk_month_and_publishing_it_again_gives_the_same_header_and_rows(
        settings: Settings, tmp_path: Path) -> None:
    for p in (CITY, MET):
        assert import_file(get_engine(settings), p).errors == []
    out = tmp_path / "pub"
    with get_engine(settings).connect() as conn:
        for month, kind in (("2023-05", "street"), ("2022-08", "stop-and-search")):
            publish(conn, publish_key(settings), month=month, kind=kind, out=out)
    for original in (CITY, MET):
        again = out / original.name
        assert _rows(again)[0] == _rows(original)[0]
        assert _rows(again) == _rows(original)  # the same rows, in order: snapped locations stay put
        assert again.read_bytes() == original.read_bytes()


def test_only_the_named_force_is_published_and_the_header_is_police_uks(settings: Settings, tmp_path: Path) -> None:
    import_file(get_engine(settings), CITY)
    with get_engine(settings).connect() as conn:
        r = publish(conn, b"k" * 32, month="2023-05", kind="street", out=tmp_path / "a", force="MPS")
        assert r.files == []
        r = publish(conn, b"k" * 32, month="2023-05", kind="outcomes", out=tmp_path / "b", force="COL")
    assert r.rows == 0


# -- synthetic events: three postcode sectors of addresses, one too small for a point of its own
def _addresses() -> list[tuple[str, str, float, float]]:
    rng = random.Random(7)
    out = []
    for sector, n, (lat0, lon0) in (("LS1 4", 60, (53.800, -1.550)), ("LS2 7", 45, (53.810, -1.560)),
                                     ("LS9 8", 5, (53.795, -1.520))):
        for i in range(n):
            out.append((f"{sector}{UNIT[i % 20]}{UNIT[i // 20]}", f"{i + 1} {sector[-1]}th Street",
                        round(lat0 + rng.random() * 0.004, 6), round(lon0 + rng.random() * 0.004, 6)))
    return out


def _synthetic(settings: Settings) -> tuple[list[dict[str, Any]], list[tuple[float, float]]]:
    rng = random.Random(11)
    docs: list[dict[str, Any]] = []
    seq = 0

    def add(rec: dict[str, Any]) -> None:
        nonlocal seq
        seq += 1
        docs.append(ug(seq, rec))

    for i, (pc, line, lat, lon) in enumerate(_addresses()):
        add({"type": "location", "ref": f"L-{i}", "dataset": "nominal", "handling": "OFFICIAL",
             "data": {"address": {"lines": [line], "town": "Leeds", "postcode": pc}, "lat": lat, "lon": lon}})
    raw: list[tuple[float, float]] = []
    cats = ("burglary", "shoplifting", "violent-crime")
    for i in range(240):
        lat, lon = 53.800 + rng.random() * 0.014, -1.562 + rng.random() * 0.044
        raw.append((lat, lon))
        when = f"2024-05-{1 + i % 28:02d}T12:00:00Z"
        add({"type": "event", "ref": f"C-{i}", "dataset": "crime", "handling": "OFFICIAL-SENSITIVE",
             "data": {"kind": "crime", "occurred_at": when, "category": cats[i % 3], "outcome": "Under investigation",
                      "description": "a narrative that must never be published", "lat": lat, "lon": lon}})
    for i in range(30):  # located by a linked address only
        add({"type": "event", "ref": f"K-{i}", "dataset": "crime", "handling": "OFFICIAL-SENSITIVE",
             "data": {"kind": "crime", "occurred_at": "2024-05-10T12:00:00Z", "category": "burglary",
                      "outcome": "Under investigation"}})
        add({"type": "link", "ref": f"LK-{i}", "dataset": "crime", "handling": "OFFICIAL",
             "data": {"from": {"type": "event", "ref": f"K-{i}"}, "to": {"type": "location", "ref": f"L-{i % 60}"},
                      "role": "occurred_at"}})
    for i in range(90):
        lat, lon = 53.800 + rng.random() * 0.014, -1.562 + rng.random() * 0.044
        raw.append((lat, lon))
        add({"type": "event", "ref": f"S-{i}", "dataset": "stop_search", "handling": "OFFICIAL-SENSITIVE",
             "data": {"kind": "stop_search", "occurred_at": f"2024-05-{1 + i % 28:02d}T21:00:00Z",
                      "search_type": "Person search", "gender": ("Male", "Female")[i % 5 == 0],
                      "age_range": ("18-24", "25-34", "over 34")[i % 3], "officer_defined_ethnicity": "White",
                      "legislation": "Misuse of Drugs Act 1971 (section 23)", "object_of_search": "Controlled drugs",
                      "outcome": "A no further action disposal", "lat": lat, "lon": lon}})
    load(settings, docs)
    return docs, raw


def test_publishing_synthetic_events_never_puts_out_a_raw_location_and_each_point_covers_n_addresses(
        settings: Settings, tmp_path: Path) -> None:
    _, raw = _synthetic(settings)
    raw_text = {f"{v:.6f}" for lat, lon in raw for v in (lat, lon)}
    address_text = {f"{v:.6f}" for *_, lat, lon in _addresses() for v in (lat, lon)}
    with get_engine(settings).connect() as conn:
        street = publish(conn, publish_key(settings), month="2024-05", kind="street", out=tmp_path, min_addresses=N,
                         audit=get_writer(settings).record, actor="os:tester")
        entry = conn.execute(select(audit_entries.c.partner, audit_entries.c.detail)
                             .where(audit_entries.c.action == "disclosure")).one()
        search = publish(conn, publish_key(settings), month="2024-05", kind="stop-and-search", out=tmp_path,
                         min_addresses=N)
    points = {(r[1], r[2]): r for r in _rows(tmp_path / "points.csv")[1:]}
    assert points and all(int(p[6]) >= N for p in points.values())
    assert not any(p[3] == "LS9 8" for p in points.values())  # 5 addresses: no point of its own
    for name, kind in (("2024-05-west-yorkshire-street.csv", "street"),
                       ("2024-05-west-yorkshire-stop-and-search.csv", "stop-and-search")):
        rows = _rows(tmp_path / name)
        assert tuple(rows[0]) == HEADERS["street" if kind == "street" else "stop_search"]
        body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
        assert body
        for r in body:
            if r["Longitude"]:
                assert (r["Longitude"], r["Latitude"]) in points  # only published points
                assert r["Longitude"] not in raw_text and r["Latitude"] not in raw_text
                assert r["Longitude"] not in address_text or r["Latitude"] not in address_text
        assert "narrative" not in (tmp_path / name).read_text()
    assert entry.partner == "the public (open data)" and f'"rows":{street.event_rows}' in entry.detail
    assert street.event_rows + street.suppressed == 270 and search.event_rows + search.suppressed == 90
    rows = _rows(tmp_path / "2024-05-west-yorkshire-stop-and-search.csv")
    assert {r[1] for r in rows[1:]} == {"2024-05-01T00:00:00+00:00"}  # month granularity
    with get_engine(settings).connect() as conn:
        outcomes = publish(conn, publish_key(settings), month="2024-05", kind="outcomes", out=tmp_path)
    rows = _rows(tmp_path / "2024-05-west-yorkshire-outcomes.csv")
    assert tuple(rows[0]) == HEADERS["outcomes"] and outcomes.event_rows == len(rows) - 1 > 0
    assert {r[9] for r in rows[1:]} == {"Under investigation"}


def test_no_published_row_can_be_linked_back_to_fewer_than_k_records(settings: Settings, tmp_path: Path) -> None:
    """The re-identification test: each published row's quasi-identifiers (where, area, what,
    and for a search who) must match at least k published rows; and, linking back, at least k of
    leds' own events of that type whose nearest published point is the row's point."""
    _, raw = _synthetic(settings)
    k = 3
    with get_engine(settings).connect() as conn:
        publish(conn, publish_key(settings), month="2024-05", kind="street", out=tmp_path, min_cell=k)
        publish(conn, publish_key(settings), month="2024-05", kind="stop-and-search", out=tmp_path, min_cell=k)
    for name, kind in (("2024-05-west-yorkshire-street.csv", "street"),
                       ("2024-05-west-yorkshire-stop-and-search.csv", "stop_search")):
        rows = _rows(tmp_path / name)
        body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
        assert reidentifiable(body, kind, k) == 0
    pts = [(float(r[2]), float(r[1])) for r in _rows(tmp_path / "points.csv")[1:]]
    cos = math.cos(math.radians(53.8))

    def nearest(lat: float, lon: float) -> tuple[float, float]:
        return min(pts, key=lambda p: (p[0] - lat) ** 2 + ((p[1] - lon) * cos) ** 2)

    near = [nearest(lat, lon) for lat, lon in raw[:240]]
    rows = _rows(tmp_path / "2024-05-west-yorkshire-street.csv")
    cats = ("Burglary", "Shoplifting", "Violence and sexual offences")
    for r in rows[1:]:
        if r[4] and r[9] != "Burglary":  # burglary also has the linked-address events
            where = (float(r[5]), float(r[4]))
            matches = sum(1 for i, p in enumerate(near) if p == where and cats[i % 3] == r[9])
            assert matches >= k, r


def test_points_never_cross_an_area_and_cover_between_n_and_2n_addresses() -> None:
    rng = random.Random(3)
    addrs = [Address(f"a{i}", 53 + rng.random(), -1 - rng.random(), f"S{i % 7}", f"S{i % 7}", "High Street",
                     None) for i in range(1000)]
    pts = build_points(addrs, N)
    assert sum(p.addresses for p in pts) == 1000
    assert all(N <= p.addresses < 2 * N for p in pts)


def test_bad_publish_requests_are_refused_with_a_reason(sqlite_settings: Settings, tmp_path: Path) -> None:
    r = subprocess.run([LEDS, "opendata", "publish", "--month", "2024-05", "--kind", "burglary", "--out",
                        str(tmp_path)], env=env_for(sqlite_settings), capture_output=True, text=True)
    assert r.returncode == 2 and "kind is one of street, outcomes, stop-and-search" in r.stderr
    with get_engine(sqlite_settings).connect() as conn, pytest.raises(BadRequest, match="YYYY-MM"):
        publish(conn, b"k" * 32, month="2024-13", kind="street", out=tmp_path)
