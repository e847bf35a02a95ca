"""The missing-persons projector: each ``missing_episode`` updategram becomes a version in
``missing_versions`` and, when it is the episode's newest, its current state in
``missing_episodes``, in the ingest transaction.  A person record that arrives later gives
its episodes the person's age (an episode whose subject has not arrived is parked: kept, shown,
and completed when the person arrives).  An episode newly found notifies its reporting
force's missing-persons coordinators through alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Table, delete

from leds.db.bulk import insert_rows, select_in, update_rows
from leds.ingest import projectors
from leds.ingest.accepted import Accepted, make_rkey
from leds.search.tables import search_dobs

from . import tallies
from .tables import PROJECTION, missing_episodes, missing_versions

CHILD_VULNERABILITIES = frozenset({"child", "looked_after"})
EPISODE_COLUMNS = tuple(c.name for c in missing_episodes.columns)
VERSION_COLUMNS = tuple(c.name for c in missing_versions.columns)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def age_at(dob: str | None, when: str) -> int | None:
    if not dob:
        return None
    try:
        born = date.fromisoformat(dob)
    except ValueError:
        return None
    on = date.fromisoformat(when[:10])
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


RHI_HOURS = 72  # a child's return home interview is due within 72 hours of their return


def _plus_hours(at: str, hours: int) -> str | None:
    t = parse_time(at)
    return (t + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


def is_child(age: int | None, vulnerabilities: Sequence[str]) -> bool:
    return (age is not None and age < 18) or bool(CHILD_VULNERABILITIES & set(vulnerabilities))


def _dobs(conn: Connection, subjects: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for rkey, dob in select_in(conn, search_dobs, ("rkey", "dob"), "rkey", sorted(set(subjects))):
        if rkey not in out or dob < out[rkey]:
            out[rkey] = dob
    return out


def episode_row(a: Accepted, d: dict[str, Any], dob: str | None) -> tuple[Any, ...]:
    subject = d["subject"]
    skey = make_rkey(subject.get("force", a.force), subject.get("source", a.source), subject["type"], subject["ref"])
    found = d.get("found") or {}
    found_at = found.get("at") if d["status"] == "found" else None
    reported = d["reported_at"]
    hours = None
    if found_at:
        t0, t1 = parse_time(reported), parse_time(found_at)
        hours = int((t1 - t0).total_seconds() // 3600) if t0 and t1 else None
    vul = [str(v) for v in d.get("vulnerabilities") or []]
    age = age_at(dob, reported)
    row = {
        "rkey": a.rkey, "force": a.force, "source": a.source, "dataset": a.dataset, "handling": a.handling,
        "sharing": a.sharing, "sequence": a.sequence, "subject": skey, "risk": d["risk"], "status": d["status"],
        "live": d["status"] == "missing", "reported_at": reported, "last_seen_at": (d.get("last_seen") or {}).get("at"),
        "reviewed_at": a.issued_at, "found_at": found_at, "found_force": found.get("force"),
        "hours_missing": hours, "age": age, "child": is_child(age, vul),
        "vulnerabilities": "|" + "|".join(v.lower() for v in vul) + "|" if vul else "",
        "rhi_at": (d.get("return_interview") or {}).get("at"),
        "rhi_due": _plus_hours(found_at, RHI_HOURS) if found_at and is_child(age, vul) else None,
    }
    return tuple(row[c] for c in EPISODE_COLUMNS)


class MissingProjector:
    name = "missing"
    tables: Sequence[Table] = PROJECTION

    def apply(self, conn: Connection, items: list[Accepted]) -> None:
        eps = [a for a in items if a.rtype == "missing_episode"]
        if eps:
            self._episodes(conn, eps)
        persons = [a.rkey for a in items if a.rtype == "person" and a.current and a.op == "upsert"]
        if persons:
            self._persons_arrived(conn, persons)

    def _episodes(self, conn: Connection, eps: list[Accepted]) -> None:
        datas = {id(a): (orjson.loads(a.data_json) if a.data_json else None) for a in eps}
        rows = []
        for a in eps:
            d = datas[id(a)] or {}
            rows.append((a.force, a.source, a.sequence, a.rkey, a.issued_at, a.op, d.get("status"), d.get("risk"),
                         d.get("recorded_by"), d.get("rationale")))
        insert_rows(conn, missing_versions, VERSION_COLUMNS, rows)
        current = [a for a in eps if a.current]
        if not current:
            return
        old = [dict(zip(("rkey", *tallies.COLUMNS), r, strict=True))
               for r in select_in(conn, missing_episodes, ("rkey", *tallies.COLUMNS), "rkey",
                                  [a.rkey for a in current if not a.new_record])]
        before = {r["rkey"]: r["status"] for r in old}
        conn.execute(delete(missing_episodes).where(missing_episodes.c.rkey.in_([a.rkey for a in current])))
        ups = [a for a in current if a.op == "upsert" and datas[id(a)] is not None]
        subjects = []
        for a in ups:
            s = datas[id(a)]["subject"]  # type: ignore[index]
            subjects.append(make_rkey(s.get("force", a.force), s.get("source", a.source), s["type"], s["ref"]))
        dobs = _dobs(conn, subjects) if subjects else {}
        new_rows = [episode_row(a, datas[id(a)], dobs.get(s)) for a, s in zip(ups, subjects, strict=True)]  # type: ignore[arg-type]
        insert_rows(conn, missing_episodes, EPISODE_COLUMNS, new_rows)
        tallies.apply(conn, old, [dict(zip(EPISODE_COLUMNS, r, strict=True)) for r in new_rows])
        # Found now: live before this batch, or new and live in an earlier version of this batch.  An
        # episode that first arrives already found (a force sending its history) tells nobody.
        was_live = {a.rkey for a in eps if (datas[id(a)] or {}).get("status") == "missing"}
        found_now: list[tuple[Accepted, dict[str, Any]]] = [
            (a, datas[id(a)]) for a in ups  # type: ignore[misc]
            if datas[id(a)]["status"] == "found"  # type: ignore[index]
            and before.get(a.rkey, "missing" if a.rkey in was_live else None) == "missing"]
        if found_now:
            _notify_found(conn, found_now)

    def _persons_arrived(self, conn: Connection, persons: list[str]) -> None:
        waiting = select_in(conn, missing_episodes, ("rkey", "subject", "vulnerabilities", "found_at",
                                                     *tallies.COLUMNS), "subject", persons)
        if not waiting:
            return
        dobs = _dobs(conn, [w[1] for w in waiting])
        updates = []
        old, new = [], []
        for rkey, subject, vul, found_at, *rest in waiting:
            row = dict(zip(tallies.COLUMNS, rest, strict=True))
            age = age_at(dobs.get(subject), row["reported_at"])
            child = is_child(age, [v for v in vul.split("|") if v])
            rhi_due = _plus_hours(found_at, RHI_HOURS) if found_at and child else None
            updates.append((age, child, rhi_due, rkey))
            old.append(row)
            new.append({**row, "age": age, "rhi_due": rhi_due})
        update_rows(conn, missing_episodes, ("age", "child", "rhi_due"), "rkey = ?", updates)
        tallies.apply(conn, old, new)


def _notify_found(conn: Connection, found: list[tuple[Accepted, dict[str, Any]]]) -> None:
    """The reporting force's coordinators are told; a replay (rebuild) tells nobody twice."""
    from .notify import tell_coordinators

    for a, d in found:
        tell_coordinators(conn, "missing_found", a.rkey, a.force,
                          {"episode": a.rkey, "found_force": (d.get("found") or {}).get("force")},
                          key=f"found:{a.rkey}:{a.sequence}")


projectors.register(MissingProjector())
