"""Retention: the cost of retention classes on ingest, scheduling a large store, a subject
access pack and the erasure of one person with 50 records, and what the restriction check
adds to a person check.  One run, figures printed with the command.

    .venv/bin/python bench/bench_retention.py --ingest-persons 2000 --repeat 2 --schedule-records 1000000

* ingest cost: the same synthetic files ingested into fresh stores with and without the
  retention projector, alternating, ``--repeat`` times each (lines per second, best and median
  of each), and the projector's own CPU time as a share of the rest of the runs with it;
* schedule: every record of the store re-classified as after a change of the rule table
  (``reschedule`` with every row stale), then ``leds retention schedule``'s summary; the
  per-record rate is extrapolated to a 1M-person store (records per person as in the sample).
  ``--schedule-records N`` first grows the store to N scheduled records by copying its
  schedule and records rows under new keys in SQL (the copies' ``data`` is NULL: scheduling
  reads only the schedule, and ``records`` only for its keys), so the rate is measured at scale;
* coverage: every live record of the store has a review group and a date (the issue's
  20,000-person check: run with ``--store`` a 20,000-person store);
* SAR and erasure: a person with 50 records (person, marker, 24 events and 24 links, with
  unique strings) is added to the store, their subject access pack built, then erased; the
  erasure's transaction, the full-text merge inside it (FTS5 optimize) and the WAL truncation
  after it are timed apart, and LEDS_HOME is scanned for the person's strings afterwards;
* person check: read_records of a person and their markers as a frontline officer, with the
  restriction predicate, and with it switched off (the role given ``view_restricted``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, table, text, update

from leds.access import policy
from leds.access import rules as access_rules
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.db.schema import records
from leds.ingest import projectors
from leds.ingest.pipeline import Ingestor, ingest_paths
from leds.retention import erase as erasure
from leds.retention.projector import reschedule, schedule_gaps
from leds.retention.review import schedule_summary
from leds.retention.sar import build_pack
from leds.retention.tables import retention_schedule
from leds.synth import generate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgdb import pg_database  # noqa: E402

# Words no synthetic record holds, nor begins like (a full-text term is scanned for by the part
# after the prefix it shares with its neighbour in the index, which must stay distinctive).
UNIQUE = ("Vorquantyne", "Xillibrand", "Grumbleshank", "Zyndlecroft")


def _ingest(settings: Settings, files: list[Path]) -> tuple[float, float, float]:
    """Lines per second of wall time and per second of this process's CPU (ingest of files
    under 16 MiB validates in-process, so that is all of its work), and the CPU seconds;
    the fresh store's creation (its migrations) is left out of all three."""
    ingestor = Ingestor(settings)
    t0, c0 = time.perf_counter(), time.process_time()
    s = ingest_paths(ingestor, files)
    assert s.quarantined == 0
    cpu = time.process_time() - c0
    return s.accepted / (time.perf_counter() - t0), s.accepted / cpu, cpu


