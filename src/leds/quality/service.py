"""Scorecards, failure history and the drill-down to failing records.

Scorecards are aggregates (no personal data): they need the ``view_data_quality`` action.
The drill-down reads records, so it goes through :func:`leds.access.policy.read_records`
(row rules, redactions, an audit entry naming every record shown): a user sees only the
failing records they may see, and is told how many others there are.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, and_, func, or_, select, true

from leds.access.lookup import Lookup, consulting
from leds.access.policy import AccessDenied, Principal, read_records
from leds.errors import BadRequest, NotFound

from .rules import BY_ID, RULES
from .tables import quality_counts, quality_failures, quality_quarantined

By = Literal["force", "source"]
Period = Literal["week", "month"]
ACCEPTED = "ingest.accepted"


def may_view(principal: Principal) -> None:
    if not principal.is_system and "view_data_quality" not in principal.actions():
        raise AccessDenied(f"{principal.id} has no role that allows 'view_data_quality'")


def period_of(day: str, period: Period | None) -> str | None:
    if period is None:
        return None
    if period == "month":
        return day[:7]
    y, w, _ = date.fromisoformat(day).isocalendar()
    return f"{y}-W{w:02d}"


def period_start(label: str) -> date:
    if "-W" in label:
        y, w = label.split("-W")
        return date.fromisocalendar(int(y), int(w), 1)
    return date.fromisoformat(label + "-01")


def period_end(label: str) -> date:
    """The first day after the period."""
    start = period_start(label)
    if "-W" in label:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _check_rule(rule: str) -> None:
    if rule not in BY_ID:
        raise BadRequest(f"unknown rule {rule!r}: one of {', '.join(BY_ID)}")


def scorecard(conn: Connection, *, by: By | None = None, period: Period | None = None, force: str | None = None,
              rule: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
    """Passed/total per force (``by="force"``, source ``None``) or per force and source
    (``by="source"``, the default), per rule, overall or per ISO week or month."""
    if rule is not None:
        _check_rule(rule)
    c = quality_counts.c
    q = select(c.day, c.force, c.source, c.rule, c.passed, c.total)
    qq = select(quality_quarantined.c.day, quality_quarantined.c.force, quality_quarantined.c.source,
                quality_quarantined.c.lines)
    if force:
        q, qq = q.where(c.force == force), qq.where(quality_quarantined.c.force == force)
    if rule:
        q = q.where(c.rule == rule)
    if since:
        q, qq = q.where(c.day >= since), qq.where(quality_quarantined.c.day >= since)
    acc: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for day, f, s, r, passed, total in conn.execute(q):
        k = (period_of(day, period), f, s if by != "force" else None, r)
        acc[k][0] += passed
        acc[k][1] += total
    if rule in (None, ACCEPTED):
        for day, f, s, lines in conn.execute(qq):
            acc[(period_of(day, period), f, s if by != "force" else None, ACCEPTED)][1] += lines
    order = {r.id: i for i, r in enumerate(RULES)}
    rows = []
    for (p, f, s, r), (passed, total) in sorted(acc.items(), key=lambda kv: (
            kv[0][0] or "", kv[0][1], kv[0][2] or "", order.get(kv[0][3], 99))):
        if total == 0 and passed == 0:
            continue
        row: dict[str, Any] = {"force": f, "source": s, "rule": r, "dimension": BY_ID[r].dimension if r in BY_ID
                               else None, "passed": passed, "total": total}
        if period:
            row["period"] = p
        rows.append(row)
    return rows


def by_dimension(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, int]]:
    """(force, dimension) -> (passed, total), summed over rules and sources."""
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        k = (r["force"], r["dimension"])
        out[k][0] += r["passed"]
        out[k][1] += r["total"]
    return {k: (v[0], v[1]) for k, v in out.items()}


def changes(conn: Connection, *, rule: str | None = None, force: str | None = None,
            period: str) -> dict[str, int]:
    """New, resolved and persisting failures in ``period`` (an ISO week ``2025-W10`` or a
    month ``2025-03``): new ones opened in it, resolved ones closed in it, persisting ones
    opened before it and still open at its end."""
    if not re.fullmatch(r"[0-9]{4}-(W[0-9]{2}|[0-9]{2})", period):
        raise BadRequest(f"a period is an ISO week (2025-W10) or a month (2025-03), not {period!r}")
    try:
        start, end = period_start(period).isoformat(), period_end(period).isoformat()
    except ValueError as exc:
        raise NotFound(f"there is no period {period!r} (a week 53 in a year without one?)") from exc
    f = quality_failures.c
    cond: list[Any] = []
    if rule:
        _check_rule(rule)
        cond.append(f.rule == rule)
    if force:
        cond.append(f.force == force)
    base = and_(true(), *cond)

    def count(*where: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(quality_failures).where(base, *where)).scalar_one())

    return {
        "new": count(f.opened >= start, f.opened < end),
        "resolved": count(f.resolved >= start, f.resolved < end),
        "persisting": count(f.opened < start, or_(f.resolved.is_(None), f.resolved >= end)),
    }


def history(conn: Connection, *, force: str | None = None, rule: str | None = None,
            period: Period = "week") -> list[dict[str, Any]]:
    """Each period's passed/total per force and rule, oldest first: the trend."""
    return scorecard(conn, by="force", period=period, force=force, rule=rule)


