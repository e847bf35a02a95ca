"""Publish a month as data.police.uk publishes it: street-level crime, outcomes, stop and search,
one CSV per force with exactly police.uk's header for the kind (``importer.HEADERS``).

Two sources, per force:

* a force-month **imported** from data.police.uk (``leds opendata import``) is already public and
  already snapped: its rows are written back as they came, in their order (so importing a month
  and publishing it again gives the same header and the same rows);
* otherwise the rows come from **leds' own events** (``kind`` crime or stop_search), read through
  the access policy as the system for the ``open_data`` purpose, with disclosure control:
  month granularity (a search's Date is the first of its month), each location snapped to an
  anonymous point covering at least N addresses (:mod:`.points`) with the point set published
  beside the data (``points.csv``), LSOA-style areas (postcode sectors), no free text (no
  description, no operation name, no Context), and small cells suppressed: a row whose
  quasi-identifiers (location, area, type; for a search also gender, age range and ethnicity)
  are shared by fewer than ``min_cell`` published rows loses its point, then its area (or its age
  range and self-defined ethnicity), and is left out if it is still that rare.

:func:`reidentifiable` counts the published rows that still sit in a class smaller than the
threshold; the publisher refuses to write a file where it is not zero, and CI runs it too.
"""

from __future__ import annotations

import csv
import hashlib
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from leds.access.policy import Principal, iter_records
from leds.errors import BadRequest, Conflict
from leds.standard.codes import FORCES

from .importer import HEADERS, MONTH_RE, TABLES, _local_month, _slug
from .points import (
    MIN_ADDRESSES,
    PURPOSE,
    Address,
    Snapper,
    address_of,
    build_points,
    save_points,
    sector,
    write_points_csv,
)

KINDS = {"street": "street", "outcomes": "outcomes", "stop-and-search": "stop_search"}
MIN_CELL = 3
CRIME_TYPES = {
    "violent-crime": "Violence and sexual offences", "anti-social-behaviour": "Anti-social behaviour",
    "shoplifting": "Shoplifting", "criminal-damage-arson": "Criminal damage and arson",
    "public-order": "Public order", "other-theft": "Other theft", "vehicle-crime": "Vehicle crime",
    "burglary": "Burglary", "drugs": "Drugs", "other-crime": "Other crime",
    "possession-of-weapons": "Possession of weapons", "robbery": "Robbery",
    "theft-from-the-person": "Theft from the person", "bicycle-theft": "Bicycle theft",
}
_POLICE_UK_TYPES = set(CRIME_TYPES.values())
# Quasi-identifiers of a published row (the columns an attacker could match against what they
# know), and the generalisation steps tried in turn for rows in small classes.
QI: dict[str, tuple[str, ...]] = {
    "street": ("Falls within", "Month", "Longitude", "Latitude", "Location", "LSOA code", "Crime type"),
    "outcomes": ("Falls within", "Month", "Longitude", "Latitude", "Location", "LSOA code", "Outcome type"),
    "stop_search": ("Date", "Latitude", "Longitude", "Type", "Gender", "Age range", "Self-defined ethnicity",
                    "Officer-defined ethnicity"),
}
_NO_POINT = {"Longitude": "", "Latitude": "", "Location": "No location"}
STEPS: dict[str, tuple[dict[str, str], ...]] = {
    "street": (_NO_POINT, {"LSOA code": "", "LSOA name": ""}),
    "outcomes": (_NO_POINT, {"LSOA code": "", "LSOA name": ""}),
    "stop_search": ({"Longitude": "", "Latitude": ""}, {"Age range": "", "Self-defined ethnicity": ""}),
}
_POLICE_NAMES = {"MPS": "Metropolitan Police Service", "COL": "City of London Police",
                 "BTP": "British Transport Police"}


def police_name(code: str) -> str:
    return _POLICE_NAMES.get(code, f"{FORCES.get(code, code)} Police")


