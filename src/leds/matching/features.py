"""What matching compares: one flat row of normalised features per person record.

The same function builds the row for the batch run (records read through the access
choke point) and for the real-time matcher (an accepted updategram in the ingest
transaction), so the two can never normalise differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection

from leds.access.policy import Principal, RecordView, iter_records
from leds.ingest.accepted import make_rkey

from .names import family_groups, fold, fold_surname, given_groups, surname_parts

PURPOSE = "data_matching"

# Column name -> DuckDB type, in the order of the table handed to Splink.
FEATURE_TYPES: dict[str, str] = {
    "unique_id": "VARCHAR", "force": "VARCHAR", "source": "VARCHAR", "ref": "VARCHAR",
    "fn": "VARCHAR", "fn1": "VARCHAR", "sn": "VARCHAR", "sn1": "VARCHAR",
    "fn_groups": "INTEGER[]", "sn_groups": "INTEGER[]", "given_all": "VARCHAR[]", "family_all": "VARCHAR[]",
    "dob": "VARCHAR", "dob_y": "INTEGER", "dob_m": "INTEGER", "dob_d": "INTEGER", "dobs": "VARCHAR[]",
    "sex": "VARCHAR", "pnc": "VARCHAR", "cro": "VARCHAR", "eth": "VARCHAR", "height": "INTEGER",
    "postcode": "VARCHAR", "district": "VARCHAR", "addr": "VARCHAR", "name_pair": "VARCHAR",
    "marks": "VARCHAR[]",
    # blocking keys only (comparisons.BLOCKING)
    "dob_unordered": "VARCHAR", "initials": "VARCHAR", "fn_canon": "VARCHAR", "sn_canon": "VARCHAR",
}
FEATURE_COLUMNS = tuple(FEATURE_TYPES)

_NOT_WORD = re.compile(r"[^0-9a-z]+")

Address = tuple[str | None, str | None]  # (postcode without space, address key)
NO_ADDRESS: Address = (None, None)


def district_of(postcode: str | None) -> str | None:
    return postcode[:-3] if postcode and len(postcode) > 4 else None


def name_pair(fn: str | None, sn: str | None) -> str | None:
    """Forename and surname in sorted order: a blocking key that also finds swapped names."""
    return "|".join(sorted((fn, sn))) if fn and sn else None


def canonical(name: str, groups: list[int]) -> str:
    """One key for the names of a variant group (the group's number; a name in several
    groups takes the first), the name itself otherwise: Davy and David block together."""
    return f"#{groups[0]}" if groups else name


def blocking_keys(fn: str, sn: str, y: int | None, m: int | None, d: int | None) -> dict[str, str | None]:
    """Feature columns used only by blocking rules: the date of birth with day and month in
    either order, the two initials in either order (names swapped), and the variant group
    of each name."""
    return {
        "dob_unordered": f"{y:04d}-{min(m, d):02d}-{max(m, d):02d}" if y and m and d else None,
        "initials": "".join(sorted((fn[0], sn[0]))) if fn and sn else None,
        "fn_canon": canonical(fn, given_groups(fn)) if fn else None,
        "sn_canon": canonical(sn, family_groups(sn)) if sn else None,
    }


def _none_if_empty(xs: list[Any]) -> list[Any] | None:
    return xs or None


def fold_mark(text: str) -> str:
    """A scar, mark or tattoo as free text, folded for comparison: lower case, letters and
    digits, single spaces ("Tattoo, LEFT forearm:  rose" -> "tattoo left forearm rose")."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def address_of(location: dict[str, Any] | None) -> Address:
    """Postcode (upper case, no space) and an address key: the UPRN when there is one,
    otherwise the folded address lines with the postcode."""
    if not location:
        return None, None
    a = location.get("address") or {}
    pc = (a.get("postcode") or "").replace(" ", "").upper() or None
    if location.get("uprn"):
        key: str | None = f"u{location['uprn']}"
    else:
        lines = "".join(fold(x) + "".join(c for c in x if c.isdigit()) for x in a.get("lines") or [])
        key = f"a{lines}|{pc}" if lines else None
    return pc, key


def person_features(rkey: str, force: str, source: str, ref: str, data: dict[str, Any],
                    address: Address = (None, None)) -> dict[str, Any]:
    names = data.get("names") or []
    primary = next((n for n in names if n.get("kind", "primary") == "primary"), names[0] if names else {})
    given = primary.get("given") or []
    fn = fold(given[0]) if given else ""
    sn = fold_surname(primary.get("family") or "")
    given_all: set[str] = set()
    family_all: set[str] = set()
    fn_groups: set[int] = set(given_groups(fn)) if fn else set()
    for n in names:
        for g in n.get("given") or []:
            if f := fold(g):
                given_all.add(f)
        if n.get("family"):
            family_all.add(fold_surname(n["family"]))
            family_all.update(surname_parts(n["family"]))
        if n.get("kind") == "nickname" and n.get("given"):
            fn_groups.update(given_groups(fold(n["given"][0])))
    family_all.discard("")
    dobs = sorted(set(data.get("birth_dates") or []))
    first_dob = (data.get("birth_dates") or [None])[0]
    y = m = d = None
    if first_dob:
        y, m, d = (int(p) for p in first_dob.split("-"))
    pc, addr = address
    return {
        "unique_id": rkey, "force": force, "source": source, "ref": ref,
        "fn": fn or None, "fn1": fn[:1] or None, "sn": sn or None, "sn1": sn[:1] or None,
        "fn_groups": _none_if_empty(sorted(fn_groups)),
        "sn_groups": _none_if_empty(sorted({g for f in family_all for g in family_groups(f)})),
        "given_all": _none_if_empty(sorted(given_all)), "family_all": _none_if_empty(sorted(family_all)),
        "dob": first_dob, "dob_y": y, "dob_m": m, "dob_d": d, "dobs": _none_if_empty(dobs),
        "sex": data.get("sex") if data.get("sex") in ("M", "F") else None,
        "pnc": data.get("pnc_id"), "cro": data.get("cro_number"),
        "eth": data.get("ethnicity_officer") if data.get("ethnicity_officer") not in (None, "IC0") else None,
        "height": data.get("height_cm"),
        "postcode": pc, "district": district_of(pc), "addr": addr,
        "name_pair": name_pair(fn, sn),
        "marks": _none_if_empty(sorted({k for x in data.get("marks") or [] if (k := fold_mark(x))})),
        **blocking_keys(fn, sn, y, m, d),
    }


