"""The record view: one source record as the caller may see it, with its provenance, its
version history, its national person id and the records it refers to.

Served at ``GET /api/v1/records/{rkey}`` and its older alias ``/api/v1/provenance/{rkey}``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection

from leds.access.lookup import Lookup
from leds.access.policy import read_records, record_history, references
from leds.errors import NotFound


def record_view(conn: Connection, lookup: Lookup, rkey: str) -> dict[str, Any]:
    """One source record as the caller may see it, with its provenance and version history
    (a :class:`~leds.records.models.RecordAnswer`)."""
    from leds.matching.store import assignments

    if len(rkey) > 200 or rkey.count("|") < 3:
        raise NotFound("no such record, or not one you may see")
    views = read_records(conn, lookup.principal, lookup.purpose, action="view_record", reason=lookup.reason,
                         audit=lookup.audit, rkeys=[rkey], limit=1)
    if not views:
        raise NotFound("no such record, or not one you may see")
    v = views[0]
    versions = record_history(conn, lookup.principal, rkey)
    pid = assignments(conn, [rkey]).get(rkey) if v.rtype == "person" else None
    refs = [{"role": role, "target": t} for _, role, t in references(conn, of=[rkey])]
    record = asdict(v)
    # The record's fields at the top level (as /records answered), and nested under "record"
    # (as /provenance answered): one answer for both paths.
    return {**record, "versions": versions, "person_id": pid, "references": refs, "record": record}


__all__ = ["record_view"]
