"""The statistics read running counts and the register's people table, kept at ingest and by
the database; these tests hold them to a direct count of the episodes and the national person
ids, after every kind of change (new episodes, versions, matching merging and splitting people,
a person id retired, a rebuild, an episode deleted), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import delete, select, update

from leds.config import Settings
from leds.db.engine import get_engine, write_transaction
from leds.matching.tables import person_ids
from leds.missing import stats
from leds.missing.tables import missing_episodes as E
from leds.missing.tables import missing_people

from ..callers import lookup
from ..factories import P1, P2, P9, load, person, ug, wyp_records
from .helpers import ago, episode, mps, send, wyp

P3 = "WYP|NICHE-RMS|person|P-3"


def _stats(settings: Settings) -> dict[str, Any]:
    lk, _ = lookup("missing_persons_coordinator", purpose="missing_person_enquiry")
    with get_engine(settings).connect() as conn:
        return stats.stats(conn, lk)


def _direct(settings: Settings) -> dict[str, Any]:
    """The same figures counted from every episode and the person ids, in Python."""
    with get_engine(settings).connect() as conn:
        eps = conn.execute(select(E.c.subject, E.c.status, E.c.rhi_at, E.c.rhi_due)).all()
        ids = dict(conn.execute(select(person_ids.c.rkey, person_ids.c.person_id)).all())
    per_person = Counter(ids.get(e.subject, e.subject) for e in eps)
    now = ago(seconds=0)
    rhi = Counter("on_time" if e.rhi_at and e.rhi_at <= e.rhi_due else "late" if e.rhi_at
                  else "not_held" if e.rhi_due < now else "pending" for e in eps if e.rhi_due)
    return {"episodes": len(eps), "live": sum(e.status == "missing" for e in eps),
            "found": sum(e.status == "found" for e in eps), "closed": sum(e.status == "closed" for e in eps),
            "people": len(per_person), "repeat_people": sum(n > 1 for n in per_person.values()),
            "on_time": rhi["on_time"], "late": rhi["late"], "not_held": rhi["not_held"]}


def _agree(settings: Settings) -> dict[str, Any]:
    s, d = _stats(settings), _direct(settings)
    got = {k: s[k] for k in ("episodes", "live", "found", "closed", "people", "repeat_people")}
    got |= {k: s["return_interviews"][k] for k in ("on_time", "late", "not_held")}
    assert got == d
    return got


def _same_person(settings: Settings, pid: str, *rkeys: str) -> None:
    """What matching leaves after a merge (a batch run, a judgement): one id for the records."""
    with get_engine(settings).connect() as conn, write_transaction(conn):
        for k in rkeys:
            if conn.execute(update(person_ids).where(person_ids.c.rkey == k).values(person_id=pid)).rowcount == 0:
                conn.execute(person_ids.insert().values(rkey=k, person_id=pid, features="{}", assigned_by="judgement",
                                                        assigned_at=ago(minutes=1)))


def test_statistics_agree_with_a_direct_count_through_merges_splits_and_new_versions(store: Settings) -> None:
    found = {"at": ago(days=8)}
    send(store, [wyp(100, episode("MIS-1", "P-1", status="found", reported=ago(days=9), seen=ago(days=9, hours=1),
                                  found=found)),
                 wyp(101, episode("MIS-2", "P-2", status="found", reported=ago(days=9), seen=ago(days=9, hours=1),
                                  found=found, return_interview={"at": ago(days=7)})),
                 wyp(102, episode("MIS-3", "P-2", status="found", reported=ago(days=9), seen=ago(days=9, hours=1),
                                  found=found, return_interview={"at": ago(days=2)})),
                 wyp(103, episode("MIS-4", "P-2", status="found", reported=ago(days=9), seen=ago(days=9, hours=1),
                                  found=found)),
                 wyp(104, episode("MIS-5", "P-2", status="found", reported=ago(hours=30), seen=ago(hours=31),
                                  found={"at": ago(hours=20)})),
                 wyp(105, episode("MIS-6", "P-3", status="closed", reported=ago(days=3), seen=ago(days=3))),
                 mps(100, episode("MIS-9", "P-9"))])
    got = _agree(store)
    # P-2 is a child: one interview on time, one late, one not held, one still within its 72 hours.
    assert (got["people"], got["repeat_people"], got["on_time"], got["late"], got["not_held"]) == (4, 1, 1, 1, 1)
    _same_person(store, "NP-0000000001", P1, P9)  # a merge across two forces: one person
    assert _agree(store)["people"] == 3
    _same_person(store, "NP-0000000002", P9)  # a split
    assert _agree(store)["people"] == 4
    _same_person(store, "NP-0000000001", P1, P2, P3)  # a later merge after episodes exist
    assert _agree(store)["people"] == 2
    with get_engine(store).connect() as conn, write_transaction(conn):
        conn.execute(delete(person_ids).where(person_ids.c.rkey == P3))  # an id retired: the record stands alone
    assert _agree(store)["people"] == 3
    # New versions: found, a late interview held, an episode withdrawn by its force.
    send(store, [mps(101, episode("MIS-9", "P-9", status="found", reported=ago(hours=5), seen=ago(hours=8),
                                  found={"at": ago(hours=1)})),
                 wyp(106, episode("MIS-4", "P-2", status="found", reported=ago(days=9), seen=ago(days=9, hours=1),
                                  found=found, return_interview={"at": ago(hours=1)})),
                 ug(107, {"type": "missing_episode", "ref": "MIS-6"}, op="delete", issued_at=ago(minutes=1))])
    got = _agree(store)
    assert (got["episodes"], got["live"], got["late"], got["not_held"]) == (6, 0, 2, 0)


def test_the_register_people_table_is_the_episodes_counted_after_a_rebuild_and_a_late_person(
        sqlite_settings: Settings) -> None:
    from leds.records.state import rebuild

    load(sqlite_settings, wyp_records())
    send(sqlite_settings, [wyp(100, episode("MIS-1", "P-2")), wyp(101, episode("MIS-1", "P-2", risk="high")),
                           wyp(102, episode("MIS-2", "P-77")), mps(100, episode("MIS-9", "P-2", subject_force="WYP",
                                                                               subject_source="NICHE-RMS"))])
    _same_person(sqlite_settings, "NP-0000000077", P2)
    engine = get_engine(sqlite_settings)

    def people() -> list[tuple[Any, ...]]:
        with engine.connect() as conn:
            return sorted(tuple(r) for r in conn.execute(select(missing_people)))

    expected = [(P2, "MPS", "missing", "OFFICIAL-SENSITIVE", "national", "NP-0000000077", 1),
                (P2, "WYP", "missing", "OFFICIAL-SENSITIVE", "national", "NP-0000000077", 1),
                ("WYP|NICHE-RMS|person|P-77", "WYP", "missing", "OFFICIAL-SENSITIVE", "national",
                 "WYP|NICHE-RMS|person|P-77", 1)]
    assert people() == expected
    rebuild(engine)
    assert people() == expected
    assert _agree(sqlite_settings)["repeat_people"] == 1
    send(sqlite_settings, [wyp(103, person("P-77", "Late", "Arrival", dob="2012-05-05"))])  # the parked person arrives
    _same_person(sqlite_settings, "NP-0000000077", "WYP|NICHE-RMS|person|P-77")
    assert _agree(sqlite_settings)["people"] == 1
