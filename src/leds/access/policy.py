"""The one choke point for reads of records.

Every read of record tables, whether by the API, web pages, exports, reports,
search or alert delivery, goes through this module.  It takes a principal, an
action and a stated purpose, and turns the published rule table
(:mod:`leds.access.rules`) into

* an **authorisation** decision: the action must be one of the principal's
  roles' actions, and the purpose must be on the published list (with text
  where the purpose requires it); anything else is refused, and refusals are
  audited;
* **row predicates** in SQL, the same on SQLite and PostgreSQL: the dataset
  must be one the principal is entitled to, the handling classification no
  higher than the vetting level allows, and the record must belong to the
  principal's force or be shared nationally;
* **field redactions** applied to each record's data before it leaves.

Every consultation by a person is audited, with the record keys returned.
The service's own batch jobs read as :meth:`Principal.system` for the system
purposes only; those jobs audit themselves at job level.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
)

from leds.db import fast
from leds.db.schema import records
from leds.errors import Forbidden
from leds.retention.tables import retention_restrictions

from . import rules
from .rules import PURPOSES, SYSTEM_PURPOSES


class AccessDenied(Forbidden):
    """The principal may not do this; the message names the rule, never data (403)."""


class PurposeRequired(AccessDenied):
    """No reason, an unknown one, or one that needs an explanation and has none (400)."""

    status_code = 400


@dataclass(frozen=True)
class Principal:
    id: str  # "user:<username>", "system", or "system-account:<name>"
    roles: frozenset[str] = field(default_factory=frozenset)
    force: str | None = None
    vetting: str | None = None
    datasets: frozenset[str] = field(default_factory=frozenset)  # entitlements
    surname: str | None = None
    postcode: str | None = None

    @classmethod
    def system(cls) -> Principal:
        return cls(id="system", roles=frozenset({"system"}))

    @classmethod
    def from_user(cls, user: Any) -> Principal:
        return cls(id=f"user:{user.username}", roles=frozenset(user.roles), force=user.force, vetting=user.vetting,
                   datasets=frozenset(user.datasets), surname=user.surname, postcode=user.postcode)

    @property
    def is_system(self) -> bool:
        return self.roles == frozenset({"system"})

    # Each of these depends only on the (immutable) principal and the rule table:
    # computed once per principal, not once per look-up.
    def actions(self) -> frozenset[str]:
        return _actions(self.roles)

    def effective_datasets(self) -> frozenset[str]:
        return _datasets(self.roles, self.datasets)

    def handlings(self) -> tuple[str, ...]:
        return rules.handlings_for(self.vetting) if self.vetting in rules.VETTING else ()

    def redactions(self, rtype: str) -> frozenset[str]:
        """Fields hidden from this principal: a field is hidden only when every
        role that may see records of this kind hides it (roles grant, never take)."""
        return _redactions(self.roles, rtype)


@lru_cache(maxsize=1024)
def _actions(roles: frozenset[str]) -> frozenset[str]:
    return frozenset(a for r in roles if r in rules.ROLES for a in rules.ROLES[r]["actions"])  # type: ignore[attr-defined]


@lru_cache(maxsize=4096)
def _datasets(roles: frozenset[str], entitled: frozenset[str]) -> frozenset[str]:
    by_roles = {d for r in roles if r in rules.ROLES for d in rules.ROLES[r]["datasets"]}  # type: ignore[attr-defined]
    return frozenset(by_roles & entitled)


@lru_cache(maxsize=4096)
def _redactions(roles: frozenset[str], rtype: str) -> frozenset[str]:
    seeing = [r for r in roles if r in rules.ROLES and rules.ROLES[r]["datasets"]]
    if not seeing:
        return frozenset()
    return frozenset(set.intersection(*[set(rules.REDACTIONS.get(r, {}).get(rtype, ())) for r in seeing]))


AuditSink = Callable[[Any], int]  # receives a leds.audit.AuditEvent


@dataclass(frozen=True)
class RecordView:
    rkey: str
    force: str
    source: str
    rtype: str
    ref: str
    sequence: int
    deleted: bool
    dataset: str | None
    handling: str | None
    sharing: str | None
    issued_at: str
    data: dict[str, Any] | None
    redacted: tuple[str, ...] = ()


def _event(**kw: Any) -> Any:
    from leds.audit import AuditEvent

    return AuditEvent(**kw)


def authorise(principal: Principal, action: str, purpose: str, reason: str | None = None,
              audit: AuditSink | None = None) -> None:
    """Allow, or raise :class:`AccessDenied` (audited when ``audit`` is given)."""
    refusal = _refusal(principal, action, purpose, reason)
    if refusal is None:
        return
    if audit is not None and not principal.is_system:
        audit(_event(action="denied", actor=principal.id, purpose=purpose if purpose in PURPOSES else None,
                     reason=reason, detail={"attempted": action, "why": str(refusal)}))
    raise refusal


def _refusal(principal: Principal, action: str, purpose: str, reason: str | None) -> AccessDenied | None:
    if principal.is_system:
        if purpose not in SYSTEM_PURPOSES:
            return AccessDenied(f"the system reads only for {', '.join(SYSTEM_PURPOSES)}")
        return None
    if purpose not in PURPOSES:
        return PurposeRequired(f"a reason is required: give one of {', '.join(PURPOSES)}")
    if PURPOSES[purpose]["needs_text"] and not (reason and reason.strip()):
        return PurposeRequired(f"the reason '{PURPOSES[purpose]['label']}' needs a short explanation "
                               "(e.g. the case reference)")
    if action not in rules.ACTIONS:
        return AccessDenied(f"unknown action {action!r}")
    if action not in principal.actions():
        return AccessDenied(f"{principal.id} has no role that allows '{action}'")
    return None


@lru_cache(maxsize=4096)
def row_predicate(principal: Principal, table: Table = records) -> ColumnElement[bool]:
    """The SQL condition a record must meet for ``principal`` to see it (built once per
    principal and table: SQLAlchemy expressions are immutable).  ``table`` is ``records``
    or a search index that carries copies of each current record's access columns
    (force, dataset, handling, sharing), written by its projector in the same transaction,
    with no row for a deleted record: the same rule, applied where the candidates are."""
    if principal.is_system:
        return true()
    datasets = sorted(principal.effective_datasets())
    handlings = list(principal.handlings())
    if not datasets or not handlings or principal.force is None:
        return false()  # nothing: deny unless allowed
    c = table.c
    # A restricted record (a step-down decision, or accuracy disputed: DPA 2018 s47) is hidden from
    # every role without ``view_restricted``: one primary-key probe of a small table per candidate.
    # (A table of counts, with no record key, such as the missing register's tallies, has no per-record rows to hide.)
    restricted = ([] if "view_restricted" in principal.actions() or "rkey" not in c else
                  [~select(retention_restrictions.c.rkey).where(retention_restrictions.c.rkey == c.rkey).exists()])
    # One bound parameter per value, not an expanding IN: the statements that carry this
    # predicate are then compiled once, with no rewriting of their SQL per execution.
    return and_(
        *([c.deleted.is_(False)] if "deleted" in c else []),
        c.dataset.in_([bindparam(f"may_dataset_{i}", d, unique=True) for i, d in enumerate(datasets)]),
        c.handling.in_([bindparam(f"may_handling_{i}", h, unique=True) for i, h in enumerate(handlings)]),
        or_(c.force == principal.force, c.sharing == "national"),
        *restricted,
    )


def allows(principal: Principal, rec: RecordView) -> bool:
    """The row predicate in plain Python, for checks on single records and for tests."""
    if principal.is_system:
        return True
    return (not rec.deleted and rec.dataset in principal.effective_datasets()
            and rec.handling in principal.handlings() and principal.force is not None
            and (rec.force == principal.force or rec.sharing == "national"))


def redact(principal: Principal, rtype: str, data: dict[str, Any] | None) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    hidden = principal.redactions(rtype)
    if data is None or not hidden:
        return data, ()
    out = dict(data)  # redactions remove top-level fields only; nested values are never changed
    removed = tuple(sorted(f for f in hidden if f in out))
    for f in removed:
        del out[f]
    return out, removed


def _view(principal: Principal, row: Any) -> RecordView:
    """A record as ``principal`` may see it, from a row of ``records``' columns in table order
    (``id`` first): a tuple, or SQLAlchemy's row."""
    _id, rkey, force, source, rtype, ref, seq, deleted, dataset, handling, sharing, issued, raw = row
    data, removed = redact(principal, rtype, orjson.loads(raw) if raw is not None else None)
    return RecordView(rkey, force, source, rtype, ref, seq, bool(deleted), dataset, handling, sharing, issued,
                      data, removed)