def link_end(link: RecordView | Any, end: dict[str, Any]) -> str:
    return make_rkey(end.get("force", link.force), end.get("source", link.source), end["type"], end["ref"])


def _tick(on_progress: Callable[[str, int], None] | None, stage: str, n: int) -> None:
    if on_progress and n % 200_000 == 0:
        on_progress(stage, n)


def home_addresses(conn: Connection, on_progress: Callable[[str, int], None] | None = None) -> dict[str, Address]:
    """person rkey -> the address of its latest resides_at link, read through the access
    choke point (principal: the system; purpose: data matching)."""
    me = Principal.system()
    resides: dict[str, tuple[str, str]] = {}  # person rkey -> (valid_from, location rkey)
    for i, link in enumerate(iter_records(conn, me, PURPOSE, rtype="link"), 1):
        _tick(on_progress, "links", i)
        data = link.data
        if not data or data.get("role") != "resides_at" or data["from"].get("type") != "person":
            continue
        person = link_end(link, data["from"])
        since = str(data.get("valid_from") or "")
        if person not in resides or since >= resides[person][0]:
            resides[person] = (since, link_end(link, data["to"]))
    wanted = {loc for _, loc in resides.values()}
    addresses: dict[str, Address] = {}
    for i, loc in enumerate(iter_records(conn, me, PURPOSE, rtype="location"), 1):
        _tick(on_progress, "locations", i)
        if loc.rkey in wanted:
            addresses[loc.rkey] = address_of(loc.data)
    return {p: addresses.get(loc, (None, None)) for p, (_, loc) in resides.items()}


def _home_addresses_worker() -> None:
    """Entry point of the worker process: the database URL on standard input, the pickled
    :func:`home_addresses` on standard output."""
    import gc
    import pickle
    import sys

    from sqlalchemy import create_engine

    gc.disable()  # millions of long-lived rows and no cycles (as in batch.run_match)
    engine = create_engine(sys.stdin.read())
    try:
        with engine.connect() as conn:
            homes = home_addresses(conn)
    finally:
        engine.dispose()
    sys.stdout.buffer.write(pickle.dumps(homes, protocol=pickle.HIGHEST_PROTOCOL))


class _Worker:
    """:func:`home_addresses` in a child process (a plain subprocess: nothing of this
    process's state, threads or ``__main__`` is carried over)."""

    def __init__(self, database_url: str) -> None:
        import subprocess
        import sys
        import tempfile

        self.out = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from leds.matching.features import _home_addresses_worker as w; w()"],
            stdin=subprocess.PIPE, stdout=self.out)
        assert self.proc.stdin is not None
        self.proc.stdin.write(database_url.encode())
        self.proc.stdin.close()

    def result(self) -> dict[str, Address]:
        import pickle

        if self.proc.wait() != 0:
            raise RuntimeError(f"the address reader failed (exit {self.proc.returncode})")
        self.out.seek(0)
        homes: dict[str, Address] = pickle.load(self.out)  # noqa: S301 (our own child's output)
        self.out.close()
        return homes


def load_features(conn: Connection, *, on_progress: Callable[[str, int], None] | None = None,
                  parallel: bool = False) -> list[dict[str, Any]]:
    """A feature row for every current person record, read through the access choke point
    (principal: the system; purpose: data matching).  ``parallel``: read the links and
    locations (for home addresses) in a second process while this one reads the persons;
    worth its second of start-up only for large stores."""
    me = Principal.system()
    pending = None
    if parallel:
        pending = _Worker(conn.engine.url.render_as_string(hide_password=False))
    homes = home_addresses(conn, on_progress) if pending is None else None
    rows = []
    for i, p in enumerate(iter_records(conn, me, PURPOSE, rtype="person"), 1):
        _tick(on_progress, "persons", i)
        if p.data is None:
            continue
        rows.append(person_features(p.rkey, p.force, p.source, p.ref, p.data,
                                    homes.get(p.rkey, NO_ADDRESS) if homes is not None else NO_ADDRESS))
    if pending is not None:
        homes = pending.result()
        for r in rows:
            home = homes.get(r["unique_id"])
            if home is not None:
                set_address(r, home)
    return rows


def set_address(row: dict[str, Any], address: Address) -> None:
    pc, key = address
    row.update(postcode=pc, district=district_of(pc), addr=key)


def columns_of(rows: Iterable[dict[str, Any]]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {c: [] for c in FEATURE_COLUMNS}
    for r in rows:
        for c in FEATURE_COLUMNS:
            cols[c].append(r.get(c))
    return cols
