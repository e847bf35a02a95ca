"""Retention: the cost of retention classes on ingest, scheduling a large store, a subject
access pack and the erasure of one person with 50 records, and what the restriction check
adds to a person check.  One run, figures printed with the command.

    .venv/bin/python bench/bench_retention.py --ingest-persons 2000 --repeat 2 --store /tmp/rb/h1

* ingest cost: the same synthetic files ingested into fresh stores with and without the
  retention projector, alternating, ``--repeat`` times each (lines per second, best of each);
* schedule: every record of the store re-classified as after a change of the rule table
  (``reschedule`` with every row stale), then ``leds retention schedule``'s summary; the
  per-record rate is extrapolated to a 1M-person store (records per person as in the sample);
* coverage: every live record of the store has a review group and a date (the issue's
  20,000-person check: run with ``--store`` a 20,000-person store);
* SAR and erasure: a person with 50 records (person, marker, 24 events and 24 links, with
  unique strings) is added to the store, their subject access pack built, then erased; the
  erasure's transaction and its SQLite scrub (FTS optimize, VACUUM, WAL truncate) are timed
  apart, and LEDS_HOME is scanned for the person's strings afterwards;
* person check: read_records of a person and their markers as a frontline officer, with the
  restriction predicate, and with it switched off (the role given ``view_restricted``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from leds.access import policy
from leds.access import rules as access_rules
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.db.schema import records
from leds.ingest import projectors
from leds.ingest.pipeline import Ingestor, ingest_paths
from leds.retention import erase as erasure
from leds.retention.projector import reschedule
from leds.retention.review import schedule_summary
from leds.retention.sar import build_pack
from leds.retention.tables import retention_schedule
from leds.synth import generate

UNIQUE = ("Vorquantyne", "Xillibrand", "Grumbleshank", "Pottercliffe")


def _ingest(settings: Settings, files: list[Path]) -> float:
    t0 = time.perf_counter()
    s = ingest_paths(Ingestor(settings), files)
    assert s.quarantined == 0
    return s.accepted / (time.perf_counter() - t0)


def ingest_cost(persons: int, repeat: int, work: Path) -> dict[str, Any]:
    generate(work / "synth", persons=persons, seed=21, progress=False)
    files = sorted((work / "synth").rglob("*.ndjson"))
    projectors.registered()
    retention = projectors._REGISTRY["retention"]
    rates: dict[str, list[float]] = {"without": [], "with": []}
    for i in range(repeat):
        for mode in ("without", "with"):
            home = work / f"{mode}-{i}"
            if mode == "without":
                projectors._REGISTRY.pop("retention", None)
            else:
                projectors._REGISTRY["retention"] = retention
            rates[mode].append(_ingest(Settings(home=home), files))
            dispose_all()
            shutil.rmtree(home)
    projectors._REGISTRY["retention"] = retention
    best = {m: max(v) for m, v in rates.items()}
    return {"lines_per_s": rates, "best": best, "cost_pct": 100 * (best["without"] / best["with"] - 1)}


def person_docs(seq0: int) -> list[dict[str, Any]]:
    def ug(seq: int, rtype: str, ref: str, data: dict[str, Any], dataset: str = "custody") -> dict[str, Any]:
        return {"updategram": "1", "force": "NYP", "source": "BENCH-RMS", "sequence": seq,
                "issued_at": "2025-03-02T14:05:11Z", "op": "upsert",
                "record": {"type": rtype, "ref": ref, "dataset": dataset, "handling": "OFFICIAL", "data": data}}

    docs = [ug(seq0, "person", "BP-1", {"names": [{"given": ["Vorquantyne"], "family": "Xillibrand"}],
                                        "birth_dates": ["1971-02-03"], "sex": "M",
                                        "marks": ["Grumbleshank tattoo"]}, "nominal"),
            ug(seq0 + 1, "marker", "BM-1", {"subject": {"type": "person", "ref": "BP-1"}, "code": "VI",
                                            "detail": "Pottercliffe incident"}, "nominal")]
    for i in range(24):
        docs.append(ug(seq0 + 2 + 2 * i, "event", f"BE-{i}", {
            "kind": "arrest", "occurred_at": f"20{10 + i % 14}-01-0{1 + i % 9}T10:00:00Z",
            "description": f"Pottercliffe arrested Xillibrand for affray number {i}"}))
        docs.append(ug(seq0 + 3 + 2 * i, "link", f"BK-{i}", {"from": {"type": "person", "ref": "BP-1"},
                                                             "to": {"type": "event", "ref": f"BE-{i}"},
                                                             "role": "arrested"}))
    return docs


def scan(home: Path) -> list[str]:
    hits = []
    for p in home.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            hits += [f"{p.name}:{u}" for u in UNIQUE for v in (u, u.lower()) if v.encode() in data]
    return hits


def person_check(engine: Any, n: int) -> dict[str, float]:
    with engine.connect() as conn:
        keys = [r[0] for r in conn.execute(select(records.c.rkey).where(records.c.rtype == "person",
                                                                        records.c.force == "WYP").limit(n))]

    def run() -> float:
        p = policy.Principal(id="user:bench", roles=frozenset({"frontline_officer"}), force="WYP", vetting="SC",
                             datasets=frozenset(access_rules.ALL_DATASETS))
        with engine.connect() as conn:
            t0 = time.perf_counter()
            for k in keys:
                refs = policy.references(conn, to=[k])
                policy.read_records(conn, p, "incident_response", action="check", audit=lambda e: 0,
                                    rkeys=[k, *[r for r, _role, _t in refs]], limit=50)
            return (time.perf_counter() - t0) / max(1, len(keys)) * 1e6

    def clear() -> None:
        for f in (policy._actions, policy.row_predicate, policy._read_statement):
            f.cache_clear()

    out: dict[str, list[float]] = {"with_restriction_check": [], "without": []}
    role = access_rules.ROLES["frontline_officer"]
    actions = role["actions"]
    for _ in range(5):
        clear()
        out["with_restriction_check"].append(run())
        role["actions"] = (*actions, "view_restricted")  # type: ignore[misc]
        clear()
        out["without"].append(run())
        role["actions"] = actions
    clear()
    return {k: min(v) for k, v in out.items()}


def _every_date_moves(engine: Any) -> Any:
    from dataclasses import replace

    from leds.retention import projector, rules

    saved = dict(rules.RULES), projector.RULES_VERSION
    try:
        for k, r in list(rules.RULES.items()):
            rules.RULES[k] = replace(r, review_years=r.review_years + 1)
        projector.RULES_VERSION = "bench-v2"
        return reschedule(engine)
    finally:
        rules.RULES.clear()
        rules.RULES.update(saved[0])
        projector.RULES_VERSION = saved[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ingest-persons", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--store", type=Path, help="an existing LEDS_HOME to schedule, pack and erase in (a copy is used)")
    ap.add_argument("--persons", type=int, default=5000, help="without --store: the store's size")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-retention-"))
    print(f"command: {' '.join([sys.executable.rsplit('/', 1)[-1], *sys.argv])}")
    try:
        cost = ingest_cost(args.ingest_persons, args.repeat, work)
        print(f"ingest, {args.ingest_persons:,} persons: with retention classes "
              f"{cost['best']['with']:,.0f} lines/s, without {cost['best']['without']:,.0f} lines/s "
              f"(best of {args.repeat}); cost {cost['cost_pct']:+.1f}%  (all runs: {cost['lines_per_s']})")
        home = work / "store"
        if args.store:
            shutil.copytree(args.store, home)
        else:
            generate(work / "synth-store", persons=args.persons, seed=5, progress=False)
            ingest_paths(Ingestor(Settings(home=home)), sorted((work / "synth-store").rglob("*.ndjson")))
        settings = Settings(home=home)
        engine = get_engine(settings)
        with engine.connect() as conn:
            live = conn.execute(select(func.count()).select_from(records).where(records.c.deleted.is_(False))
                                ).scalar_one()
            persons = conn.execute(select(func.count()).select_from(records).where(
                records.c.rtype == "person", records.c.deleted.is_(False))).scalar_one()
        t0 = time.perf_counter()
        first = reschedule(engine)  # a store from before retention gets its schedule here
        t_first = time.perf_counter() - t0
        with engine.connect() as conn:
            conn.execute(update(retention_schedule).values(rules_version="old"))
            conn.commit()
        same = reschedule(engine)  # a new rule table that moves no date: every row read, none rewritten
        worst = _every_date_moves(engine)  # every rule's period one year longer: every row rewritten
        with engine.connect() as conn:
            t0 = time.perf_counter()
            summary = schedule_summary(conn, policy.Principal.system())
            t_summary = time.perf_counter() - t0
            unscheduled = conn.execute(select(func.count()).select_from(records).where(
                records.c.deleted.is_(False), ~select(retention_schedule.c.rkey).where(
                    retention_schedule.c.rkey == records.c.rkey).exists())).scalar_one()
            blank = conn.execute(select(func.count()).select_from(retention_schedule).where(
                (retention_schedule.c.review_group == "") | (retention_schedule.c.review_on == ""))).scalar_one()
        per_person = live / max(1, persons)
        print(f"store: {live:,} live records, {persons:,} person records ({per_person:.1f} records/person); "
              f"records without a review group and date: {unscheduled + blank}")
        if first.added:
            print(f"schedule from nothing: {first.added:,} records in {t_first:.2f} s")
        for name, rs in (("rule change moving no date", same), ("rule change moving every date", worst)):
            per = rs.seconds / max(1, rs.examined)
            print(f"schedule, {name}: {rs.examined:,} records read, {rs.changed_rule:,} rewritten in "
                  f"{rs.seconds:.2f} s ({per * 1e6:.1f} us/record); extrapolated to 1M persons: "
                  f"{per * per_person * 1_000_000:.0f} s")
        print(f"schedule summary (leds retention schedule): {t_summary:.2f} s, {summary['due_now']:,} due now")
        seq0 = 10_000_000
        ingest_paths(Ingestor(settings), [_write(work / "p.ndjson", person_docs(seq0))])
        t0 = time.perf_counter()
        pack = build_pack(engine, "NYP|BENCH-RMS|person|BP-1")
        t_sar = time.perf_counter() - t0
        print(f"subject access pack: {pack['record_count']} records in {t_sar:.3f} s")
        before = scan(home)
        t0 = time.perf_counter()
        with engine.connect() as conn:
            scope = erasure.person_scope(conn, erasure.person_records(conn, "NYP|BENCH-RMS|person|BP-1"))
        real_scrub = erasure.scrub_sqlite
        timings: dict[str, float] = {}

        def timed_scrub(conn: Any) -> None:
            t = time.perf_counter()
            real_scrub(conn)
            timings["scrub"] = time.perf_counter() - t

        erasure.scrub_sqlite = timed_scrub  # type: ignore[assignment]
        erased = erasure.erase_records(engine, settings, scope.erase, reason="bench")
        erasure.scrub_sqlite = real_scrub  # type: ignore[assignment]
        total = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
        print(f"erase one person, {len(scope.erase)} records: {total:.3f} s in all; transaction "
              f"{total - timings.get('scrub', 0):.3f} s, SQLite scrub (FTS optimize, VACUUM, WAL truncate) "
              f"{timings.get('scrub', 0):.3f} s for a {size / 2**20:.0f} MiB store")
        print(f"  strings found before: {len(before)}, after: {scan(home)}; removed: {erased.counts}")
        pc = person_check(engine, 300)
        print(f"person check (person + markers, frontline officer): {pc['with_restriction_check']:.0f} us with the "
              f"restriction check, {pc['without']:.0f} us without")
    finally:
        dispose_all()
        shutil.rmtree(work, ignore_errors=True)


def _write(path: Path, docs: list[dict[str, Any]]) -> Path:
    import orjson

    path.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in docs))
    return path


if __name__ == "__main__":
    main()