def _audit_consultation(audit: AuditSink | None, principal: Principal, action: str, purpose: str,
                        reason: str | None, subjects: list[str], detail: dict[str, Any]) -> None:
    if principal.is_system:
        return
    if audit is None:
        raise AccessDenied("consultations by people are audited; no audit sink was given")
    audit(_event(action="consultation", actor=principal.id, purpose=purpose, reason=reason,
                 subjects=tuple(subjects), detail={"kind": action, **detail}))


def keys_in(column: Any, dialect: str, name: str = "rkeys") -> Any:
    """``column`` is one of a list of keys bound as **one** parameter ``name`` (see
    :func:`keys_param`): a JSON array read with ``json_each`` on SQLite, an array with
    ``= ANY`` on PostgreSQL.  Unlike an expanding ``IN``, whose SQL is rewritten for each
    number of keys, the statement's SQL is then compiled once (look-ups are a hot path)."""
    if dialect == "postgresql":
        from sqlalchemy import String, any_
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(name, type_=ARRAY(String)))
    from sqlalchemy import literal_column

    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(name))))


def keys_param(keys: list[str], dialect: str) -> Any:
    """The value of a :func:`keys_in` parameter."""
    return keys if dialect == "postgresql" else orjson.dumps(keys).decode()


@lru_cache(maxsize=4096)
def _read_statement(principal: Principal, by_key: bool, rtype: str | None, dialect: str) -> Any:
    """The read of :func:`read_records`, built once per principal and shape (look-ups are a
    hot path); the keys and the limit are bound per call."""
    q = select(records).where(row_predicate(principal)).order_by(records.c.rkey).limit(bindparam("limit"))
    if by_key:
        q = q.where(keys_in(records.c.rkey, dialect))
    if rtype is not None:
        q = q.where(records.c.rtype == rtype)
    return q


