"""Misuse signals for auditors.  A signal is a prompt to look, not a finding.

1. ``personal_connection``: a user consulted a person who shares their surname
   or postcode (:func:`check_consultation`; the caller supplies both sides,
   because this module may not read record or user tables).
2. ``spike``: a user's consultations today against their own daily baseline
   (:func:`spike_from_counts`, :func:`spike_signals`).
3. ``flagged_subject``: any consultation, disclosure or combination naming a
   subject flagged as high-profile (:func:`flag_subject`,
   :func:`flagged_lookup_signals`).
4. ``checks_without_action``: many checks (``detail["kind"] == "check"``) not
   followed within a window by an action on the same subject
   (:func:`unactioned_check_signals`).

Raised signals are kept in ``audit_signals`` (:func:`record_signals`), once
each.  Thresholds are the keyword defaults below and are documented in
docs/audit.md.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, func, or_, select

from leds.db.engine import write_transaction

from .chain import utcnow
from .queries import LOOK_ACTIONS
from .tables import audit_entries, audit_flags, audit_signals, audit_subjects

KINDS = ("personal_connection", "spike", "flagged_subject", "checks_without_action")

# detail["kind"] values that count as acting on a check (signal 4).  Entries with
# action "collection" or "alteration" by the same user on the same subject count too.
ACTION_KINDS = frozenset({
    "stop_search", "arrest", "custody", "crime_report", "incident_update", "intelligence_submission",
    "warrant", "missing_person_report", "safeguarding_referral", "record_update", "vehicle_seizure",
    "fixed_penalty", "referral",
})
AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Signal:
    kind: str
    actor: str
    detail: dict[str, Any]
    subject_key: str | None = None
    entry_id: int | None = None
    dedupe: str = ""
    raised_at: str | None = None
    id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "actor": self.actor, "subject_key": self.subject_key,
                "entry_id": self.entry_id, "raised_at": self.raised_at, "detail": self.detail}


@dataclass(frozen=True)
class ConsultedSubject:
    """A subject the user consulted, with the names and postcodes the caller read for it."""

    key: str
    surnames: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# 1. Personal connection: same surname or postcode


def _surname_parts(name: str) -> set[str]:
    """Casefolded, accents and punctuation dropped; a double-barrelled name
    also yields each part ("Smith-Jones" -> smithjones, smith, jones)."""
    flat = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    parts = {re.sub(r"[^a-z]", "", p) for p in re.split(r"[\s\-]+", flat)}
    whole = re.sub(r"[^a-z]", "", flat)
    return {p for p in parts | {whole} if len(p) >= 2}


def _postcode(pc: str) -> str:
    return re.sub(r"\s+", "", pc).upper()


def check_consultation(actor: str, user_surname: str | None, user_postcodes: str | Sequence[str] | None,
                       subjects: Iterable[ConsultedSubject], entry_id: int | None = None) -> list[Signal]:
    """Signals for a user (``user_surname``, ``user_postcodes``: from the users
    table) who consulted ``subjects`` (names and postcodes from the records
    they saw).  Pure: store what it returns with :func:`record_signals`."""
    mine = _surname_parts(user_surname) if user_surname else set()
    if isinstance(user_postcodes, str):
        user_postcodes = [user_postcodes]
    my_pcs = {_postcode(p) for p in user_postcodes or () if p.strip()}
    out = []
    stamp = entry_id if entry_id is not None else utcnow()[:10]
    for s in subjects:
        names = sorted(n for n in s.surnames if mine & _surname_parts(n))
        pcs = sorted({_postcode(p) for p in s.postcodes} & my_pcs)
        if not names and not pcs:
            continue
        shared = (["surname"] if names else []) + (["postcode"] if pcs else [])
        out.append(Signal("personal_connection", actor,
                          {"shares": shared, "surnames": names, "postcodes": pcs},
                          subject_key=s.key, entry_id=entry_id,
                          dedupe=f"personal_connection|{actor}|{s.key}|{stamp}"))
    return out


# ---------------------------------------------------------------------------------------------
# 2. Spike against the user's own baseline


def spike_from_counts(baseline: Sequence[int], today: int, *, z: float = 3.0, ratio: float = 3.0,
                      min_count: int = 20) -> dict[str, Any] | None:
    """The figures if ``today`` is a spike against ``baseline`` (one count per
    day, days with nothing included as 0), else None.  A spike needs all of:
    ``today >= min_count``; ``today >= mean + z * max(sd, 1)``; and
    ``today >= ratio * mean``."""
    n = len(baseline)
    mean = sum(baseline) / n if n else 0.0
    sd = math.sqrt(sum((c - mean) ** 2 for c in baseline) / n) if n else 0.0
    score = (today - mean) / max(sd, 1.0)
    if today >= min_count and score >= z and today >= ratio * mean:
        return {"today": today, "baseline_days": n, "baseline_mean": round(mean, 2), "baseline_sd": round(sd, 2),
                "z": round(score, 2), "ratio": round(today / mean, 2) if mean else None}
    return None


def spike_signals(engine: Engine, day: date | None = None, *, baseline_days: int = 28, z: float = 3.0,
                  ratio: float = 3.0, min_count: int = 20) -> list[Signal]:
    """Users whose consultations on ``day`` (UTC; default today) spike against
    their daily counts over the ``baseline_days`` before it."""
    day = day or datetime.now(UTC).date()
    start = day - timedelta(days=baseline_days)
    e = audit_entries.c
    d = func.substr(e.at, 1, 10)
    q = (select(e.actor, d, func.count()).where(e.action == "consultation", e.at >= start.isoformat(),
                                                  e.at < (day + timedelta(days=1)).isoformat())
         .group_by(e.actor, d))
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    with engine.connect() as conn:
        for actor, d_, n in conn.execute(q):
            counts[actor][d_] = n
    days = [(start + timedelta(days=i)).isoformat() for i in range(baseline_days)]
    out = []
    for actor, by_day in sorted(counts.items()):
        today = by_day.get(day.isoformat(), 0)
        figures = spike_from_counts([by_day.get(x, 0) for x in days], today, z=z, ratio=ratio, min_count=min_count)
        if figures:
            out.append(Signal("spike", actor, {"day": day.isoformat(), **figures},
                              dedupe=f"spike|{actor}|{day.isoformat()}"))
    return out


# ---------------------------------------------------------------------------------------------
# 3. Flagged (high-profile) subjects


def flag_subject(engine: Engine, subject_key: str, flagged_by: str, reason: str) -> None:
    if not subject_key.strip() or not reason.strip():
        raise ValueError("a flag needs a subject key and a reason")
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(delete(audit_flags).where(audit_flags.c.subject_key == subject_key))
        conn.execute(audit_flags.insert().values(subject_key=subject_key, flagged_by=flagged_by, reason=reason,
                                                 flagged_at=utcnow()))


def unflag_subject(engine: Engine, subject_key: str) -> bool:
    with engine.connect() as conn, write_transaction(conn):
        return conn.execute(delete(audit_flags).where(audit_flags.c.subject_key == subject_key)).rowcount > 0


def list_flags(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(audit_flags).order_by(audit_flags.c.subject_key)).mappings()]


def flagged_lookup_signals(engine: Engine, since: str | None = None) -> list[Signal]:
    """One signal per look-up (consultation, disclosure, combination) of a
    flagged subject made after it was flagged, since ``since`` (UTC ISO)."""
    e, s, f = audit_entries.c, audit_subjects.c, audit_flags.c
    q = (select(e.id, e.actor, e.at, e.action, e.purpose, s.subject_key, f.reason, f.flagged_by)
         .select_from(audit_subjects.join(audit_flags, f.subject_key == s.subject_key)
                      .join(audit_entries, e.id == s.entry_id))
         .where(e.action.in_(LOOK_ACTIONS), e.at >= f.flagged_at).order_by(e.id))
    if since:
        q = q.where(e.at >= since)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [Signal("flagged_subject", actor, {"at": at, "action": action, "purpose": purpose,
                                              "flag_reason": reason, "flagged_by": by},
                   subject_key=key, entry_id=eid, dedupe=f"flagged_subject|{eid}|{key}")
            for eid, actor, at, action, purpose, key, reason, by in rows]


# ---------------------------------------------------------------------------------------------
# 4. Checks without a subsequent action


def _ts(at: str) -> datetime:
    return datetime.strptime(at, AT_FORMAT).replace(tzinfo=UTC)


def unactioned_check_signals(engine: Engine, day: date | None = None, *, window_minutes: int = 60,
                             min_checks: int = 10, min_fraction: float = 0.5,
                             now: datetime | None = None) -> list[Signal]:
    """Users who made checks on ``day`` (UTC) of which at least ``min_checks``,
    and at least ``min_fraction`` of all their checks that day, were not
    followed within ``window_minutes`` by an action (``detail["kind"]`` in
    :data:`ACTION_KINDS`, or a collection/alteration) by the same user naming
    one of the same subjects.  Checks whose window has not yet closed are not judged."""
    day = day or datetime.now(UTC).date()
    now = now or datetime.now(UTC)
    window = timedelta(minutes=window_minutes)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    e = audit_entries.c
    q = (select(e.id, e.actor, e.at, e.kind, e.action, e.subjects)
         .where(e.at >= start.strftime(AT_FORMAT), e.at < (end + window).strftime(AT_FORMAT),
                or_(e.kind == "check", e.kind.in_(sorted(ACTION_KINDS)),
                    e.action.in_(("collection", "alteration"))))
         .order_by(e.actor, e.id))
    by_actor: dict[str, list[tuple[int, datetime, bool, set[str]]]] = defaultdict(list)
    with engine.connect() as conn:
        for eid, actor, at, kind, action, subjects in conn.execute(q):
            is_check = kind == "check" and action == "consultation"
            by_actor[actor].append((eid, _ts(at), is_check, set(orjson.loads(subjects))))
    out = []
    for actor, items in sorted(by_actor.items()):
        actions = [(t, subj) for _, t, is_check, subj in items if not is_check]
        judged = unactioned = 0
        examples: list[int] = []
        for eid, t, is_check, subj in items:
            if not is_check or t >= end or t + window > now:
                continue
            judged += 1
            followed = any(t <= at <= t + window and (not subj or subj & asubj) for at, asubj in actions)
            if not followed:
                unactioned += 1
                if len(examples) < 20:
                    examples.append(eid)
        if judged and unactioned >= min_checks and unactioned / judged >= min_fraction:
            out.append(Signal("checks_without_action", actor,
                              {"day": day.isoformat(), "checks": judged, "without_action": unactioned,
                               "window_minutes": window_minutes, "example_entries": examples},
                              dedupe=f"checks_without_action|{actor}|{day.isoformat()}"))
    return out


# ---------------------------------------------------------------------------------------------
# Storing and listing


def record_signals(target: Engine | Connection, signals: Iterable[Signal]) -> list[Signal]:
    """Store signals not already stored (by their dedupe key); returns the new ones."""
    signals = list(signals)
    if not signals:
        return []
    if isinstance(target, Engine):
        with target.connect() as conn, write_transaction(conn):
            return record_signals(conn, signals)
    conn = target
    keys = [s.dedupe or f"{s.kind}|{s.actor}|{s.subject_key}|{s.entry_id}" for s in signals]
    have = set()
    for i in range(0, len(keys), 500):
        have |= set(conn.execute(select(audit_signals.c.dedupe)
                                 .where(audit_signals.c.dedupe.in_(keys[i:i + 500]))).scalars())
    now = utcnow()
    new = []
    for s, key in zip(signals, keys, strict=True):
        if key in have:
            continue
        have.add(key)
        sid = conn.execute(audit_signals.insert().values(
            kind=s.kind, actor=s.actor, subject_key=s.subject_key, entry_id=s.entry_id, raised_at=now,
            detail=orjson.dumps(s.detail).decode(), dedupe=key).returning(audit_signals.c.id)).scalar_one()
        new.append(Signal(s.kind, s.actor, s.detail, s.subject_key, s.entry_id, key, now, sid))
    return new


def scan(engine: Engine, day: date | None = None) -> list[Signal]:
    """Run signals 2-4 for ``day`` (UTC; default today) and store new ones."""
    day = day or datetime.now(UTC).date()
    found = [*spike_signals(engine, day), *flagged_lookup_signals(engine, since=day.isoformat()),
             *unactioned_check_signals(engine, day)]
    return record_signals(engine, found)


def list_signals(engine: Engine, kind: str | None = None, actor: str | None = None, since: str | None = None,
                 limit: int = 100) -> list[Signal]:
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown signal kind {kind!r}; use one of: {', '.join(KINDS)}")
    s = audit_signals.c
    q = select(audit_signals).order_by(s.id.desc()).limit(limit)
    if kind:
        q = q.where(s.kind == kind)
    if actor:
        q = q.where(s.actor == actor)
    if since:
        q = q.where(s.raised_at >= since)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return [Signal(r["kind"], r["actor"], orjson.loads(r["detail"]), r["subject_key"], r["entry_id"], r["dedupe"],
                   r["raised_at"], r["id"]) for r in rows]


__all__ = ["ACTION_KINDS", "KINDS", "ConsultedSubject", "Signal", "check_consultation", "flag_subject",
           "flagged_lookup_signals", "list_flags", "list_signals", "record_signals", "scan", "spike_from_counts",
           "spike_signals", "unactioned_check_signals", "unflag_subject"]