@dataclass
class PublishResult:
    month: str
    kind: str
    files: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    imported_rows: int = 0
    event_rows: int = 0
    suppressed: int = 0
    generalised: int = 0
    points: int = 0
    reidentifiable: int = 0
    min_addresses: int = MIN_ADDRESSES
    min_cell: int = MIN_CELL
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def reidentifiable(rows: Sequence[dict[str, str]], kind: str, k: int) -> int:
    """Published rows whose quasi-identifiers are shared by fewer than ``k`` published rows:
    rows that could be linked back to fewer than ``k`` records (zero is the requirement)."""
    qi = itemgetter(*QI[kind])
    sizes = Counter(map(qi, rows))
    return sum(n for n in sizes.values() if n < k)


def control(rows: list[dict[str, str]], kind: str, k: int) -> tuple[list[dict[str, str]], int, int]:
    """Generalise rows in small classes step by step, then leave out those still in one.
    Returns (rows kept, rows generalised, rows suppressed)."""
    qi = itemgetter(*QI[kind])
    generalised: set[int] = set()
    keys = list(map(qi, rows))
    for step in STEPS[kind]:
        sizes = Counter(keys)
        small = [i for i, key in enumerate(keys) if sizes[key] < k]
        if not small:
            break
        for i in small:
            rows[i].update(step)
            keys[i] = qi(rows[i])
            generalised.add(i)
    sizes = Counter(keys)
    kept = [r for r, key in zip(rows, keys, strict=True) if sizes[key] >= k]
    return kept, len(generalised), len(rows) - len(kept)


def _file_name(month: str, slug: str, kind: str) -> str:
    return f"{month}-{slug}-{kind}.csv"


def _write(path: Path, header: tuple[str, ...], rows: Any) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        # police.uk's files are quoted only where needed; crime files end lines with CRLF, stop
        # and search files with LF (as downloaded, 2022-2024).
        w = csv.writer(f, lineterminator="\n" if header == HEADERS["stop_search"] else "\r\n")
        w.writerow(header)
        for r in rows:
            w.writerow(r)
            n += 1
    return n


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:.6f}"


def _imported(conn: Connection, kind: str, month: str, slug: str | None) -> dict[str, list[tuple[Any, ...]]]:
    """The imported rows of the month by force slug, in file order, as police.uk's columns."""
    t = TABLES[kind]
    c = t.c
    q = select(t).where(c.month == month).order_by(c.batch, c.line_no)
    by_force: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in conn.execute(q):
        force = r.batch.split("/")[1]
        if slug is not None and force != slug:
            continue
        row: tuple[Any, ...]
        if kind == "street":
            row = (r.crime_id, r.month, r.reported_by, r.falls_within, _fmt(r.lon), _fmt(r.lat), r.location,
                   r.lsoa_code, r.lsoa_name, r.crime_type, r.last_outcome, r.context)
        elif kind == "outcomes":
            row = (r.crime_id, r.month, r.reported_by, r.falls_within, _fmt(r.lon), _fmt(r.lat), r.location,
                   r.lsoa_code, r.lsoa_name, r.outcome_type)
        else:
            row = (r.type, r.date, r.part_of_operation, r.operation, _fmt(r.lat), _fmt(r.lon), r.gender,
                   r.age_range, r.self_ethnicity, r.officer_ethnicity, r.legislation, r.object, r.outcome,
                   r.outcome_linked, r.removal)
        by_force[force].append(tuple("" if v is None else v for v in row))
    return by_force


def _bool(v: Any) -> str:
    return "" if v is None else ("True" if v in (True, "true", "True", "yes") else "False")


def _force_code(force: str | None) -> tuple[str | None, str | None]:
    """(leds force code, police.uk slug) for --force, given as either."""
    if force is None:
        return None, None
    up = force.upper()
    if up in FORCES:
        return up, _slug(FORCES[up])
    for code, name in FORCES.items():
        if _slug(name) == force.lower():
            return code, force.lower()
    raise BadRequest(f"unknown force {force!r}: give a force code (WYP) or a police.uk name (west-yorkshire)")