def read_records(conn: Connection, principal: Principal, purpose: str, *, action: str = "view_record",
                 reason: str | None = None, audit: AuditSink | None = None, rkeys: list[str] | None = None,
                 rtype: str | None = None, limit: int = 100) -> list[RecordView]:
    """The records this principal may see, redacted; the consultation is audited."""
    authorise(principal, action, purpose, reason, audit)
    params: dict[str, Any] = {"limit": limit}
    dialect = conn.dialect.name
    if rkeys is not None:
        params["rkeys"] = keys_param(rkeys, dialect)
    views = [_view(principal, r)
             for r in fast.rows(conn, _read_statement(principal, rkeys is not None, rtype, dialect), params)]
    _audit_consultation(audit, principal, action, purpose, reason, [v.rkey for v in views],
                        {"requested": len(rkeys) if rkeys is not None else None, "returned": len(views)})
    _personal_connection(conn, principal, views)
    return views


def _personal_connection(conn: Connection, principal: Principal, views: list[RecordView]) -> None:
    """Misuse signal: a user looking at someone who shares their surname or postcode."""
    if principal.is_system or not (principal.surname or principal.postcode) or not views:
        return
    from leds.audit.signals import ConsultedSubject, check_consultation, record_signals

    subjects = []
    for v in views:
        d = v.data or {}
        surnames = tuple(n["family"] for n in d.get("names", ()) if n.get("family"))
        postcode = (d.get("address") or {}).get("postcode")
        if surnames or postcode:
            subjects.append(ConsultedSubject(v.rkey, surnames, (postcode,) if postcode else ()))
    found = check_consultation(principal.id, principal.surname, principal.postcode, subjects)
    if found:
        record_signals(conn.engine, found)


def count_records(conn: Connection, principal: Principal, purpose: str, *, action: str = "search",
                  reason: str | None = None, audit: AuditSink | None = None,
                  by: str = "dataset") -> dict[str, int]:
    """Counts (facets) over what the principal may see: the same predicate, so a
    count can never reveal that a hidden record exists."""
    if by not in ("dataset", "rtype", "force"):
        raise ValueError("facets are by dataset, rtype or force")
    authorise(principal, action, purpose, reason, audit)
    col = records.c[by]
    q = select(col, func.count()).where(row_predicate(principal)).group_by(col)
    counts = {k: n for k, n in conn.execute(q).all() if k is not None}
    _audit_consultation(audit, principal, action, purpose, reason, [], {"facet": by, "total": sum(counts.values())})
    return counts


def iter_records(conn: Connection, principal: Principal, purpose: str, *, rtype: str,
                 include_deleted: bool = False, batch: int = 10_000) -> Iterator[RecordView]:
    """Every current record of a type, streamed, for the service's batch jobs
    (matching, rebuilds).  Only the system principal, for a system purpose."""
    if not principal.is_system:
        raise AccessDenied("bulk reads are for the service's own batch jobs")
    authorise(principal, "view_record", purpose)
    q = select(records).where(records.c.rtype == rtype)
    if not include_deleted:
        q = q.where(records.c.deleted.is_(False))
    # yield_per on the statement, not the connection: later statements on the same
    # connection must not inherit server-side cursors (PostgreSQL).
    for r in conn.execute(q.execution_options(yield_per=batch)):
        yield _view(principal, r)


