"""Herbert (people living with dementia) and Philomena (children in care) forms, lodged in
advance for a person, with consent and an expiry date, and shown at once when that person
is reported missing (:func:`leds.missing.service.protocols_for`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from leds.access.lookup import Lookup, consulting
from leds.access.policy import authorise
from leds.db.engine import write_transaction
from leds.errors import BadRequest

from .models import ProtocolRequest
from .report import _person
from .service import iso, now
from .tables import missing_protocols

MAX_YEARS = 3


def lodge(conn: Connection, lookup: Lookup, req: ProtocolRequest) -> dict[str, Any]:
    authorise(lookup.principal, "manage_missing", lookup.purpose, lookup.reason, lookup.audit)
    at = now()
    if req.expires_on <= at.date():
        raise BadRequest("the expiry date must be in the future", field="expires_on")
    if req.expires_on > (at + timedelta(days=366 * MAX_YEARS)).date():
        raise BadRequest(f"a protocol form lasts at most {MAX_YEARS} years; lodge it again then", field="expires_on")
    with consulting(lookup, "missing protocol", {"person": req.person, "kind": req.kind}) as lk:
        subject, _ = _person(conn, lk, req.person)
    details = req.model_dump(exclude={"purpose", "reason", "kind", "person", "consent", "expires_on"},
                             exclude_none=True)
    with conn.engine.connect() as w, write_transaction(w):
        pid = w.execute(missing_protocols.insert().values(
            kind=req.kind, subject=subject.rkey, force=lookup.principal.force or "", lodged_by=lookup.principal.id,
            lodged_at=iso(at), consent=req.consent, expires_on=req.expires_on.isoformat(),
            details=orjson.dumps(details).decode())).inserted_primary_key[0]  # type: ignore[index]
    return {"id": int(pid), "kind": req.kind, "subject": subject.rkey, "force": lookup.principal.force or "",
            "lodged_by": lookup.principal.id, "lodged_at": iso(at), "consent": req.consent,
            "expires_on": req.expires_on.isoformat(), "details": details}
