"""Data subjects' requests under Part 3 of the Data Protection Act 2018, and legal holds.

* **access** (s45): answered with a subject access pack (:mod:`.sar`);
* **rectification** (s46): sent to the owning force, which corrects the record by
  updategram; deciding the request links it to the corrective version (its sequence);
* **erasure** (s47(1)): done by ``leds erase`` (:mod:`.erase`), which closes the request;
* **restriction** (s47(2)): a record whose accuracy is disputed is restricted at once,
  until the request is decided.

Every request has a clock of one calendar month from receipt (s45(3)(b) "without undue
delay and in any event before the end of the applicable time period"; we take the
one-month period of the UK GDPR and the ICO's guidance); a request still open after its due
date is flagged overdue.  Legal holds are a state a record is in: a held record cannot be
disposed of or erased until the hold is released.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from leds.access.lookup import Lookup
from leds.access.policy import Principal, authorise, read_records, record_history
from leds.db.engine import write_transaction
from leds.errors import BadRequest, Conflict, NotFound

from .erase import now
from .review import end_reads, erasure_event, today
from .tables import retention_holds, retention_restrictions, rights_requests

KINDS = ("access", "rectification", "erasure", "restriction")
OPEN = ("open", "with_force")


def one_month_after(iso: str) -> str:
    """The same day of the next calendar month (or that month's last day)."""
    d = date.fromisoformat(iso[:10])
    y, m = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1])).isoformat()


def _allowed(lookup: Lookup) -> None:
    authorise(lookup.principal, "manage_rights", lookup.purpose, lookup.reason, lookup.audit)


def _record_force(conn: Connection, rkey: str) -> str:
    """The owning force of a current record (read as the service, for its envelope only)."""
    found = read_records(conn, Principal.system(), "retention", rkeys=[rkey], limit=1)
    if not found or found[0].deleted:
        raise NotFound("no such record")
    return found[0].force


def create_request(conn: Connection, lookup: Lookup, kind: str, person_id: str, detail: str, *,
                   rkey: str | None = None, received_at: str | None = None) -> dict[str, Any]:
    _allowed(lookup)
    if kind not in KINDS:
        raise BadRequest(f"a request is one of {', '.join(KINDS)}")
    if not person_id.strip() or not detail.strip():
        raise BadRequest("a request names the person and says what they ask")
    if kind in ("rectification", "restriction") and not rkey:
        raise BadRequest(f"a {kind} request names the record concerned")
    force = _record_force(conn, rkey) if rkey else None
    received = received_at or now()
    status = "with_force" if kind == "rectification" else "open"
    end_reads(conn)
    with write_transaction(conn):
        rid = int(conn.execute(rights_requests.insert().values(  # type: ignore[index]
            kind=kind, person_id=person_id, rkey=rkey, detail=detail, received_at=received,
            due_on=one_month_after(received), status=status, owning_force=force,
            created_by=lookup.principal.id)).inserted_primary_key[0])
        if kind == "restriction" and rkey:
            conn.execute(delete(retention_restrictions).where(retention_restrictions.c.rkey == rkey))
            conn.execute(retention_restrictions.insert().values(rkey=rkey, grounds="disputed_accuracy", since=received,
                                                                by=lookup.principal.id, request_id=rid))
    lookup.audit(erasure_event("alteration", lookup, [s for s in (rkey, person_id) if s], {
        "kind": f"rights_request_{kind}", "request": rid, "owning_force": force}))
    return get_request(conn, rid)


def get_request(conn: Connection, rid: int) -> dict[str, Any]:
    r = conn.execute(select(rights_requests).where(rights_requests.c.id == rid)).mappings().first()
    if r is None:
        raise NotFound("no such request")
    return _shape(dict(r))


def _shape(r: dict[str, Any]) -> dict[str, Any]:
    r["overdue"] = r["status"] in OPEN and r["due_on"] < today()
    return r


def list_requests(conn: Connection, lookup: Lookup, *, status: str | None = None, limit: int = 200
                  ) -> list[dict[str, Any]]:
    _allowed(lookup)
    q = select(rights_requests).order_by(rights_requests.c.due_on, rights_requests.c.id).limit(limit)
    if status == "open":
        q = q.where(rights_requests.c.status.in_(OPEN))
    elif status is not None:
        q = q.where(rights_requests.c.status == status)
    return [_shape(dict(r)) for r in conn.execute(q).mappings()]


def decide_request(conn: Connection, lookup: Lookup, rid: int, outcome: str, decision: str) -> dict[str, Any]:
    """Close a request: ``done`` or ``refused`` (with the s48 reasons).  A rectification is
    done only once the owning force's corrective updategram has arrived: the request is then
    linked to that version (its sequence).  Deciding a restriction lifts the disputed-accuracy
    restriction it placed."""
    _allowed(lookup)
    if outcome not in ("done", "refused"):
        raise BadRequest("a request is decided done or refused")
    if not decision.strip():
        raise BadRequest("say what was decided, and why (s48)")
    req = get_request(conn, rid)
    if req["status"] not in OPEN:
        raise Conflict("the request is already decided")
    corrected = None
    if req["kind"] == "rectification" and outcome == "done":
        corrected = next((v["sequence"] for v in record_history(conn, Principal.system(), req["rkey"])
                          if v["issued_at"] > req["received_at"]), None)  # newest first
        if corrected is None:
            raise Conflict("no corrective updategram from the owning force has arrived since the request")
    end_reads(conn)
    with write_transaction(conn):
        conn.execute(update(rights_requests).where(rights_requests.c.id == rid).values(
            status=outcome, decision=decision, decided_at=now(), decided_by=lookup.principal.id,
            corrected_sequence=corrected))
        if req["kind"] in ("restriction", "rectification") and req["rkey"]:
            conn.execute(delete(retention_restrictions).where(retention_restrictions.c.request_id == rid))
    lookup.audit(erasure_event("alteration", lookup, [s for s in (req["rkey"], req["person_id"]) if s], {
        "kind": f"rights_request_{req['kind']}_decided", "request": rid, "outcome": outcome,
        "corrected_sequence": corrected}))
    return get_request(conn, rid)


# -- legal holds -------------------------------------------------------------------------------
def place_hold(conn: Connection, lookup: Lookup, rkey: str, authority: str, reason: str) -> dict[str, Any]:
    _allowed(lookup)
    if not authority.strip() or not reason.strip():
        raise BadRequest("a legal hold names its authority (case or order reference) and a reason")
    _record_force(conn, rkey)
    at = now()
    end_reads(conn)
    with write_transaction(conn):
        conn.execute(delete(retention_holds).where(retention_holds.c.rkey == rkey))
        conn.execute(retention_holds.insert().values(rkey=rkey, authority=authority, reason=reason, since=at,
                                                     by=lookup.principal.id))
    lookup.audit(erasure_event("alteration", lookup, [rkey], {"kind": "legal_hold", "authority": authority}))
    return {"rkey": rkey, "authority": authority, "reason": reason, "since": at}


def release_hold(conn: Connection, lookup: Lookup, rkey: str, reason: str) -> None:
    _allowed(lookup)
    end_reads(conn)
    with write_transaction(conn):
        n = conn.execute(delete(retention_holds).where(retention_holds.c.rkey == rkey)).rowcount
    if not n:
        raise NotFound("no hold on that record")
    lookup.audit(erasure_event("alteration", lookup, [rkey], {"kind": "legal_hold_released", "why": reason[:500]}))


def received_today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