# -- keys for look-ups that follow references or search indexes ---------------------------
def references(conn: Connection, *, to: list[str] | None = None, of: list[str] | None = None
               ) -> list[tuple[str, str, str]]:
    """(record, role, target) rows of the reference index: the markers and links that point
    at ``to``, or the targets of the markers and links ``of``.  Keys only, for finding
    which records a look-up needs; those records are then read with :func:`read_records`,
    which decides what the caller may see of them (a reference whose record is not
    returned must not be shown)."""
    from leds.db.bulk import select_in
    from leds.db.schema import record_refs

    key, values = ("target", to) if to is not None else ("rkey", of or [])
    if not values:
        return []
    return [(r[0], r[1], r[2]) for r in select_in(conn, record_refs, ("rkey", "role", "target"), key, values)]


def visible_keys(conn: Connection, principal: Principal, purpose: str, candidates: Any, *, action: str = "search",
                 reason: str | None = None, audit: AuditSink | None = None, rtype: str | None = None,
                 force: str | None = None, dataset: str | None = None, index: Table | None = None,
                 order: tuple[str, ...] = (), limit: int = 20, offset: int = 0,
                 facets: tuple[str, ...] = ("force", "dataset"), cap: int = 10_000
                 ) -> tuple[list[str], dict[str, dict[str, int]], int, bool]:
    """A page of the keys in ``candidates`` (a one-column SELECT of record keys) that the
    principal may see, the facet counts over them and their total: the same predicate for
    page, facets and total, so no count reveals a hidden record.  At most ``cap`` visible
    records are counted and paged (the last value says whether there were more: the
    caller should ask for a narrower query).  The page is ordered by the columns
    ``order``, then by key.  Authorised here; the page's records are then read (and
    audited) with :func:`read_records`.

    ``index``: a search index table keyed by ``rkey`` that carries the access columns (see
    :func:`row_predicate`), to filter, count and order the candidates in place of
    ``records`` (one small table, not a read of every candidate's record); the facets and
    ``order`` may then name any of its columns."""
    authorise(principal, action, purpose, reason, audit)
    src = records if index is None else index
    where = [src.c.rkey.in_(candidates), row_predicate(principal, src)]
    if rtype is not None:
        if "rtype" not in src.c:
            raise ValueError(f"{src.name} holds one type of record: give no rtype")
        where.append(src.c.rtype == rtype)
    if force is not None:
        where.append(src.c.force == force)
    if dataset is not None:
        where.append(src.c.dataset == dataset)
    # At most cap + 1 visible rows (unordered, so a broad query stops early), read once:
    # facets, total and the ordered page all come from these rows.
    names = list(dict.fromkeys([*facets, *order]))
    seen = select(src.c.rkey, *[src.c[n] for n in names]).where(*where).limit(cap + 1).subquery()
    q = select(seen.c.rkey, *[seen.c[n] for n in names]).order_by(*[seen.c[n] for n in order], seen.c.rkey)
    rows = conn.execute(q).all()
    more = len(rows) > cap
    kept = rows[:cap]
    counts: dict[str, dict[str, int]] = {}
    for name in facets:
        tally = Counter(map(itemgetter(names.index(name) + 1), kept))
        if None in tally:
            tally["unknown"] += tally.pop(None)
        counts[name] = dict(tally)
    page = [r[0] for r in kept[offset:offset + max(0, limit)]]
    return page, counts, len(kept), more


def only_visible(principal: Principal, keys: Any) -> Any:
    """The keys of a one-column SELECT of record keys that the principal may see, as a
    SELECT: for look-ups that reach a record *through* another (persons linked to an event
    whose text matches), so a hidden event or link cannot be found through its neighbours."""
    return select(records.c.rkey).where(records.c.rkey.in_(keys), row_predicate(principal))


def record_history(conn: Connection, principal: Principal, rkey: str, limit: int = 200) -> list[dict[str, Any]]:
    """The version history (envelope only: sequence, op, dataset, handling, issued_at) of
    a record the principal may see; empty otherwise.  Call after :func:`read_records` has
    returned (and audited) the record itself."""
    from leds.db.schema import record_versions

    visible = conn.execute(select(records.c.rkey).where(records.c.rkey == rkey, row_predicate(principal))).first()
    if visible is None:
        return []
    v = record_versions.c
    return [{str(k): val for k, val in r.items()} for r in conn.execute(
        select(v.sequence, v.op, v.dataset, v.handling, v.issued_at).where(v.rkey == rkey)
        .order_by(v.sequence.desc()).limit(limit)).mappings()]