def ingest_cost(persons: int, repeat: int, work: Path) -> dict[str, Any]:
    """Two figures of the same runs.  A/B: stores ingested with and without the retention
    projector, alternating; the best and the median of each (on 2 cores two identical runs
    differ by several per cent, as much as the cost measured).  Direct: the CPU time spent in
    the projector itself during the runs with it, as a share of the rest of those runs'
    CPU (the same question, without the noise between runs; it leaves out the commit's share
    of the schedule's pages, which the A/B includes)."""
    generate(work / "synth", persons=persons, seed=21, progress=False)
    files = sorted((work / "synth").rglob("*.ndjson"))
    projectors.registered()
    retention = projectors._REGISTRY["retention"]
    apply = type(retention).apply
    inside = [0.0]

    def timed(self: Any, conn: Any, items: Any) -> None:
        c0 = time.process_time()
        try:
            apply(self, conn, items)
        finally:
            inside[0] += time.process_time() - c0

    rates: dict[str, list[float]] = {"without": [], "with": []}
    cpu: dict[str, list[float]] = {"without": [], "with": []}
    shares: list[float] = []
    type(retention).apply = timed  # type: ignore[method-assign]
    try:
        for i in range(repeat):
            for mode in ("without", "with"):
                home = work / f"{mode}-{i}"
                if mode == "without":
                    projectors._REGISTRY.pop("retention", None)
                else:
                    projectors._REGISTRY["retention"] = retention
                inside[0] = 0.0
                wall, per_cpu, total = _ingest(Settings(home=home), files)
                rates[mode].append(round(wall))
                cpu[mode].append(round(per_cpu))
                if mode == "with":
                    shares.append(100 * inside[0] / (total - inside[0]))
                dispose_all()
                shutil.rmtree(home)
    finally:
        type(retention).apply = apply  # type: ignore[method-assign]
        projectors._REGISTRY["retention"] = retention
    best = {m: max(v) for m, v in rates.items()}
    best_cpu = {m: max(v) for m, v in cpu.items()}
    med_cpu = {m: statistics.median(v) for m, v in cpu.items()}
    return {
        "lines_per_s": rates,
        "lines_per_cpu_s": cpu,
        "best": best,
        "cost_pct": 100 * (best["without"] / best["with"] - 1),
        "cpu_cost_pct": 100 * (best_cpu["without"] / best_cpu["with"] - 1),
        "median_cpu_cost_pct": 100 * (med_cpu["without"] / med_cpu["with"] - 1),
        "projector_share_pct": [round(x, 1) for x in shares],
    }


def person_docs(seq0: int) -> list[dict[str, Any]]:
    def ug(
        seq: int, rtype: str, ref: str, data: dict[str, Any], dataset: str = "custody"
    ) -> dict[str, Any]:
        return {
            "updategram": "1",
            "force": "NYP",
            "source": "BENCH-RMS",
            "sequence": seq,
            "issued_at": "2025-03-02T14:05:11Z",
            "op": "upsert",
            "record": {
                "type": rtype,
                "ref": ref,
                "dataset": dataset,
                "handling": "OFFICIAL",
                "data": data,
            },
        }

    docs = [
        ug(
            seq0,
            "person",
            "BP-1",
            {
                "names": [{"given": ["Vorquantyne"], "family": "Xillibrand"}],
                "birth_dates": ["1971-02-03"],
                "sex": "M",
                "marks": ["Grumbleshank tattoo"],
            },
            "nominal",
        ),
        ug(
            seq0 + 1,
            "marker",
            "BM-1",
            {
                "subject": {"type": "person", "ref": "BP-1"},
                "code": "VI",
                "detail": "Zyndlecroft incident",
            },
            "nominal",
        ),
    ]
    for i in range(24):
        docs.append(
            ug(
                seq0 + 2 + 2 * i,
                "event",
                f"BE-{i}",
                {
                    "kind": "arrest",
                    "occurred_at": f"20{10 + i % 14}-01-0{1 + i % 9}T10:00:00Z",
                    "description": f"Zyndlecroft arrested Xillibrand for affray number {i}",
                },
            )
        )
        docs.append(
            ug(
                seq0 + 3 + 2 * i,
                "link",
                f"BK-{i}",
                {
                    "from": {"type": "person", "ref": "BP-1"},
                    "to": {"type": "event", "ref": f"BE-{i}"},
                    "role": "arrested",
                },
            )
        )
    return docs


def scan(home: Path, extra: tuple[str, ...] = ()) -> list[str]:
    hits = []
    for p in home.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            hits += [
                f"{p.name}:{v}"
                for v in {*UNIQUE, *(u.lower() for u in UNIQUE), *extra}
                if v.encode() in data
            ]
    return hits