def publish(conn: Connection, key: bytes, *, month: str, kind: str, out: Path, force: str | None = None,
            min_addresses: int = MIN_ADDRESSES, min_cell: int = MIN_CELL, audit: Any = None,
            actor: str = "system") -> PublishResult:
    """Write the month's files of ``kind`` (street, outcomes, stop-and-search) into ``out``.
    ``key`` keys the published Crime IDs (a pseudonym of the record: stable, not reversible).
    With ``audit`` (a sink), a publication from leds' own events is recorded as a disclosure to
    the public, with the counts and files (no record keys: nothing personal is released)."""
    started = time.perf_counter()
    if kind not in KINDS:
        raise BadRequest(f"kind is one of {', '.join(KINDS)}")
    if not MONTH_RE.fullmatch(month):
        raise BadRequest("month is YYYY-MM")
    if min_addresses < 2 or min_cell < 2:
        raise BadRequest("each point covers at least 2 addresses and each cell at least 2 rows")
    tkind = KINDS[kind]
    code, slug = _force_code(force)
    res = PublishResult(month, kind, min_addresses=min_addresses, min_cell=min_cell)
    out.mkdir(parents=True, exist_ok=True)

    t = time.perf_counter()
    imported = _imported(conn, tkind, month, slug)
    for fslug, rows in sorted(imported.items()):
        name = _file_name(month, fslug, kind)
        n = _write(out / name, HEADERS[tkind], rows)
        res.files.append({"name": name, "rows": n, "source": "data.police.uk"})
        res.imported_rows += n
    res.timings["imported"] = time.perf_counter() - t

    t = time.perf_counter()
    events = _events(conn, tkind, month, code, skip={s for s in imported})
    res.timings["read"] = time.perf_counter() - t
    if events:
        t = time.perf_counter()
        addresses, by_ref = _locations(conn)
        points = build_points(addresses, min_addresses)
        res.points = len(points)
        from leds.db.engine import write_transaction

        if conn.in_transaction():
            conn.commit()
        with write_transaction(conn):
            save_points(conn, points)
        res.timings["points"] = time.perf_counter() - t
        t = time.perf_counter()
        places = _places(conn, events, addresses, by_ref)
        snapper = Snapper(points)
        idx = snapper.snap([p[0] for p in places], [p[1] for p in places], [p[2] for p in places]) \
            if places else []
        res.timings["snap"] = time.perf_counter() - t
        t = time.perf_counter()
        by_force: dict[str, list[dict[str, str]]] = defaultdict(list)
        j = 0
        for ev in events:
            pt = None
            if ev["place"] is not None:
                i = idx[j]
                j += 1
                pt = points[i] if i is not None else None
            by_force[ev["force"]].append(_row(tkind, ev, pt, month, key))
        header = HEADERS[tkind]
        for fcode, frows in sorted(by_force.items()):
            kept, gen, sup = control(frows, tkind, min_cell)
            res.generalised += gen
            res.suppressed += sup
            bad = reidentifiable(kept, tkind, min_cell)
            if bad:  # cannot happen after control(); checked because nothing may leave otherwise
                raise Conflict(f"disclosure check failed: {bad} rows of {fcode} are in classes below {min_cell}")
            name = _file_name(month, _slug(FORCES.get(fcode, fcode)), kind)
            n = _write(out / name, header, ([r[c] for c in header] for r in kept))
            res.files.append({"name": name, "rows": n, "source": "leds", "generalised": gen, "suppressed": sup})
            res.event_rows += n
        write_points_csv(out / "points.csv", points)
        res.files.append({"name": "points.csv", "rows": len(points), "source": "leds"})
        res.timings["write"] = time.perf_counter() - t
    res.rows = res.imported_rows + res.event_rows
    if conn.in_transaction():
        conn.commit()  # end the read: the audit writer commits on its own connection
    if audit is not None and res.event_rows:
        from leds.audit import AuditEvent

        audit(AuditEvent(action="disclosure", actor=actor, purpose=PURPOSE, reason=f"open data {month} {kind}",
                         detail={"kind": "open_data", "partner": "the public (open data)", "month": month,
                                 "data": kind, "rows": res.event_rows, "generalised": res.generalised,
                                 "suppressed": res.suppressed, "points": res.points,
                                 "files": [f["name"] for f in res.files if f["source"] == "leds"]}))
    res.seconds = time.perf_counter() - started
    return res


