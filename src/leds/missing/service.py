"""The register's reads: the national live view, one episode with its history, and the
MISSING look-up of a person check (with the encounter it records).

Every read goes through :mod:`leds.access.policy`: the live view applies the policy's row
predicate to ``missing_episodes`` (which carries each episode's access columns), then reads
the page's episodes and their people with :func:`~leds.access.policy.read_records`, which
redacts the sensitive detail (circumstances, vulnerabilities) for the roles that do not need
it and audits every record returned, as one consultation per look-up.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, case, exists, func, or_, select

from leds.access.lookup import Lookup, consulting
from leds.access.policy import (
    Principal,
    RecordView,
    authorise,
    keys_in,
    keys_param,
    read_records,
    row_predicate,
)
from leds.db import fast
from leds.db.bulk import select_in
from leds.db.schema import records
from leds.errors import BadRequest, NotFound
from leds.matching.tables import person_ids as PID
from leds.persons.service import person_ids, primary_name
from leds.standard import validators

from .models import AGE_BANDS, LiveFilters
from .projector import RHI_HOURS
from .tables import missing_episodes as E
from .tables import missing_protocols, missing_sightings, missing_versions

# Hours between risk reviews, by grade (College of Policing APP: risk is reviewed throughout,
# more often the higher it is).  A review is any new version of the episode.
REVIEW_HOURS = {"high": 2, "medium": 6, "low": 24, "very_low": 72}
RISK_ORDER = {"high": 0, "medium": 1, "low": 2, "very_low": 3}
SENSITIVE = ("circumstances", "vulnerabilities")


def now() -> datetime:
    return validators.now().astimezone(UTC)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def time_of(value: str) -> datetime:
    t = parse(value)
    assert t is not None
    return t


def review_due(risk: str, reviewed_at: str) -> str:
    t = parse(reviewed_at)
    assert t is not None
    return iso(t + timedelta(hours=REVIEW_HOURS.get(risk, 24)))


def sees_sensitive(principal: Principal) -> bool:
    return principal.is_system or not (set(SENSITIVE) & principal.redactions("missing_episode"))


# -- repeat-missing: another episode of the same record, or of the same national person -------
def _repeat(principal: Principal) -> Any:
    o1, o2 = E.alias("o1"), E.alias("o2")
    a, b = PID.alias("a"), PID.alias("b")
    same_record = exists(select(o1.c.rkey).where(o1.c.subject == E.c.subject, o1.c.rkey != E.c.rkey,
                                                  row_predicate(principal, o1)))
    same_person = exists(select(o2.c.rkey).select_from(a.join(b, b.c.person_id == a.c.person_id)
                                                       .join(o2, o2.c.subject == b.c.rkey))
                         .where(a.c.rkey == E.c.subject, o2.c.rkey != E.c.rkey, row_predicate(principal, o2)))
    return or_(same_record, same_person)


LIVE_COLUMNS = (E.c.rkey, E.c.force, E.c.source, E.c.subject, E.c.risk, E.c.status, E.c.live, E.c.reported_at,
                E.c.last_seen_at, E.c.reviewed_at, E.c.age, E.c.child, E.c.found_at, E.c.hours_missing, E.c.rhi_at)
# Which filters a live-view request uses: the statements are built once per principal and
# shape (SQLAlchemy builds a statement in milliseconds), and the filters' values are bound.
_SHAPE = ("force", "risk", "age_band", "vulnerability", "min_hours", "max_hours", "repeat_only")


def _shape(f: LiveFilters) -> tuple[str, ...]:
    return tuple(k for k in _SHAPE if getattr(f, k) not in (None, False))


def _live_where(principal: Principal, shape: tuple[str, ...], age_unknown: bool) -> list[Any]:
    """The live episodes the principal may see, and the filters of ``shape``, as bound values:
    the partial covering index of the live episodes answers them (5,000 index entries at most
    to scan: under a millisecond in SQLite's C; filter indexes would save nothing measurable)."""
    w: list[Any] = [E.c.live.is_(True), row_predicate(principal, E)]
    if "force" in shape:
        w.append(E.c.force == bindparam("f_force"))
    if "risk" in shape:
        w.append(E.c.risk == bindparam("f_risk"))
    if "age_band" in shape:
        w.append(E.c.age.is_(None) if age_unknown else E.c.age.between(bindparam("f_age_lo"), bindparam("f_age_hi")))
    if "vulnerability" in shape:
        w.append(E.c.vulnerabilities.like(bindparam("f_vul"), escape="\\"))
    if "min_hours" in shape:
        w.append(E.c.reported_at <= bindparam("f_reported_to"))
    if "max_hours" in shape:
        w.append(E.c.reported_at >= bindparam("f_reported_from"))
    if "repeat_only" in shape:
        w.append(_repeat(principal))
    return w


@lru_cache(maxsize=512)
def _live_statements(principal: Principal, shape: tuple[str, ...], age_unknown: bool) -> tuple[Any, Any]:
    """(headline counts by force, one page): the counts are summed in SQL over the live
    episodes, and only the page's rows come back to Python."""
    where = _live_where(principal, shape, age_unknown)
    repeat = _repeat(principal)

    def n(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    # A review is overdue when the last one was longer ago than its grade's interval.
    last_due = case(*[(E.c.risk == r, bindparam(f"due_{r}")) for r in REVIEW_HOURS], else_="")
    headline = (select(E.c.force, func.count(), *[n(E.c.risk == r) for r in RISK_ORDER], n(E.c.child.is_(True)),
                       n(repeat), n(E.c.reviewed_at < last_due), n(E.c.reported_at < bindparam("three_days_ago")))
                .where(*where).group_by(E.c.force))
    page = (select(*LIVE_COLUMNS).where(*where).order_by(E.c.reported_at.desc(), E.c.rkey)
            .limit(bindparam("limit")).offset(bindparam("offset")))
    return headline, page


def live(conn: Connection, lookup: Lookup, f: LiveFilters) -> dict[str, Any]:
    """Every live episode the caller may see, filtered, with headline counts over all of them
    and one page of episodes (newest first); repeat-missing people are flagged.

    The counts are one aggregate query and the page is one ``LIMIT``/``OFFSET`` read of the
    live episodes' covering index, so the work in Python is one page's episodes, whatever the
    number of live and historic episodes (bench/bench_missing.py)."""
    authorise(lookup.principal, "view_missing", lookup.purpose, lookup.reason, lookup.audit)
    if f.vulnerability and not sees_sensitive(lookup.principal):
        raise BadRequest("your role does not see vulnerabilities, so it cannot filter by them", field="vulnerability")
    at = now()
    shape = _shape(f)
    headline_q, page_q = _live_statements(lookup.principal, shape, f.age_band == "unknown")
    params: dict[str, Any] = {f"due_{r}": iso(at - timedelta(hours=h)) for r, h in REVIEW_HOURS.items()}
    params |= {"three_days_ago": iso(at - timedelta(hours=72)), "limit": f.per_page,
               "offset": (f.page - 1) * f.per_page}
    if f.force:
        params["f_force"] = f.force
    if f.risk:
        params["f_risk"] = f.risk
    if f.age_band and f.age_band != "unknown":
        params["f_age_lo"], params["f_age_hi"] = AGE_BANDS[f.age_band]
    if f.vulnerability:
        v = f.vulnerability.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["f_vul"] = f"%|{v}|%"
    if f.min_hours is not None:
        params["f_reported_to"] = iso(at - timedelta(hours=f.min_hours))
    if f.max_hours is not None:
        params["f_reported_from"] = iso(at - timedelta(hours=f.max_hours))
    by_force = fast.rows(conn, headline_q, params)
    sums = [sum(r[i] for r in by_force) for i in range(1, 10)]
    total = sums[0]
    headline = {
        "live": total, "high": sums[1], "medium": sums[2], "low": sums[3], "very_low": sums[4],
        "children": sums[5], "repeat": sums[6], "reviews_overdue": sums[7], "over_72_hours": sums[8],
        "by_force": {r[0]: r[1] for r in sorted(by_force, key=lambda r: (-r[1], r[0]))},
    }
    page = [_Row(r) for r in fast.rows(conn, page_q, params)] if (f.page - 1) * f.per_page < total else []
    with consulting(lookup, "missing live view", {"filters": f.model_dump(exclude_defaults=True)}) as lk:
        episodes = episodes_answer(conn, lk, page, "view_missing", at)
    return {"episodes": episodes, "total": total, "page": f.page, "per_page": f.per_page, "headline": headline}


def episodes_answer(conn: Connection, lookup: Lookup, rows: list[Any], action: str, at: datetime,
                    with_people: bool = True) -> list[dict[str, Any]]:
    """Rows of ``missing_episodes`` as answers: each episode read through the policy (redacted,
    audited), with its person's name, national id and number of episodes."""
    if not rows:
        return []
    keys = [r.rkey for r in rows]
    views = {v.rkey: v for v in read_records(conn, lookup.principal, lookup.purpose, action=action,
                                             reason=lookup.reason, audit=lookup.audit, rkeys=keys,
                                             rtype="missing_episode", limit=len(keys))}
    subjects = sorted({r.subject for r in rows})
    people: dict[str, RecordView] = {}
    if with_people:
        people = {v.rkey: v for v in read_records(conn, lookup.principal, lookup.purpose, action=action,
                                                  reason=lookup.reason, audit=lookup.audit, rkeys=subjects,
                                                  rtype="person", limit=len(subjects))}
    received = {r[0] for r in select_in(conn, records, ("rkey",), "rkey", subjects, "deleted = ?", (False,))}
    ids = person_ids(conn, subjects)
    counts = episode_counts(conn, lookup.principal, subjects, ids)
    protocols = protocol_counts(conn, subjects, ids, at)
    out = []
    for r in rows:
        v = views.get(r.rkey)
        if v is None:
            continue  # not visible after all: never shown
        due = review_due(r.risk, r.reviewed_at) if r.status == "missing" else None
        pv = people.get(r.subject)
        pid = ids.get(r.subject, r.subject)
        out.append({
            "episode_id": r.rkey, "force": r.force, "source": r.source, "person_id": pid, "subject": r.subject,
            "subject_received": r.subject in received, "name": primary_name(pv.data) if pv and pv.data else None,
            "risk": r.risk, "status": r.status, "reported_at": r.reported_at, "last_seen_at": r.last_seen_at,
            "hours_missing": r.hours_missing if r.status != "missing"
            else int((at - parse(r.reported_at)).total_seconds() // 3600),  # type: ignore[operator]
            "age": r.age, "child": bool(r.child), "repeat": counts.get(pid, 1) > 1,
            "episodes_of_person": counts.get(pid, 1), "found_at": r.found_at, "review_due": due,
            "review_overdue": bool(due and due < iso(at)), "protocols": protocols.get(pid, 0),
            "data": v.data, "redacted": list(v.redacted),
        })
    return out


def _members(conn: Connection, subjects: list[str], ids: dict[str, str]) -> dict[str, list[str]]:
    """person id -> its person records (a record without an id stands for itself)."""
    pids = sorted(set(ids.values()))
    out: dict[str, list[str]] = defaultdict(list)
    for rkey, pid in select_in(conn, PID, ("rkey", "person_id"), "person_id", pids):
        out[pid].append(rkey)
    for s in subjects:
        if s not in ids:
            out[s].append(s)
    return out


def episode_counts(conn: Connection, principal: Principal, subjects: list[str], ids: dict[str, str]) -> dict[str, int]:
    """Episodes the principal may see, by national person id."""
    members = _members(conn, subjects, ids)
    of = {k: pid for pid, ks in members.items() for k in ks}
    if not of:
        return {}
    q = select(E.c.subject).where(keys_in(E.c.subject, conn.dialect.name), row_predicate(principal, E))
    counts: Counter[str] = Counter()
    for (s,) in conn.execute(q, {"rkeys": keys_param(sorted(of), conn.dialect.name)}):
        counts[of[s]] += 1
    return dict(counts)


def protocol_counts(conn: Connection, subjects: list[str], ids: dict[str, str], at: datetime) -> dict[str, int]:
    members = _members(conn, subjects, ids)
    of = {k: pid for pid, ks in members.items() for k in ks}
    today = at.date().isoformat()
    counts: Counter[str] = Counter()
    for (s,) in select_in(conn, missing_protocols, ("subject",), "subject", sorted(of),
                          "expires_on >= ? AND withdrawn_at IS NULL", (today,)):
        counts[of[s]] += 1
    return dict(counts)


# -- one episode ----------------------------------------------------------------------------
def episode(conn: Connection, lookup: Lookup, episode_id: str) -> dict[str, Any]:
    """One episode with its full history (who, when, why of every version), the sightings, the
    person's protocols and other episodes, and its timers."""
    authorise(lookup.principal, "view_missing", lookup.purpose, lookup.reason, lookup.audit)
    at = now()
    row = conn.execute(select(*LIVE_COLUMNS).where(E.c.rkey == episode_id,
                                                   row_predicate(lookup.principal, E))).first()
    if row is None:
        raise NotFound("no such episode, or not one you may see")
    with consulting(lookup, "missing episode", {"episode": episode_id}) as lk:
        answers = episodes_answer(conn, lk, [row], "view_missing", at)
        if not answers:
            raise NotFound("no such episode, or not one you may see")
        ids = person_ids(conn, [row.subject])
        members = _members(conn, [row.subject], ids)[ids.get(row.subject, row.subject)]
        others = conn.execute(select(*LIVE_COLUMNS).where(keys_in(E.c.subject, conn.dialect.name),
                                                          E.c.rkey != episode_id, row_predicate(lk.principal, E))
                              .order_by(E.c.reported_at.desc()),
                              {"rkeys": keys_param(members, conn.dialect.name)}).all()
        protocols = protocols_for(conn, lk, members, at)
    v = missing_versions.c
    history = [{str(k): x for k, x in r._mapping.items()} for r in conn.execute(
        select(v.sequence, v.issued_at, v.op, v.status, v.risk, v.recorded_by, v.rationale, v.force, v.source)
        .where(v.rkey == episode_id).order_by(v.issued_at, v.sequence))]
    s = missing_sightings.c
    sightings = [{str(k): x for k, x in r._mapping.items()} for r in conn.execute(
        select(s.at, s.by, s.force, s.kind).where(s.episode == episode_id).order_by(s.at.desc()).limit(200))]
    return {"episode": answers[0], "history": history, "sightings": sightings, "protocols": protocols,
            "other_episodes": [{"episode_id": o.rkey, "force": o.force, "risk": o.risk, "status": o.status,
                                "reported_at": o.reported_at, "found_at": o.found_at} for o in others],
            "timers": timers_of(row, at)}


def timers_of(row: Any, at: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if row.status == "missing":
        due = review_due(row.risk, row.reviewed_at)
        out["review"] = {"due": due, "overdue": due < iso(at), "every_hours": REVIEW_HOURS[row.risk]}
    if row.child and row.status == "found" and row.found_at:
        rhi = getattr(row, "rhi_at", None)
        due = iso(time_of(row.found_at) + timedelta(hours=RHI_HOURS))
        out["return_interview"] = {"due": due, "held": rhi, "on_time": bool(rhi and rhi <= due),
                                   "overdue": not rhi and due < iso(at)}
    return out


def protocols_for(conn: Connection, lookup: Lookup, subjects: list[str], at: datetime) -> list[dict[str, Any]]:
    """The person's Herbert and Philomena forms still in force (audited with the look-up)."""
    import orjson

    rows = select_in(conn, missing_protocols, ("id", "kind", "subject", "force", "lodged_by", "lodged_at",
                                               "consent", "expires_on", "details"), "subject", subjects,
                     "expires_on >= ? AND withdrawn_at IS NULL", (at.date().isoformat(),))
    if rows and not lookup.principal.is_system:
        from leds.audit import AuditEvent

        lookup.audit(AuditEvent(action="consultation", actor=lookup.principal.id, purpose=lookup.purpose,
                                reason=lookup.reason, subjects=tuple(sorted({r[2] for r in rows})),
                                detail={"kind": "missing protocols", "returned": len(rows)}))
    return [{"id": r[0], "kind": r[1], "subject": r[2], "force": r[3], "lodged_by": r[4], "lodged_at": r[5],
             "consent": r[6], "expires_on": r[7], "details": orjson.loads(r[8])} for r in sorted(rows)]


# -- the MISSING look-up of a check, and the encounter ----------------------------------------
@lru_cache(maxsize=1024)
def _live_of_stmt(principal: Principal, dialect: str) -> Any:
    # No test of ``live`` in SQL: SQLite would then scan every live episode by that index
    # instead of probing the subject index (measured: 15 ms against 0.2 ms with 5,000 live).
    # A person's few episodes are read and the live ones kept.
    return (select(*LIVE_COLUMNS).where(keys_in(E.c.subject, dialect), row_predicate(principal, E))
            .order_by(E.c.reported_at))


def missing_for_check(conn: Connection, lookup: Lookup, person_keys: list[str], kind: str | None = "person_check",
                      action: str = "check") -> list[dict[str, Any]]:
    """The live episodes of these person records (the chosen person's), for the MISSING banner:
    one indexed look-up by subject, and nothing more when there is none.  A check (``kind``) by
    a force other than the reporting one records a sighting and tells that force's
    coordinators; ``kind`` None (the person page) records none.  The episodes are read under
    ``action``, the look-up's own."""
    if not person_keys:
        return []
    dialect = conn.dialect.name
    rows = [r for r in fast.rows(conn, _live_of_stmt(lookup.principal, dialect),
                                 {"rkeys": keys_param(person_keys, dialect)}) if r[LIVE_INDEX]]
    if not rows:
        return []
    at = now()
    named = [_Row(r) for r in rows]
    answers = episodes_answer(conn, lookup, named, action, at, with_people=False)
    out = [{"episode_id": a["episode_id"], "risk": a["risk"], "reporting_force": a["force"],
            "reported_at": a["reported_at"], "hours_missing": a["hours_missing"],
            "contact": (a["data"] or {}).get("contact") or f"{a['force']} missing persons coordinator",
            "last_seen": (a["data"] or {}).get("last_seen"), "child": a["child"], "repeat": a["repeat"],
            "person_id": a["person_id"]} for a in answers]
    force = lookup.principal.force
    met = [a for a in out if kind and force and a["reporting_force"] != force]
    if met:
        record_encounters(conn, lookup, met, kind, at)  # type: ignore[arg-type]
    return out


LIVE_INDEX = [c.name for c in LIVE_COLUMNS].index("live")


class _Row:
    """A tuple of LIVE_COLUMNS with attribute access."""

    __slots__ = ("_v",)
    _names = {c.name: i for i, c in enumerate(LIVE_COLUMNS)}

    def __init__(self, values: tuple[Any, ...]) -> None:
        self._v = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._v[self._names[name]]
        except KeyError:
            raise AttributeError(name) from None


def record_encounters(conn: Connection, lookup: Lookup, met: list[dict[str, Any]], kind: str, at: datetime) -> None:
    """A sighting on each episode, and the reporting force's coordinators told, in one write
    transaction of its own (the check itself only reads)."""
    from leds.db.engine import write_transaction

    from .notify import tell_coordinators

    p = lookup.principal
    with conn.engine.connect() as w, write_transaction(w):
        for m in met:
            w.execute(missing_sightings.insert().values(episode=m["episode_id"], at=iso(at), by=p.id,
                                                        force=p.force, kind=kind, purpose=lookup.purpose))
            tell_coordinators(w, "missing_sighting", m["episode_id"], m["reporting_force"],
                              {"episode": m["episode_id"], "checked_by_force": p.force, "check": kind},
                              key=f"sighting:{m['episode_id']}:{p.id}:{iso(at)}")


__all__ = ["episode", "live", "missing_for_check"]
