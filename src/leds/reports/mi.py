"""Management information: volumes ingested and quarantined by reason, checks and searches by
force, role and purpose, match and review rates, alerts delivered and missing episodes, each by
day, week or month.  Aggregates only (the ``view_reports`` action); no record leaves here.

Each section is computed from its domain's own tables; a domain that is not installed gives an
empty section rather than an error.
"""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Table, func, literal_column, select

from leds.db.schema import quarantine, users
from leds.quality.service import period_of
from leds.quality.tables import quality_counts

Grain = Literal["day", "week", "month"]
SECTIONS = ("ingest", "quarantine", "lookups", "matching", "alerts", "missing")


def _day(column: Any) -> Any:
    return func.substr(column, literal_column("1"), literal_column("10"))


def _bucket(day: str, grain: Grain) -> str:
    return day if grain == "day" else period_of(day, grain) or day


def _table(module: str, name: str) -> Table | None:
    try:
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    except (ModuleNotFoundError, AttributeError):
        return None


def _rows(acc: Counter[tuple[Any, ...]], names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{**dict(zip(names, k, strict=True)), "count": n} for k, n in sorted(acc.items())]


def ingest(conn: Connection, grain: Grain, since: str | None) -> list[dict[str, Any]]:
    """Updategram lines accepted, by the day they were issued (data quality's ingest counters)."""
    c = quality_counts.c
    q = (select(c.day, c.force, func.sum(c.passed)).where(c.rule == "ingest.accepted")
         .group_by(c.day, c.force))
    if since:
        q = q.where(c.day >= since[:10])
    acc: Counter[tuple[Any, ...]] = Counter()
    for day, force, n in conn.execute(q):
        acc[(_bucket(day, grain), force)] += int(n or 0)
    return _rows(acc, ("period", "force"))


def quarantined(conn: Connection, grain: Grain, since: str | None) -> list[dict[str, Any]]:
    q = select(quarantine.c.first_seen, quarantine.c.force, quarantine.c.reasons, quarantine.c.times_seen)
    if since:
        q = q.where(quarantine.c.first_seen >= since)
    acc: Counter[tuple[Any, ...]] = Counter()
    for first, force, reasons, times in conn.execute(q):
        for reason in orjson.loads(reasons):
            acc[(_bucket(first[:10], grain), force or "", reason)] += int(times)
    return _rows(acc, ("period", "force", "reason"))


def lookups(conn: Connection, grain: Grain, since: str | None) -> list[dict[str, Any]]:
    """Consultations (checks, searches, record views, drill-downs) by the user's force and
    roles, the purpose stated and the kind of look-up."""
    audit = _table("leds.audit.tables", "audit_entries")
    if audit is None:
        return []
    d = _day(audit.c.at)
    q = (select(d, audit.c.actor, audit.c.purpose, audit.c.kind, func.count())
         .where(audit.c.action == "consultation").group_by(d, audit.c.actor, audit.c.purpose, audit.c.kind))
    if since:
        q = q.where(audit.c.at >= since)
    who = {f"user:{u}": (f, "+".join(sorted(orjson.loads(r)))) for u, f, r in
           conn.execute(select(users.c.username, users.c.force, users.c.roles))}
    acc: Counter[tuple[Any, ...]] = Counter()
    for day, actor, purpose, kind, n in conn.execute(q):
        force, roles = who.get(actor, ("", actor.split(":", 1)[0]))
        acc[(_bucket(day, grain), force, roles, purpose or "", kind or "")] += int(n)
    return _rows(acc, ("period", "force", "role", "purpose", "kind"))


def matching(conn: Connection, grain: Grain, since: str | None) -> list[dict[str, Any]]:
    """Records given a national id (match rate) and match reviews judged, and the queue waiting."""
    judgements = _table("leds.matching.tables", "judgements")
    review = _table("leds.matching.tables", "match_review")
    person_ids = _table("leds.matching.tables", "person_ids")
    acc: Counter[tuple[Any, ...]] = Counter()
    if person_ids is not None:
        d = _day(person_ids.c.assigned_at)
        for day, n in conn.execute(select(d, func.count()).group_by(d)):
            if not since or day >= since[:10]:
                acc[(_bucket(day, grain), "national ids assigned")] += int(n)
    if judgements is not None:
        d = _day(judgements.c.at)
        for day, verdict, n in conn.execute(select(d, judgements.c.verdict, func.count())
                                            .group_by(d, judgements.c.verdict)):
            if not since or day >= since[:10]:
                acc[(_bucket(day, grain), f"reviews judged {verdict}")] += int(n)
    rows = _rows(acc, ("period", "measure"))
    if review is not None:
        rows.append({"period": "now", "measure": "reviews waiting",
                     "count": int(conn.execute(select(func.count()).select_from(review)).scalar_one())})
    return rows


def alerts(conn: Connection, grain: Grain, since: str | None) -> list[dict[str, Any]]:
    inbox = _table("leds.alerts.tables", "alert_inbox")
    if inbox is None:
        return []
    d = _day(inbox.c.at)
    q = select(d, inbox.c.force, inbox.c.kind, func.count()).group_by(d, inbox.c.force, inbox.c.kind)
    if since:
        q = q.where(inbox.c.at >= since)
    acc: Counter[tuple[Any, ...]] = Counter()
    for day, force, kind, n in conn.execute(q):
        acc[(_bucket(day, grain), force or "", kind)] += int(n)
    return _rows(acc, ("period", "force", "kind"))


def missing(conn: Connection, grain: Grain, since: str | None) -> list[dict[str, Any]]:
    episodes = _table("leds.missing.tables", "missing_episodes")
    if episodes is None:
        return []
    d = _day(episodes.c.reported_at)
    q = select(d, episodes.c.force, episodes.c.risk, func.count()).group_by(d, episodes.c.force, episodes.c.risk)
    if since:
        q = q.where(episodes.c.reported_at >= since)
    acc: Counter[tuple[Any, ...]] = Counter()
    for day, force, risk, n in conn.execute(q):
        acc[(_bucket(day, grain), force, risk)] += int(n)
    return _rows(acc, ("period", "force", "risk"))


def management_information(conn: Connection, *, grain: Grain = "week", since: str | None = None,
                           sections: tuple[str, ...] = SECTIONS) -> dict[str, Any]:
    fns = {"ingest": ingest, "quarantine": quarantined, "lookups": lookups, "matching": matching,
           "alerts": alerts, "missing": missing}
    return {"grain": grain, "since": since, **{s: fns[s](conn, grain, since) for s in sections if s in fns}}