def _events(conn: Connection, tkind: str, month: str, code: str | None, skip: set[str]) -> list[dict[str, Any]]:
    """The month's crime (street, outcomes) or stop-and-search events of forces not already
    published from an import."""
    want = "stop_search" if tkind == "stop_search" else "crime"
    out = []
    prev = _prev(month)
    slugs: dict[str, str] = {}
    # Months are local (Europe/London): a day either side in UTC, then the exact local month.
    for v in iter_records(conn, Principal.system(), PURPOSE, rtype="event"):
        d = v.data or {}
        if d.get("kind") != want or (code is not None and v.force != code):
            continue
        when = d.get("occurred_at")
        if not isinstance(when, str) or when[:7] not in (month, prev):
            continue
        # London is UTC or one hour ahead: only the month's last day, or the previous month's, can move.
        if when[:7] == prev or when[8:10] >= "28":
            try:
                if _local_month(when) != month:
                    continue
            except ValueError:
                continue
        slug = slugs.get(v.force)
        if slug is None:
            slug = slugs[v.force] = _slug(FORCES.get(v.force, v.force))
        if slug in skip:
            continue
        if tkind == "outcomes" and not d.get("outcome"):
            continue
        out.append({"rkey": v.rkey, "force": v.force, "source": v.source, "ref": v.ref, "data": d, "place": None,
                    "coords": _has_coords(d)})
    return out


