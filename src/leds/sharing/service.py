"""The register of data sharing agreements: add (as a draft), list, approve, suspend; expiry and
reviews falling due.

States: ``draft`` (added, not in force) → ``approved`` (by a user whose role the rule table gives
``approve_sharing``) → ``suspended`` (exports stop; a new version may be added, which is a draft
again) or ``expired`` (the expiry date has passed: set when the register is read, and checked
again by every export).  Every change of state is an audit entry (``alteration``) naming the
agreement.  Functions take a connection *not* inside a transaction: they commit their own
change, then write the audit entry (the audit writer must not wait on our SQLite write lock).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from leds.access.policy import AuditSink, Principal, authorise
from leds.db.engine import write_transaction
from leds.errors import BadRequest, Conflict, NotFound

from . import agreement as ag
from .tables import sharing_agreements, sharing_exports

STATES = ("draft", "approved", "suspended", "expired")
REVIEW_WARNING_DAYS = 30  # reviews falling due within this many days raise an alert
APPROVAL_PURPOSE = "data_protection"


@contextmanager
def _writing(conn: Connection) -> Iterator[Connection]:
    """A write transaction on ``conn``, after ending the read transaction it may have begun
    (SQLAlchemy begins one on the first read)."""
    if conn.in_transaction():
        conn.commit()
    with write_transaction(conn):
        yield conn


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Agreement:
    id: str
    title: str
    state: str
    recipient: str
    discloser_force: str | None
    review_date: str
    expires: str
    sha256: str
    created_by: str
    created_at: str
    approved_by: str | None
    approved_at: str | None
    state_reason: str | None
    document: dict[str, Any]

    @property
    def problems(self) -> list[dict[str, str]]:
        return ag.problems(self.document)

    def summary(self) -> dict[str, Any]:
        return {"problems": self.problems, "id": self.id, "title": self.title, "state": self.state, "recipient": self.recipient,
                "discloser_force": self.discloser_force, "review_date": self.review_date, "expires": self.expires,
                "sha256": self.sha256, "created_by": self.created_by, "created_at": self.created_at,
                "approved_by": self.approved_by, "approved_at": self.approved_at, "state_reason": self.state_reason}


def _row(r: Any) -> Agreement:
    return Agreement(r.id, r.title, r.state, r.recipient, r.discloser_force, r.review_date, r.expires, r.sha256,
                     r.created_by, r.created_at, r.approved_by, r.approved_at, r.state_reason,
                     orjson.loads(r.document))


def _audit(audit: AuditSink, actor: str, kind: str, agreement_id: str, detail: dict[str, Any]) -> None:
    from leds.audit import AuditEvent

    audit(AuditEvent(action="alteration", actor=actor, purpose=APPROVAL_PURPOSE,
                     detail={"kind": kind, "agreement": agreement_id, **detail}))


def add_agreement(conn: Connection, actor: str, raw: bytes | str | dict[str, Any], audit: AuditSink) -> Agreement:
    """Check the agreement against its schema (every error at once) and enter it as a draft.
    Adding an id again replaces a draft or a suspended agreement (a new version, a draft again);
    an approved one must be suspended first."""
    doc = ag.parse_document(raw) if isinstance(raw, dict) else ag.parse(raw)
    sha = ag.digest(doc)
    aid = doc["id"]
    values = {"title": doc["title"], "state": "draft", "recipient": ag.recipient(doc),
              "discloser_force": ag.discloser_force(doc), "review_date": doc["review_date"],
              "expires": doc["expires"], "document": ag.canonical(doc).decode(), "sha256": sha,
              "created_by": actor, "created_at": utcnow(), "approved_by": None, "approved_at": None,
              "state_reason": None}
    with _writing(conn):
        old = conn.execute(select(sharing_agreements.c.state).where(sharing_agreements.c.id == aid)).scalar()
        if old in ("approved", "expired"):
            raise Conflict(f"agreement {aid} is {old}: suspend it before adding a new version"
                           if old == "approved" else f"agreement {aid} has expired: give the new one a new id")
        if old is None:
            conn.execute(sharing_agreements.insert().values(id=aid, **values))
        else:
            conn.execute(update(sharing_agreements).where(sharing_agreements.c.id == aid).values(**values))
    _audit(audit, actor, "sharing_agreement_added", aid, {"sha256": sha, "replaced": old})
    return get_agreement(conn, aid)


def refresh_states(conn: Connection, on: date | None = None) -> int:
    """Mark approved or suspended agreements past their expiry date ``expired``."""
    day = (on or today()).isoformat()
    a = sharing_agreements.c
    with _writing(conn):
        res = conn.execute(update(sharing_agreements).where(a.state.in_(("approved", "suspended", "draft")),
                                                            a.expires < day)
                           .values(state="expired", state_reason=f"expired on {day}"))
    return int(res.rowcount or 0)


def list_agreements(conn: Connection, *, state: str | None = None, on: date | None = None) -> list[Agreement]:
    refresh_states(conn, on)
    q = select(sharing_agreements).order_by(sharing_agreements.c.id)
    if state is not None:
        if state not in STATES:
            raise BadRequest(f"state is one of {', '.join(STATES)}")
        q = q.where(sharing_agreements.c.state == state)
    return [_row(r) for r in conn.execute(q)]


def get_agreement(conn: Connection, aid: str) -> Agreement:
    r = conn.execute(select(sharing_agreements).where(sharing_agreements.c.id == aid)).first()
    if r is None:
        raise NotFound(f"no agreement {aid}")
    return _row(r)


def approve(conn: Connection, principal: Principal, aid: str, audit: AuditSink, *, on: date | None = None) -> Agreement:
    """Put an agreement in force.  Only a principal whose role allows ``approve_sharing`` may;
    a refusal is audited."""
    authorise(principal, "approve_sharing", APPROVAL_PURPOSE, audit=audit)
    refresh_states(conn, on)
    cur = get_agreement(conn, aid)
    if cur.state not in ("draft", "suspended"):
        raise Conflict(f"agreement {aid} is {cur.state}; only a draft or suspended agreement can be approved")
    if cur.problems:
        raise Conflict(f"agreement {aid} cannot be approved until these are fixed: "
                       + "; ".join(f"{p['path']}: {p['message']}" for p in cur.problems))
    day = (on or today()).isoformat()
    if cur.review_date < day:
        raise Conflict(f"agreement {aid}'s review date {cur.review_date} has passed: review it and add it again")
    with _writing(conn):
        conn.execute(update(sharing_agreements).where(sharing_agreements.c.id == aid).values(
            state="approved", approved_by=principal.id, approved_at=utcnow(), state_reason=None))
    _audit(audit, principal.id, "sharing_approval", aid, {"sha256": cur.sha256})
    return get_agreement(conn, aid)


def suspend(conn: Connection, principal: Principal, aid: str, reason: str, audit: AuditSink) -> Agreement:
    authorise(principal, "approve_sharing", APPROVAL_PURPOSE, audit=audit)
    if not reason.strip():
        raise BadRequest("say why the agreement is suspended")
    cur = get_agreement(conn, aid)
    if cur.state != "approved":
        raise Conflict(f"agreement {aid} is {cur.state}; only an approved agreement can be suspended")
    with _writing(conn):
        conn.execute(update(sharing_agreements).where(sharing_agreements.c.id == aid).values(
            state="suspended", state_reason=reason[:2000]))
    _audit(audit, principal.id, "sharing_suspension", aid, {"why": reason[:500]})
    return get_agreement(conn, aid)


def reviews_due(conn: Connection, *, on: date | None = None, within_days: int = REVIEW_WARNING_DAYS) -> list[Agreement]:
    day = on or today()
    horizon = (day + timedelta(days=within_days)).isoformat()
    return [a for a in list_agreements(conn, on=day)
            if a.state in ("approved", "suspended") and a.review_date <= horizon]


def raise_review_alerts(conn: Connection, *, on: date | None = None,
                        within_days: int = REVIEW_WARNING_DAYS) -> list[dict[str, Any]]:
    """An in-app alert (leds.alerts) for each agreement in force whose review falls due within
    ``within_days``: to the discloser force's data protection officers and to the approver.
    Idempotent per agreement and review date."""
    from leds.alerts.service import notify

    raised = []
    due = reviews_due(conn, on=on, within_days=within_days)
    with _writing(conn):
        for a in due:
            users = [a.approved_by.removeprefix("user:")] if a.approved_by and a.approved_by.startswith("user:") else []
            detail = {"agreement": a.id, "title": a.title, "review_date": a.review_date, "recipient": a.recipient,
                      "summary": f"Data sharing agreement {a.id} is due for review on {a.review_date}"}
            ids = notify(conn, kind="sharing_review", detail=detail, users=users,
                         role="data_protection_officer" if a.discloser_force else None, force=a.discloser_force,
                         key=f"sharing-review:{a.id}:{a.review_date}", purpose=APPROVAL_PURPOSE) \
                if users or a.discloser_force else []
            raised.append({"agreement": a.id, "review_date": a.review_date, "alerts": len(ids)})
    return raised


def exports_of(conn: Connection, aid: str, limit: int = 200) -> list[dict[str, Any]]:
    e = sharing_exports.c
    rows = conn.execute(select(sharing_exports).where(e.agreement_id == aid).order_by(e.id.desc()).limit(limit))
    return [{"id": r.id, "agreement_id": r.agreement_id, "at": r.at, "actor": r.actor, "out_dir": r.out_dir,
             "records": r.records, "suppressed": r.suppressed, "key_id": r.key_id,
             "manifest": orjson.loads(r.manifest)} for r in rows]


def get_export(conn: Connection, export_id: int) -> dict[str, Any]:
    r = conn.execute(select(sharing_exports).where(sharing_exports.c.id == export_id)).first()
    if r is None:
        raise NotFound(f"no export {export_id}")
    return {"id": r.id, "agreement_id": r.agreement_id, "at": r.at, "actor": r.actor, "out_dir": r.out_dir,
            "records": r.records, "suppressed": r.suppressed, "key_id": r.key_id, "manifest": orjson.loads(r.manifest)}
