"""The search projector: keeps the search index tables in step with the current state
of person, vehicle, location and event records, in the ingest transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Table, delete

from leds.db.bulk import insert_rows
from leds.db.schema import records
from leds.ingest import projectors
from leds.ingest.accepted import Accepted

from . import keys
from .tables import TABLES

INDEXED = ("person", "vehicle", "location", "event")
_EVENT_TEXT = ("description", "offence", "category", "circumstances", "crime_category")


def event_text(data: dict[str, Any]) -> str:
    parts = [str(data.get("kind") or "")]
    parts += [str(data[f]) for f in _EVENT_TEXT if isinstance(data.get(f), str)]
    return " ".join(p for p in parts if p)


class SearchProjector:
    name = "search"
    tables: Sequence[Table] = TABLES

    def __init__(self, present: dict[str, set[str]] | None = None) -> None:
        # The columns each table has in the store, when it is older than this code (a
        # migration's backfill): later columns are left out, for their own migration to fill.
        self.present = present

    def apply(self, conn: Connection, items: list[Accepted]) -> None:
        # The records projector has already run and marked the item (one per record) that
        # became each record's current state.
        changed = [a for a in items if a.current and a.rtype in INDEXED]
        if not changed:
            return
        stale = [a.rkey for a in changed if not a.new_record]
        if stale:
            for table in TABLES:
                for i in range(0, len(stale), 500):
                    conn.execute(delete(table).where(table.c.rkey.in_(stale[i:i + 500])))
        rows: dict[str, list[tuple[Any, ...]]] = {t.name: [] for t in TABLES}
        for a in changed:
            if a.data_json is None:
                continue  # a delete: its keys are gone
            data = orjson.loads(a.data_json)
            if a.rtype == "person":
                dobs = sorted(set(data.get("birth_dates") or []))
                lo, hi = (dobs[0], dobs[-1]) if dobs else (None, None)
                names = keys.name_rows(data.get("names") or [])
                for n, name in enumerate(names):
                    rows["search_names"].append((a.rkey, n, *name, lo, hi))
                first = names[0][:2] if names else (None, None)
                rows["search_persons"].append((a.rkey, data.get("sex"), data.get("height_cm"),
                                               data.get("pnc_id"), data.get("cro_number"),
                                               a.force, a.dataset, a.handling, a.sharing, *first))
                for dob in dobs:
                    rows["search_dobs"].append((a.rkey, dob))
                if data.get("marks"):
                    rows["search_text"].append((a.rkey, "marks", " ; ".join(map(str, data["marks"]))))
            elif a.rtype == "vehicle" and data.get("vrm"):
                vrm = keys.normalise_vrm(data["vrm"])
                rows["search_vehicles"].append((a.rkey, vrm, keys.vrm_key(vrm)))
            elif a.rtype == "location":
                pc = (data.get("address") or {}).get("postcode")
                if pc:
                    rows["search_places"].append((a.rkey, keys.normalise_postcode(pc), keys.district_of(pc)))
            elif a.rtype == "event":
                body = event_text(data)
                if body:
                    rows["search_text"].append((a.rkey, "event", body))
        for table in TABLES:
            if rows[table.name]:
                columns = [c.name for c in table.columns if c.name != "id"]
                kept = rows[table.name]
                if self.present is not None:
                    keep = [i for i, c in enumerate(columns) if c in self.present[table.name]]
                    columns = [columns[i] for i in keep]
                    kept = [tuple(r[i] for i in keep) for r in kept]
                insert_rows(conn, table, tuple(columns), kept)


projectors.register(SearchProjector())


def backfill(conn: Connection, batch: int = 5000) -> int:
    """Index every current record (for a store created before the search index), into the
    columns the index tables have at this point of the store's migrations."""
    from sqlalchemy import inspect, select

    present = {t.name: {c["name"] for c in inspect(conn).get_columns(t.name)} for t in TABLES}

    q = (select(records.c.rkey, records.c.force, records.c.source, records.c.rtype, records.c.ref,
                records.c.sequence, records.c.dataset, records.c.handling, records.c.issued_at, records.c.data,
                records.c.sharing)
         .where(records.c.rtype.in_(INDEXED), records.c.deleted.is_(False)))
    done = 0
    chunk: list[Accepted] = []
    projector = SearchProjector(present)
    for r in conn.execute(q):
        chunk.append(Accepted(r.force, r.source, r.sequence, r.rkey, r.rtype, r.ref, "upsert", r.dataset,
                              r.handling, r.issued_at, r.data, r.sharing, new_record=True, current=True))
        if len(chunk) >= batch:
            projector.apply(conn, chunk)
            done += len(chunk)
            chunk = []
    projector.apply(conn, chunk)
    return done + len(chunk)