def fulltext_tails(engine: Any) -> tuple[str, ...]:
    """The person's words as the full-text index stores them (stemmed; each after the prefix
    it shares with the term before it, which FTS5 leaves out): see tests/retention/test_erasure.py."""
    with engine.connect() as conn:
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.terms USING fts5vocab(main, search_text_fts, row)"
        )
        terms = sorted(
            (r[0] for r in conn.exec_driver_sql("SELECT term FROM temp.terms")), key=str.encode
        )
        conn.exec_driver_sql("DROP TABLE temp.terms")
    out = []
    for i, t in enumerate(terms):
        # a stem of one of the words (porter cuts at most a few letters off the end)
        if any(len(os.path.commonprefix([t, u.lower()])) >= len(u) - 4 for u in UNIQUE):
            tail = t[len(os.path.commonprefix([t, terms[i - 1] if i else ""])) :]
            out.append(tail)
    assert all(len(t) >= 5 for t in out), f"a term's stored part is too short to scan for: {out}"
    return tuple(out)


def grow(engine: Any, target: int) -> int:
    """Copy the schedule's and the records' rows under new keys (``rkey#n``), in SQL, until
    the schedule holds ``target`` rows; the copies' ``data`` is NULL.  The full-text index
    grows with them (every text row copied once per copy), so that erasure's merge of it is
    timed at the store's size.  Returns rows added."""
    with engine.connect() as conn:
        base = conn.execute(select(func.count()).select_from(retention_schedule)).scalar_one()
        copies = max(0, -(-target // max(1, base)) - 1)
        cols = [c.name for c in records.c if c.name not in ("id", "rkey", "ref", "data")]
        for n in range(1, copies + 1):
            left = target - base * n
            if left <= 0:
                break
            sfx = f"'#{n}'"
            conn.execute(
                text(
                    f"INSERT INTO retention_schedule SELECT rkey || {sfx}, force, class_key, basis, "  # noqa: S608
                    f"review_group, rule, rules_version, review_on FROM retention_schedule "
                    f"WHERE rkey NOT LIKE :pat ORDER BY rkey LIMIT {min(left, base)}"
                ),
                {"pat": "%#%"},
            )
            conn.execute(
                text(  # the bench's own constant names and numbers, no input
                    f"INSERT INTO records (rkey, ref, {', '.join(cols)}) SELECT rkey || {sfx}, ref || {sfx}, "  # noqa: S608
                    f"{', '.join(cols)} FROM records WHERE rkey NOT LIKE :pat AND NOT deleted "
                    f"AND rkey IN (SELECT rkey FROM retention_schedule) ORDER BY rkey LIMIT {min(left, base)}"
                ),
                {"pat": "%#%"},
            )
            conn.execute(
                text(
                    f"INSERT INTO search_text (rkey, kind, body) SELECT rkey || {sfx}, kind, body "  # noqa: S608
                    "FROM search_text WHERE rkey NOT LIKE :pat"
                ),
                {"pat": "%#%"},
            )
            conn.commit()
        return (
            conn.execute(select(func.count()).select_from(retention_schedule)).scalar_one() - base
        )


class Timer:
    """Wall and CPU (this process) seconds of a block."""

    def __enter__(self) -> Timer:
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.w, time.process_time() - self.c

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"


def load() -> str:
    return (
        Path("/proc/loadavg").read_text().split(" ", 1)[0]
        if Path("/proc/loadavg").exists()
        else "?"
    )


def person_check(engine: Any, n: int) -> dict[str, float]:
    with engine.connect() as conn:
        keys = [
            r[0]
            for r in conn.execute(
                select(records.c.rkey)
                .where(records.c.rtype == "person", records.c.force == "WYP")
                .limit(n)
            )
        ]

    def run() -> float:
        p = policy.Principal(
            id="user:bench",
            roles=frozenset({"frontline_officer"}),
            force="WYP",
            vetting="SC",
            datasets=frozenset(access_rules.ALL_DATASETS),
        )
        with engine.connect() as conn:
            t0 = time.perf_counter()
            for k in keys:
                refs = policy.references(conn, to=[k])
                policy.read_records(
                    conn,
                    p,
                    "incident_response",
                    action="check",
                    audit=lambda e: 0,
                    rkeys=[k, *[r for r, _role, _t in refs]],
                    limit=50,
                )
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
    ap.add_argument(
        "--store",
        type=Path,
        help="an existing LEDS_HOME to schedule, pack and erase in (a copy is used)",
    )
    ap.add_argument("--persons", type=int, default=5000, help="without --store: the store's size")
    ap.add_argument(
        "--schedule-records",
        type=int,
        default=0,
        help="grow the store to this many scheduled records (copies in SQL) before scheduling",
    )
    ap.add_argument(
        "--postgres",
        action="store_true",
        help="the store in a fresh PostgreSQL database (started if needed, dropped after)",
    )
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-retention-"))
    print(
        f"command: {' '.join([sys.executable.rsplit('/', 1)[-1], *sys.argv])}; load average {load()}",
        flush=True,
    )
    try:
        if args.repeat:
            cost = ingest_cost(args.ingest_persons, args.repeat, work)
            print(
                f"ingest, {args.ingest_persons:,} persons: with retention classes "
                f"{cost['best']['with']:,.0f} lines/s, without {cost['best']['without']:,.0f} lines/s "
                f"(best of {args.repeat}); cost {cost['cost_pct']:+.1f}% in wall time, "
                f"{cost['cpu_cost_pct']:+.1f}% in CPU time, {cost['median_cpu_cost_pct']:+.1f}% in CPU time "
                f"by the medians (all runs, lines/s: {cost['lines_per_s']}, "
                f"lines per CPU second: {cost['lines_per_cpu_s']}); load {load()}\n"
                f"ingest, the retention projector's own CPU as a share of the rest of each run with it: "
                f"median {statistics.median(cost['projector_share_pct']):.1f}% "
                f"(runs: {cost['projector_share_pct']})",
                flush=True,
            )
        home = work / "store"
        url = None
        if args.postgres:
            url, drop_pg = pg_database()
        if args.store:
            shutil.copytree(args.store, home)
        else:
            generate(work / "synth-store", persons=args.persons, seed=5, progress=False)
            ingest_paths(
                Ingestor(Settings(home=home, database_url_override=url)),
                sorted((work / "synth-store").rglob("*.ndjson")),
            )
        settings = Settings(home=home, database_url_override=url)
        engine = get_engine(settings)
        sqlite = engine.dialect.name == "sqlite"
        print(f"store: {engine.dialect.name}", flush=True)
        with engine.connect() as conn:
            live = conn.execute(
                select(func.count()).select_from(records).where(records.c.deleted.is_(False))
            ).scalar_one()
            persons = conn.execute(
                select(func.count())
                .select_from(records)
                .where(records.c.rtype == "person", records.c.deleted.is_(False))
            ).scalar_one()
        per_person = live / max(1, persons)
        with Timer() as t_first:
            first = reschedule(engine)  # a store from before retention gets its schedule here
        if args.schedule_records:
            with Timer() as t_grow:
                grown = grow(engine, args.schedule_records)
            print(
                f"grown by {grown:,} copied records to {args.schedule_records:,} scheduled in {t_grow}",
                flush=True,
            )
        with engine.connect() as conn:
            conn.execute(update(retention_schedule).values(rules_version="old"))
            conn.commit()
        with Timer() as t_same:
            same = reschedule(
                engine
            )  # a new rule table that moves no date: every row read, none rewritten
        with Timer() as t_worst:
            worst = _every_date_moves(
                engine
            )  # every rule's period one year longer: every row rewritten
        with engine.connect() as conn, Timer() as t_summary:
            summary = schedule_summary(conn, policy.Principal.system())
        with engine.connect() as conn:
            unscheduled, blank = schedule_gaps(conn)
        print(
            f"sample store: {live:,} live records, {persons:,} person records ({per_person:.1f} records/person); "
            f"records without a review group and date: {unscheduled + blank}"
        )
        if first.added:
            print(f"schedule from nothing: {first.added:,} records in {t_first}")
        for name, rs, t in (
            ("rule change moving no date", same, t_same),
            ("rule change moving every date", worst, t_worst),
        ):
            per = t.wall / max(1, rs.examined)
            print(
                f"schedule, {name}: {rs.examined:,} records read, {rs.changed_rule:,} rewritten in {t} "
                f"({per * 1e6:.2f} us/record wall, {t.cpu / max(1, rs.examined) * 1e6:.2f} us CPU); "
                f"extrapolated to 1M persons ({per_person * 1e6:,.0f} records): {per * per_person * 1e6:.0f} s; "
                f"load {load()}",
                flush=True,
            )
        print(
            f"schedule summary (leds retention schedule): {t_summary}, {summary['due_now']:,} due now"
        )
        seq0 = 10_000_000
        ingest_paths(Ingestor(settings), [_write(work / "p.ndjson", person_docs(seq0))])
        with Timer() as t_sar:
            pack = build_pack(engine, "NYP|BENCH-RMS|person|BP-1")
        print(f"subject access pack: {pack['record_count']} records in {t_sar}")
        tails = fulltext_tails(engine) if sqlite else ()
        before = scan(home, tails) if sqlite else []
        timings: dict[str, Timer] = {}
        real = {"scrub_sqlite": erasure.scrub_sqlite, "merge_fulltext": erasure.merge_fulltext}

        def timed(name: str) -> Any:
            def run(*a: Any, **kw: Any) -> Any:
                with Timer() as t:
                    out = real[name](*a, **kw)
                timings[name] = t
                return out

            return run

        for name in real:
            setattr(erasure, name, timed(name))
        with Timer() as t_erase:
            with engine.connect() as conn:
                scope = erasure.person_scope(
                    conn, erasure.person_records(conn, "NYP|BENCH-RMS|person|BP-1")
                )
            erased = erasure.erase_records(engine, settings, scope.erase, reason="bench")
        for name, f in real.items():
            setattr(erasure, name, f)
        with engine.connect() as conn:
            texts = conn.execute(
                select(func.count()).select_from(table("search_text"))
            ).scalar_one()
        if sqlite:
            size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
            with engine.connect() as conn:
                fts = conn.exec_driver_sql(
                    "SELECT sum(length(block)) FROM search_text_fts_data"
                ).scalar_one()
            merge, wal = timings["merge_fulltext"], timings["scrub_sqlite"]
            print(
                f"erase one person, {len(scope.erase)} records: {t_erase} in all, for a {size / 2**20:.0f} MiB "
                f"store ({texts:,} full-text rows, a {fts / 2**20:.0f} MiB index); of which full-text merge "
                f"(FTS5 optimize, in the transaction) {merge}, WAL truncate {wal}; load {load()}"
            )
            print(
                f"  strings found before: {len(before)} (full-text terms {list(tails)}), after: "
                f"{scan(home, tails)}; removed: {erased.counts}"
            )
        else:
            print(
                f"erase one person, {len(scope.erase)} records: {t_erase} in all ({texts:,} full-text rows); "
                f"load {load()}; removed: {erased.counts}"
            )
        pc = person_check(engine, 300)
        print(
            f"person check (person + markers, frontline officer): {pc['with_restriction_check']:.0f} us with the "
            f"restriction check, {pc['without']:.0f} us without"
        )
    finally:
        dispose_all()
        if url:
            drop_pg()
        shutil.rmtree(work, ignore_errors=True)


def _write(path: Path, docs: list[dict[str, Any]]) -> Path:
    import orjson

    path.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in docs))
    return path


if __name__ == "__main__":
    main()
