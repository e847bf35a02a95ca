"""Import data.police.uk's CSV files: street-level crime, outcomes, stop and search (and a
population table for rates).

``import_file`` reads one file, keeps every good row and reports every bad one as
``file:line: message`` (unexpected columns, a row from another month, a truncated row).  A
file is one batch, named by its kind, force and month; importing it again replaces the
batch, and importing the very same bytes again is recognised and changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Engine, delete, select

from leds.db.bulk import insert_rows
from leds.db.engine import write_transaction
from leds.errors import BadRequest

from .tables import (
    opendata_imports,
    opendata_outcomes,
    opendata_population,
    opendata_stop_search,
    opendata_street,
)

LONDON = ZoneInfo("Europe/London")  # police.uk's months are local; its times are UTC
MAX_ERRORS_KEPT = 100
CHUNK = 50_000

HEADERS: dict[str, tuple[str, ...]] = {
    "street": ("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
               "LSOA name", "Crime type", "Last outcome category", "Context"),
    "outcomes": ("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                 "LSOA code", "LSOA name", "Outcome type"),
    "stop_search": ("Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude",
                    "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation",
                    "Object of search", "Outcome", "Outcome linked to object of search",
                    "Removal of more than just outer clothing"),
    "population": ("Force", "Ethnicity", "Population"),
}
# Columns a file must have to be read at all (others may be blank).
REQUIRED: dict[str, tuple[str, ...]] = {
    "street": ("Month", "Falls within", "Crime type"),
    "outcomes": ("Month", "Falls within", "Outcome type"),
    "stop_search": ("Type", "Date"),
    "population": HEADERS["population"],
}
MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
NAME_RE = re.compile(r"^(\d{4}-\d{2})-(.+?)-(street|outcomes|stop-and-search)\.csv$")
TABLES = {"street": opendata_street, "outcomes": opendata_outcomes, "stop_search": opendata_stop_search}


@dataclass
class ImportResult:
    file: str
    kind: str | None = None
    batch: str | None = None
    rows: int = 0
    rejected: int = 0
    unchanged: bool = False
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "kind": self.kind, "batch": self.batch, "rows": self.rows,
                "rejected": self.rejected, "unchanged": self.unchanged, "errors": self.errors[:MAX_ERRORS_KEPT],
                "error_count": len(self.errors), "seconds": round(self.seconds, 3)}


def _kind(header: list[str]) -> str | None:
    cols = set(header)
    for kind in ("street", "outcomes", "stop_search", "population"):
        if set(REQUIRED[kind]) <= cols and (kind != "street" or "Crime type" in cols):
            if kind == "street" and "Outcome type" in cols:
                continue
            return kind
    return None


def _float(v: str) -> float | None:
    try:
        return float(v) if v else None
    except ValueError:
        return None


def _local_month(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(LONDON).strftime("%Y-%m")


def import_file(engine: Engine, path: Path | str, *, on_rows: Callable[[int], None] | None = None) -> ImportResult:
    started = time.perf_counter()
    path = Path(path)
    res = ImportResult(str(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        res.errors.append(f"{path}: cannot read: {exc.strerror or exc}")
        return res
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        res.errors.append(f"{path}: not UTF-8 (byte {exc.start})")
        return res
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        res.errors.append(f"{path}:1: the file is empty")
        return res
    kind = _kind(header)
    if kind is None:
        res.errors.append(f"{path}:1: not a data.police.uk street, outcomes or stop-and-search file "
                          f"(columns: {', '.join(header[:16])})")
        return res
    res.kind = kind
    extra = [c for c in header if c not in HEADERS[kind]]
    missing = [c for c in HEADERS[kind] if c not in header]
    if extra or missing:
        res.errors.append(f"{path}:1: unexpected columns" + (f" {extra}" if extra else "")
                          + (f"; missing {missing} (left blank)" if missing else "") + "; the known columns are read")
    pos = {c: header.index(c) for c in HEADERS[kind] if c in header}
    width = len(header)
    m = NAME_RE.match(path.name)
    file_month = m.group(1) if m else None
    slug = m.group(2) if m else None
    sha = hashlib.sha256(raw).hexdigest()
    if kind == "population":
        return _population(engine, path, reader, pos, width, sha, res, started)

    def get(row: list[str], col: str) -> str:
        i = pos.get(col)
        return row[i].strip() if i is not None else ""

    rows: list[tuple[Any, ...]] = []
    first: list[str] | None = None
    if kind == "street" and not missing:
        # The common case, a whole street file with the known columns: one itemgetter per row.
        rows, first, file_month = _street_rows(path, reader, pos, width, file_month, res.errors)
        reader = iter(())  # type: ignore[assignment]  # consumed
    for line_no, row in enumerate(reader, 2):
        if not row or row == [""]:
            continue
        if len(row) != width:
            res.errors.append(f"{path}:{line_no}: {len(row)} fields, expected {width} (a truncated or broken row)")
            continue
        if kind == "stop_search":
            date = get(row, "Date")
            try:
                month = _local_month(date)
            except ValueError:
                res.errors.append(f"{path}:{line_no}: Date {date[:40]!r} is not an ISO date and time")
                continue
        else:
            month = get(row, "Month")
            if not MONTH_RE.fullmatch(month):
                res.errors.append(f"{path}:{line_no}: Month {month[:20]!r} is not YYYY-MM")
                continue
        if file_month is None:
            file_month = month
        if month != file_month:
            res.errors.append(f"{path}:{line_no}: a row of {month} in a file of {file_month}")
            continue
        if first is None:
            first = row
        if kind == "street":
            if not get(row, "Crime type") or not get(row, "Falls within"):
                res.errors.append(f"{path}:{line_no}: no Crime type or Falls within")
                continue
            rows.append((line_no, get(row, "Crime ID") or None, month, get(row, "Reported by"),
                         get(row, "Falls within"), _float(get(row, "Longitude")), _float(get(row, "Latitude")),
                         get(row, "Location") or None, get(row, "LSOA code") or None, get(row, "LSOA name") or None,
                         get(row, "Crime type"), get(row, "Last outcome category") or None,
                         get(row, "Context") or None))
        elif kind == "outcomes":
            rows.append((line_no, get(row, "Crime ID") or None, month, get(row, "Reported by"),
                         get(row, "Falls within"), _float(get(row, "Longitude")), _float(get(row, "Latitude")),
                         get(row, "Location") or None, get(row, "LSOA code") or None, get(row, "LSOA name") or None,
                         get(row, "Outcome type")))
        else:
            rows.append((line_no, month, get(row, "Type"), get(row, "Date"),
                         get(row, "Part of a policing operation") or None, get(row, "Policing operation") or None,
                         _float(get(row, "Latitude")), _float(get(row, "Longitude")), get(row, "Gender") or None,
                         get(row, "Age range") or None, get(row, "Self-defined ethnicity") or None,
                         get(row, "Officer-defined ethnicity") or None, get(row, "Legislation") or None,
                         get(row, "Object of search") or None, get(row, "Outcome") or None,
                         get(row, "Outcome linked to object of search") or None,
                         get(row, "Removal of more than just outer clothing") or None))
    if file_month is None:
        res.errors.append(f"{path}: no rows")
        res.rejected = len(res.errors) - (1 if extra or missing else 0)
        return res
    if slug is None:
        slug = _slug(get(first, "Falls within") if first and kind != "stop_search" else "unknown")
    force = slug
    res.batch = f"{kind}/{force}/{file_month}"
    res.rejected = sum(1 for e in res.errors if not e.startswith(f"{path}:1:"))
    _store(engine, res, kind, force, file_month, path.name, sha, rows, on_rows)
    res.seconds = time.perf_counter() - started
    return res


def _street_rows(path: Path, reader: Iterator[list[str]], pos: dict[str, int], width: int,
                 file_month: str | None, errors: list[str]) -> tuple[list[tuple[Any, ...]], list[str] | None,
                                                                     str | None]:
    """Street rows by position (the columns all present): about three times the general loop's
    speed, which matters for a large force's year (a million rows)."""
    pick = itemgetter(*(pos[c] for c in HEADERS["street"]))
    rows: list[tuple[Any, ...]] = []
    first: list[str] | None = None
    append = rows.append
    for line_no, row in enumerate(reader, 2):
        if len(row) != width:
            if row and row != [""]:
                errors.append(f"{path}:{line_no}: {len(row)} fields, expected {width} (a truncated or broken row)")
            continue
        cid, month, rep, fw, lon, lat, loc, lsoa, lsoa_name, ctype, outcome, ctx = pick(row)
        if month != file_month:
            if not MONTH_RE.fullmatch(month):
                errors.append(f"{path}:{line_no}: Month {month[:20]!r} is not YYYY-MM")
                continue
            if file_month is not None:
                errors.append(f"{path}:{line_no}: a row of {month} in a file of {file_month}")
                continue
            file_month = month
        if not ctype or not fw:
            errors.append(f"{path}:{line_no}: no Crime type or Falls within")
            continue
        if first is None:
            first = row
        append((line_no, cid or None, month, rep, fw, _float(lon), _float(lat), loc or None, lsoa or None,
                lsoa_name or None, ctype, outcome or None, ctx or None))
    return rows, first, file_month