def failing_keys(conn: Connection, rule: str, force: str, *, source: str | None = None,
                 limit: int = 100) -> tuple[list[tuple[str, str, str | None]], int]:
    """(rkey, opened, detail) of the records now failing ``rule`` at ``force``, newest first,
    and how many there are in all."""
    _check_rule(rule)
    if rule == ACCEPTED:
        raise BadRequest("ingest.accepted counts lines, not records: see the quarantine (leds quarantine list)")
    f = quality_failures.c
    where = [f.rule == rule, f.force == force, f.resolved.is_(None)]
    if source:
        where.append(f.source == source)
    total = int(conn.execute(select(func.count()).select_from(quality_failures).where(*where)).scalar_one())
    rows = conn.execute(select(f.rkey, f.opened, f.detail).where(*where)
                        .order_by(f.opened.desc(), f.rkey).limit(limit)).all()
    return [(r[0], r[1], r[2]) for r in rows], total


def failures(conn: Connection, lookup: Lookup, rule: str, force: str, *, source: str | None = None,
             limit: int = 100) -> dict[str, Any]:
    """The records failing ``rule`` at ``force`` that the caller may see, through the access
    policy (one audited consultation naming each record shown)."""
    keys, total = failing_keys(conn, rule, force, source=source, limit=limit)
    detail = {k: (opened, d) for k, opened, d in keys}
    with consulting(lookup, "data quality drill-down", {"rule": rule, "force": force}) as lk:
        views = read_records(conn, lk.principal, lk.purpose, action="view_data_quality", reason=lk.reason,
                             audit=lk.audit, rkeys=[k for k, _, _ in keys], limit=limit)
    shown = sorted(views, key=lambda v: (detail[v.rkey][0], v.rkey), reverse=True)
    return {
        "rule": rule, "force": force, "source": source, "dimension": BY_ID[rule].dimension,
        "failing": total, "shown": len(shown), "not_visible": len(keys) - len(shown),
        "records": [{"rkey": v.rkey, "force": v.force, "source": v.source, "type": v.rtype, "ref": v.ref,
                     "sequence": v.sequence, "issued_at": v.issued_at, "dataset": v.dataset,
                     "failing_since": detail[v.rkey][0], "why": detail[v.rkey][1], "data": v.data,
                     "redacted": list(v.redacted)} for v in shown],
    }


def nonstandard_values(conn: Connection, *, force: str | None = None) -> list[dict[str, Any]]:
    """The non-standard values of open vocabularies now in use, by force and source, with how
    many current records carry each: what the data office agrees a mapping for."""
    f = quality_failures.c
    q = (select(f.force, f.source, f.detail, func.count()).where(f.rule == "code.standard", f.resolved.is_(None))
         .group_by(f.force, f.source, f.detail).order_by(f.force, f.source, func.count().desc()))
    if force:
        q = q.where(f.force == force)
    out = []
    for fc, src, d, n in conn.execute(q):
        field, _, value = (d or "=").partition("=")
        out.append({"force": fc, "source": src, "field": field, "value": value, "records": n})
    return out