def _prev(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def _locations(conn: Connection) -> tuple[list[Address], dict[tuple[str, str, str], Address]]:
    seen: dict[str, Address] = {}
    by_ref: dict[tuple[str, str, str], Address] = {}
    for v in iter_records(conn, Principal.system(), PURPOSE, rtype="location"):
        a = address_of(v.data or {})
        if a is not None:
            by_ref[(v.force, v.source, v.ref)] = seen.setdefault(a.key, a)
    return list(seen.values()), by_ref


def _places(conn: Connection, events: list[dict[str, Any]], addresses: list[Address],
            by_ref: dict[tuple[str, str, str], Address]) -> list[tuple[float, float, str | None]]:
    """Where each event happened, as (lat, lon, area or None), from its own coordinates, a linked
    address (link role ``occurred_at``) or its postcode; sets ``ev["place"]``.  Returned in the
    order of the events that have one."""
    need_links = [ev for ev in events if not ev["coords"]]
    linked: dict[tuple[str, str, str], Address] = {}
    if need_links and by_ref:
        wanted = {(ev["force"], ev["source"], ev["ref"]) for ev in need_links}
        for v in iter_records(conn, Principal.system(), PURPOSE, rtype="link"):
            d = v.data or {}
            if d.get("role") != "occurred_at":
                continue
            frm, to = d.get("from") or {}, d.get("to") or {}
            if frm.get("type") != "event" or to.get("type") != "location":
                continue
            ek = (frm.get("force", v.force), frm.get("source", v.source), frm.get("ref"))
            if ek in wanted:
                a = by_ref.get((str(to.get("force", v.force)), str(to.get("source", v.source)), str(to.get("ref"))))
                if a is not None:
                    linked[ek] = a  # type: ignore[index]
    by_postcode: dict[str, list[Address]] = defaultdict(list)
    for a in addresses:
        if a.postcode:
            by_postcode[a.postcode.replace(" ", "").upper()].append(a)
    places = []
    for ev in events:
        d = ev["data"]
        pc = d.get("postcode") if isinstance(d.get("postcode"), str) else None
        place: tuple[float, float, str | None] | None = None
        if ev["coords"]:
            place = (float(d["lat"]), float(d["lon"]), sector(pc) if pc else None)
        elif (ev["force"], ev["source"], ev["ref"]) in linked:
            a = linked[(ev["force"], ev["source"], ev["ref"])]
            place = (a.lat, a.lon, a.area_code)
        elif pc and by_postcode.get(pc.replace(" ", "").upper()):
            near = by_postcode[pc.replace(" ", "").upper()]
            place = (sum(a.lat for a in near) / len(near), sum(a.lon for a in near) / len(near), near[0].area_code)
        ev["place"] = place
        if place is not None:
            places.append(place)
    return places


def _has_coords(d: dict[str, Any]) -> bool:
    lat, lon = d.get("lat"), d.get("lon")
    return type(lat) in (float, int) and type(lon) in (float, int)


_WORDS = re.compile(r"[^A-Za-z0-9 ]")


def _crime_type(d: dict[str, Any]) -> str:
    for k in ("category", "crime_category", "crime_type"):
        v = d.get(k)
        if isinstance(v, str) and v:
            if v in CRIME_TYPES:
                return CRIME_TYPES[v]
            if v in _POLICE_UK_TYPES:
                return v
    return "Other crime"


def _row(tkind: str, ev: dict[str, Any], pt: Any, month: str, key: bytes) -> dict[str, str]:
    d = ev["data"]
    lon, lat = (f"{pt.lon:.6f}", f"{pt.lat:.6f}") if pt is not None else ("", "")
    area, area_name = (pt.area_code, pt.area_name) if pt is not None else ("", "")
    if tkind == "stop_search":
        return {"Type": str(d.get("search_type") or "Person search"), "Date": f"{month}-01T00:00:00+00:00",
                "Part of a policing operation": _bool(d.get("part_of_operation")), "Policing operation": "",
                "Latitude": lat, "Longitude": lon, "Gender": str(d.get("gender") or ""),
                "Age range": str(d.get("age_range") or ""),
                "Self-defined ethnicity": str(d.get("self_defined_ethnicity") or ""),
                "Officer-defined ethnicity": str(d.get("officer_defined_ethnicity") or ""),
                "Legislation": str(d.get("legislation") or ""), "Object of search": str(d.get("object_of_search") or ""),
                "Outcome": str(d.get("outcome") or ""),
                "Outcome linked to object of search": _bool(d.get("outcome_linked_to_object")),
                "Removal of more than just outer clothing": _bool(d.get("removal_of_clothing"))}
    name = police_name(ev["force"])
    crime_id = hashlib.blake2b(ev["rkey"].encode(), key=key, digest_size=32).hexdigest()  # keyed, 64 hex as police.uk
    location = (f"On or near {pt.street}" if pt.street else "On or near") if pt is not None else "No location"
    row = {"Crime ID": crime_id, "Month": month, "Reported by": name, "Falls within": name, "Longitude": lon,
           "Latitude": lat, "Location": location, "LSOA code": area, "LSOA name": area_name}
    if tkind == "street":
        ctype = _crime_type(d)
        row.update({"Crime type": ctype, "Last outcome category": str(d.get("outcome") or ""), "Context": ""})
        if ctype == "Anti-social behaviour":
            row["Crime ID"] = ""  # police.uk gives anti-social behaviour no Crime ID
    else:
        row["Outcome type"] = str(d.get("outcome"))
    return row


def publish_key(settings: Any) -> bytes:
    """The key of published Crime IDs: the service's signature (deterministic in Ed25519) over a
    fixed label, so it is secret, stable and needs no second key file."""
    from leds.audit.keys import get_signer

    return bytes.fromhex(get_signer(settings).sign(b"leds-opendata-crime-id:v1"))[:32]