def _slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return re.sub(r"-(police|constabulary|service)$", "", s) or "unknown"


def _store(engine: Engine, res: ImportResult, kind: str, force: str, month: str, name: str, sha: str,
           rows: list[tuple[Any, ...]], on_rows: Callable[[int], None] | None) -> None:
    table = TABLES[kind]
    cols = [c.name for c in table.columns]
    with engine.connect() as conn, write_transaction(conn):
        seen = conn.execute(select(opendata_imports.c.sha256).where(opendata_imports.c.batch == res.batch)).scalar()
        if seen == sha:
            res.unchanged = True
            res.rows = len(rows)
            return
        conn.execute(delete(table).where(table.c.batch == res.batch))
        if kind == "stop_search":
            full = [(res.batch, r[0], force, *r[1:]) for r in rows]
        else:
            full = [(res.batch, *r) for r in rows]
        for i in range(0, len(full), CHUNK):
            insert_rows(conn, table, cols, full[i:i + CHUNK])
            if on_rows:
                on_rows(min(i + CHUNK, len(full)))
        conn.execute(delete(opendata_imports).where(opendata_imports.c.batch == res.batch))
        conn.execute(opendata_imports.insert().values(
            batch=res.batch, kind=kind, force=force, month=month, file_name=name, sha256=sha, rows=len(rows),
            rejected=res.rejected, errors=orjson.dumps(res.errors[:MAX_ERRORS_KEPT]).decode(),
            imported_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))
    res.rows = len(rows)


