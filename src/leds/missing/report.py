"""Episodes reported through leds: the coordinators' report form and its later versions
(re-grading, found, closed, the return interview).  Each is a ``missing_episode`` updategram
from the force's own stream ``LEDS-MISSING``, validated and ingested like any other, so the
log stays the one way in and the history is the version history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Connection, func, select

from leds.access.lookup import Lookup, consulting
from leds.access.policy import RecordView, authorise, read_records
from leds.config import Settings
from leds.db.engine import get_engine
from leds.db.schema import log
from leds.errors import BadRequest, Conflict, Forbidden, NotFound
from leds.persons.service import members
from leds.standard import Updategram

from .models import ReportRequest, UpdateRequest
from .service import iso, now, protocols_for

WEB_SOURCE = "LEDS-MISSING"


def _t(value: datetime) -> str:
    return iso(value if value.tzinfo else value.replace(tzinfo=UTC))


def _person(conn: Connection, lookup: Lookup, person: str) -> tuple[RecordView, list[str]]:
    keys = members(conn, person)
    views = read_records(conn, lookup.principal, lookup.purpose, action="manage_missing", reason=lookup.reason,
                         audit=lookup.audit, rkeys=keys, rtype="person", limit=max(len(keys), 1)) if keys else []
    if not views:
        raise NotFound("no such person, or not one you may see", field="person")
    own = [v for v in views if v.force == lookup.principal.force]
    return (own or views)[0], keys


def _send(settings: Settings, lookup: Lookup, ref: str, data: dict[str, Any]) -> tuple[str, int]:
    """Validate and ingest one updategram of the caller's force; (episode id, sequence)."""
    from leds.ingest.pipeline import Ingestor
    from leds.ingest.reasons import classify

    force = lookup.principal.force
    if not force:
        raise Forbidden("only a force's coordinators report missing people")
    engine = get_engine(settings)
    for _attempt in range(3):
        with engine.connect() as conn:
            top = conn.execute(select(func.max(log.c.sequence)).where(log.c.force == force,
                                                                      log.c.source == WEB_SOURCE)).scalar()
        seq = int(top or 0) + 1
        doc = {"updategram": "1", "force": force, "source": WEB_SOURCE, "sequence": seq,
               "issued_at": iso(now()), "op": "upsert",
               "record": {"type": "missing_episode", "ref": ref, "dataset": "missing",
                          "handling": "OFFICIAL-SENSITIVE", "data": data}}
        line = orjson.dumps(doc)
        try:
            Updategram.model_validate_json(line)
        except ValidationError as exc:
            codes, message = classify(exc)
            raise BadRequest(f"{', '.join(codes)}: {message.replace('record.data.', '')}") from None
        summary = Ingestor(settings).ingest_lines(iter([(1, line)]), f"web:{lookup.principal.id}")
        if summary.accepted == 1:
            return f"{force}|{WEB_SOURCE}|missing_episode|{ref}", seq
        if "CONFLICT" not in summary.by_reason:  # another coordinator took this sequence: try the next
            raise BadRequest(f"the episode was not accepted: {dict(summary.by_reason)}")
    raise Conflict("the register is busy; send the report again")


def report(settings: Settings, lookup: Lookup, req: ReportRequest) -> dict[str, Any]:
    """A new episode; the answer carries the person's protocols (Herbert, Philomena) at once."""
    authorise(lookup.principal, "manage_missing", lookup.purpose, lookup.reason, lookup.audit)
    with get_engine(settings).connect() as conn, consulting(lookup, "missing report", {"person": req.person}) as lk:
        subject, keys = _person(conn, lk, req.person)
        data: dict[str, Any] = {
            "subject": {"type": "person", "ref": subject.ref, "force": subject.force, "source": subject.source},
            "reported_at": _t(req.reported_at), "risk": req.risk, "status": "missing",
            "recorded_by": lookup.principal.id,
        }
        if req.last_seen:
            data["last_seen"] = {k: (_t(v) if isinstance(v, datetime) else v)
                                 for k, v in req.last_seen.model_dump(exclude_none=True).items()}
        for k in ("vulnerabilities", "circumstances", "contact", "rationale"):
            if getattr(req, k):
                data[k] = getattr(req, k)
        episode_id, seq = _send(settings, lookup, f"MISP-{uuid.uuid4().hex[:12].upper()}", data)
        protocols = protocols_for(conn, lk, keys, now())
    return {"episode_id": episode_id, "sequence": seq, "protocols": protocols}


def update(settings: Settings, lookup: Lookup, episode_id: str, req: UpdateRequest) -> dict[str, Any]:
    """A new version of an episode reported through leds (its force's coordinators only)."""
    authorise(lookup.principal, "manage_missing", lookup.purpose, lookup.reason, lookup.audit)
    with get_engine(settings).connect() as conn:
        views = read_records(conn, lookup.principal, lookup.purpose, action="manage_missing", reason=lookup.reason,
                             audit=lookup.audit, rkeys=[episode_id], rtype="missing_episode", limit=1)
    if not views or views[0].data is None:
        raise NotFound("no such episode, or not one you may see")
    v = views[0]
    if v.source != WEB_SOURCE:
        raise Conflict(f"this episode is kept by {v.force}'s system {v.source}: send its new version from there")
    if v.force != lookup.principal.force:
        raise Forbidden(f"only {v.force}'s coordinators change this episode")
    if v.redacted:
        raise Forbidden("your role does not see the whole episode, so it cannot change it")
    data = dict(v.data)  # type: ignore[arg-type]
    if req.risk:
        data["risk"] = req.risk
    if req.status:
        data["status"] = req.status
    if req.found:
        data["found"] = {k: (_t(x) if isinstance(x, datetime) else x)
                         for k, x in req.found.model_dump(exclude_none=True).items()}
        data.setdefault("status", "found")
        if not req.status:
            data["status"] = "found"
    if data["status"] == "found" and not (data.get("found") or {}).get("at"):
        raise BadRequest("a found episode needs found.at: when the person was found", field="found")
    if req.return_interview_at:
        data["return_interview"] = {"at": _t(req.return_interview_at), "by": lookup.principal.id}
    data["rationale"] = req.rationale
    data["recorded_by"] = lookup.principal.id
    _, seq = _send(settings, lookup, v.ref, data)
    return {"episode_id": episode_id, "sequence": seq, "protocols": []}