def _population(engine: Engine, path: Path, reader: Iterator[list[str]], pos: dict[str, int], width: int, sha: str,
                res: ImportResult, started: float) -> ImportResult:
    rows: dict[tuple[str, str], int] = {}
    for line_no, row in enumerate(reader, 2):
        if not row:
            continue
        if len(row) != width:
            res.errors.append(f"{path}:{line_no}: {len(row)} fields, expected {width}")
            continue
        force, eth, n = (row[pos[c]].strip() for c in HEADERS["population"])
        if not n.isdigit() or not force or not eth:
            res.errors.append(f"{path}:{line_no}: Population must be a whole number, with a Force and an Ethnicity")
            continue
        rows[(force, eth)] = int(n)
    res.batch = "population"
    res.rejected = sum(1 for e in res.errors if not e.startswith(f"{path}:1:"))
    with engine.connect() as conn, write_transaction(conn):
        forces = sorted({f for f, _ in rows})
        if forces:
            conn.execute(delete(opendata_population).where(opendata_population.c.force.in_(forces)))
        insert_rows(conn, opendata_population, ("force", "ethnicity", "population"),
                    [(f, e, n) for (f, e), n in rows.items()])
    res.rows = len(rows)
    res.seconds = time.perf_counter() - started
    return res


def import_paths(engine: Engine, paths: list[Path | str]) -> list[ImportResult]:
    if not paths:
        raise BadRequest("give at least one file")
    return [import_file(engine, p) for p in paths]
