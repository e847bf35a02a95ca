"""Missing-persons register benchmark: the national live view, the statistics page and the
MISSING look-up's added cost to a person check.

    .venv/bin/python bench/bench_missing.py                       # 5,000 live, 300,000 historic
    .venv/bin/python bench/bench_missing.py --live 2000 --historic 100000 --persons 50000

1. A store under ``bench/out/missing-<live>-<historic>/`` (kept for the next run): person
   records (with their dates of birth) and episodes (a quarter of people go missing more
   than once, some across forces), projected by the real projectors (records, search,
   missing) in large transactions.  The log, validation and encryption of ingest are skipped
   while seeding: they are measured by bench_ingest and are not on the read path here.
2. The live view (``leds.missing.service.live``) as a coordinator, in-process: every page of
   50 and the common filters (force, risk, age band, over 72 hours), each timed; p50/p95.
3. The statistics (``leds.missing.stats.stats``), timed.
4. The MISSING look-up of a person check (``missing_for_check``) for the chosen person's
   records: a person with no live episode (the common case: one index probe) and one with a
   live episode (the probe, then the episode read and audited through the policy); p50/p95.
5. The person check (``leds.checks.service.person_check``, in-process, a front-line officer)
   with and without its MISSING look-up, interleaved query by query: what the look-up adds to
   the check's server time.
6. The look-up at 1,000,000 persons (``--lookup-persons``): a second store under
   ``bench/out/missing-lookup-<n>/`` with a national person id for each of 1M person records,
   one historic episode for each (written straight into ``missing_episodes``: the subject index
   then holds 1M entries) and 2,000 live episodes ingested through the real projectors with
   their person records; the look-up is timed for a person never missing, a person with only
   past episodes, and a person with a live episode.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

FORCES = ["WYP", "MPS", "GMP", "WMP", "MER", "KEN", "ESS", "TVP", "HAM", "SYP", "NBR", "LAN"]
RISKS = ["high", "medium", "medium", "low", "low", "low", "very_low"]


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(home: Path, live: int, historic: int, persons: int, seed_: int = 7) -> None:
    from leds.config import Settings
    from leds.db.engine import get_engine, write_transaction
    from leds.ingest.accepted import Accepted
    from leds.ingest.projectors import RecordsProjector
    from leds.missing.projector import MissingProjector
    from leds.search.projector import SearchProjector

    rng = random.Random(seed_)
    settings = Settings(home=home)
    engine = get_engine(settings)
    now = datetime.now(UTC)
    projs = [RecordsProjector(), SearchProjector(), MissingProjector()]

    def apply(items: list[Accepted]) -> None:
        with engine.connect() as conn, write_transaction(conn):
            for p in projs:
                p.apply(conn, items)

    home_force = {}
    batch: list[Accepted] = []
    seq = 0
    for i in range(persons):
        f = FORCES[i % len(FORCES)]
        home_force[i] = f
        born = now - timedelta(days=rng.randint(8 * 365, 80 * 365))
        data = {"names": [{"given": [f"Given{i}"], "family": f"Family{i % 5000}", "kind": "primary"}],
                "birth_dates": [born.date().isoformat()], "sex": rng.choice("MF"), "height_cm": rng.randint(120, 195)}
        seq += 1
        batch.append(Accepted._build(f, "RMS", seq, "person", f"P-{i}", "upsert", "nominal", "OFFICIAL-SENSITIVE",
                                     _iso(now), data))
        batch[-1].sharing, batch[-1].new_record, batch[-1].current = "national", True, True
        if len(batch) >= 20_000:
            apply(batch)
            batch = []
    apply(batch)
    batch = []
    started = time.perf_counter()
    total = live + historic
    for n in range(total):
        # Repeat missing: a quarter of episodes fall on a small set of people.
        who = rng.randrange(persons // 20) if rng.random() < 0.25 else rng.randrange(persons)
        f = home_force[who] if rng.random() < 0.85 else rng.choice(FORCES)
        is_live = n < live
        reported = now - (timedelta(hours=rng.randint(1, 24 * 20)) if is_live
                          else timedelta(hours=rng.randint(24 * 21, 24 * 730)))
        d: dict[str, Any] = {
            "subject": {"type": "person", "ref": f"P-{who}", "force": home_force[who], "source": "RMS"},
            "reported_at": _iso(reported), "last_seen": {"at": _iso(reported - timedelta(hours=rng.randint(0, 12)))},
            "risk": rng.choice(RISKS), "status": "missing" if is_live else rng.choice(["found"] * 9 + ["closed"]),
            "vulnerabilities": rng.sample(["mental_health", "dementia", "looked_after", "self_harm"], rng.randint(0, 2)),
            "circumstances": "did not return home",
        }
        if d["status"] == "found":
            found = reported + timedelta(hours=min(int(rng.expovariate(1 / 20)) + 1, 24 * 200))
            d["found"] = {"at": _iso(found), "force": f}
            if rng.random() < 0.6:
                d["return_interview"] = {"at": _iso(found + timedelta(hours=rng.randint(2, 120)))}
        seq += 1
        a = Accepted._build(f, "MISPER", seq, "missing_episode", f"E-{n}", "upsert", "missing", "OFFICIAL-SENSITIVE",
                            _iso(reported), d)
        a.sharing, a.new_record, a.current = "national", True, True
        batch.append(a)
        if len(batch) >= 20_000:
            apply(batch)
            batch = []
            print(f"  seeded {n + 1:,} of {total:,} episodes ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    apply(batch)


def ensure_person_ids(home: Path, persons: int) -> None:
    """A national person id for each bench person record (as matching would leave them), so
    that the statistics' people and the look-ups' person ids read a full ``person_ids``."""
    from sqlalchemy import func, select

    from leds.config import Settings
    from leds.db.bulk import insert_rows
    from leds.db.engine import get_engine, write_transaction
    from leds.matching.tables import person_ids

    engine = get_engine(Settings(home=home))
    with engine.connect() as conn, write_transaction(conn):
        if conn.execute(select(func.count()).select_from(person_ids)).scalar_one():
            return
        cols = ("rkey", "person_id", "features", "assigned_by", "assigned_at")
        at = _iso(datetime.now(UTC))
        for lo in range(0, persons, 50_000):
            insert_rows(conn, person_ids, cols, [(f"{FORCES[i % len(FORCES)]}|RMS|person|P-{i}", f"NP-{i:010d}", "{}",
                                                  "batch", at) for i in range(lo, min(persons, lo + 50_000))])


LIVE_AT_SCALE = 2000


def seed_lookup_store(home: Path, persons: int) -> None:
    """``persons`` person ids, one historic episode each written straight into the tables, and
    2,000 live episodes (with their person records) through the real projectors."""
    from leds.config import Settings
    from leds.db.bulk import insert_rows
    from leds.db.engine import get_engine, write_transaction
    from leds.ingest.accepted import Accepted
    from leds.ingest.projectors import RecordsProjector
    from leds.matching.tables import person_ids
    from leds.missing.projector import EPISODE_COLUMNS, MissingProjector
    from leds.missing.tables import missing_episodes

    engine = get_engine(Settings(home=home))
    now = datetime.now(UTC)
    at = _iso(now)
    rng = random.Random(11)
    started = time.perf_counter()
    with engine.connect() as conn, write_transaction(conn):
        for lo in range(0, persons, 50_000):
            hi = min(persons, lo + 50_000)
            insert_rows(conn, person_ids, ("rkey", "person_id", "features", "assigned_by", "assigned_at"),
                        [(f"WYP|RMS|person|P-{i}", f"NP-{i:010d}", "{}", "batch", at) for i in range(lo, hi)])
            rows = []
            for i in range(lo, hi):
                rep = _iso(now - timedelta(days=rng.randint(30, 3000)))
                row = {"rkey": f"WYP|MISPER|missing_episode|H-{i}", "force": "WYP", "source": "MISPER",
                       "dataset": "missing", "handling": "OFFICIAL-SENSITIVE", "sharing": "national", "sequence": i + 1,
                       "subject": f"WYP|RMS|person|P-{i}", "risk": "low", "status": "found", "live": False,
                       "reported_at": rep, "last_seen_at": rep, "reviewed_at": rep, "found_at": rep,
                       "found_force": "WYP", "hours_missing": 0, "age": 30, "child": False, "vulnerabilities": "",
                       "rhi_at": None, "rhi_due": None}
                rows.append(tuple(row[c] for c in EPISODE_COLUMNS))
            insert_rows(conn, missing_episodes, EPISODE_COLUMNS, rows)
            print(f"  {hi:,} of {persons:,} person ids and past episodes ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr)
    items: list[Accepted] = []
    for i in range(LIVE_AT_SCALE):  # the live ones: persons P-0 .. P-1999, reported by WYP
        p = Accepted._build("WYP", "RMS", i + 1, "person", f"P-{i}", "upsert", "nominal", "OFFICIAL-SENSITIVE", at,
                            {"names": [{"given": [f"Given{i}"], "family": f"Family{i}", "kind": "primary"}],
                             "birth_dates": ["1990-01-01"]})
        rep = now - timedelta(hours=rng.randint(1, 200))
        e = Accepted._build("WYP", "MISPER", 10_000_000 + i, "missing_episode", f"L-{i}", "upsert", "missing",
                            "OFFICIAL-SENSITIVE", _iso(rep),
                            {"subject": {"type": "person", "ref": f"P-{i}", "source": "RMS"}, "reported_at": _iso(rep),
                             "risk": "high", "status": "missing", "contact": "WYP missing persons unit"})
        for a in (p, e):
            a.sharing, a.new_record, a.current = "national", True, True
        items += [p, e]
    with engine.connect() as conn, write_transaction(conn):
        for proj in (RecordsProjector(), MissingProjector()):
            proj.apply(conn, items)


def timed_calls(fn: Any, args: list[Any]) -> tuple[list[float], list[float]]:
    """Wall and process CPU times (ms) of ``fn(a)`` for each ``a``."""
    wall, cpu = [], []
    for a in args:
        t, c = time.perf_counter(), time.process_time()
        fn(a)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def lookup_at_scale(persons: int) -> list[str]:
    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.config import Settings
    from leds.db.engine import get_engine
    from leds.missing import service

    home = ROOT / "bench" / "out" / f"missing-lookup-{persons}" / "home"
    if not (home / ".seeded").exists():
        home.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        seed_lookup_store(home, persons)
        (home / ".seeded").write_text("ok")
        print(f"look-up store seeded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    officer = Principal("user:bench-officer", frozenset({"frontline_officer"}), "WYP", "SC",
                        frozenset({"nominal", "missing"}))
    lk = Lookup(officer, "incident_response", None, lambda e: 0)
    rng = random.Random(5)
    never = [f"WYP|RMS|person|Q-{i}" for i in range(300)]
    past = [f"WYP|RMS|person|P-{rng.randrange(LIVE_AT_SCALE, persons)}" for _ in range(300)]
    live_ = [f"WYP|RMS|person|P-{rng.randrange(LIVE_AT_SCALE)}" for _ in range(300)]
    out = []
    with get_engine(Settings(home=home)).connect() as conn:
        for k in never[:20] + live_[:20]:
            service.missing_for_check(conn, lk, [k])  # warm
        for name, keys in (("never missing", never), ("past episodes only", past), ("a live episode", live_)):
            wall, cpu = timed_calls(lambda k: service.missing_for_check(conn, lk, [k]), keys)
            out += [summary(f"1M: MISSING look-up, {name}", wall), summary("  the same, CPU time", cpu)]
    return out


def check_with_and_without(home: Path, persons: int) -> list[str]:
    """The person check as a front-line officer of WYP, for people with a live WYP episode and
    people never missing, with its MISSING look-up and with it replaced by an empty answer,
    interleaved query by query so that the machine's load falls on both alike."""
    from sqlalchemy import select

    import leds.checks.service as checks
    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.checks.models import PersonQuery
    from leds.config import Settings
    from leds.db.engine import get_engine
    from leds.missing.tables import missing_episodes as E
    from leds.search.tables import search_dobs

    real = checks.missing_for_check
    officer = Principal("user:bench-officer", frozenset({"frontline_officer"}), "WYP", "SC",
                        frozenset({"nominal", "missing"}))
    lk = Lookup(officer, "incident_response", None, lambda e: 0)
    out = []
    with get_engine(Settings(home=home)).connect() as conn:
        missing = [r[0] for r in conn.execute(select(E.c.subject).where(E.c.live.is_(True), E.c.force == "WYP")
                                              .order_by(E.c.subject).limit(100))]
        ever = {r[0] for r in conn.execute(select(E.c.subject).distinct())}
        quiet = [k for k in (f"{FORCES[i % len(FORCES)]}|RMS|person|P-{i}" for i in range(0, persons, 7))
                 if k not in ever][:100]
        dob = dict(conn.execute(select(search_dobs.c.rkey, search_dobs.c.dob)
                                .where(search_dobs.c.rkey.in_(missing + quiet))).all())

        def query(k: str) -> tuple[PersonQuery, str]:
            """The person's name and date of birth, and the person chosen (as the officer picks
            one from the candidates): the bench's made-up names do not always rank them first."""
            i = int(k.rsplit("-", 1)[1])
            return PersonQuery(surname=f"Family{i % 5000}", forename=f"Given{i}", dob=dob[k]), f"NP-{i:010d}"

        for name, keys in (("a person with a live episode", missing), ("a person not missing", quiet)):
            qs = [query(k) for k in keys if k in dob]
            with_, without = [], []
            shown = 0
            for q in qs:
                for on in (True, False):
                    checks.missing_for_check = real if on else (lambda *a, **kw: [])  # type: ignore[assignment]
                    c = time.process_time()
                    t = time.perf_counter()
                    ans = checks.person_check(conn, lk, *q)
                    (with_ if on else without).append(((time.perf_counter() - t) * 1000,
                                                       (time.process_time() - c) * 1000))
                    shown += bool(on and ans["missing"])
            checks.missing_for_check = real
            diff = [w[1] - o[1] for w, o in zip(with_, without, strict=True)]
            out += [summary(f"person check with MISSING, {name}", [w[0] for w in with_]),
                    summary("  the same, CPU time", [w[1] for w in with_]),
                    summary(f"person check without it, {name}", [o[0] for o in without]),
                    summary("  the same, CPU time", [o[1] for o in without]),
                    f"  added CPU per check: median {statistics.median(diff):.2f} ms, "
                    f"mean {statistics.fmean(diff):.2f} ms; MISSING shown on {shown} of {len(qs)} checks"]
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def summary(name: str, ms: list[float]) -> str:
    return (f"{name:<44} n={len(ms):>4}  p50 {statistics.median(ms):8.2f} ms  p95 {pct(ms, 95):8.2f} ms  "
            f"max {max(ms):8.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--live", type=int, default=5000)
    ap.add_argument("--historic", type=int, default=300_000)
    ap.add_argument("--persons", type=int, default=150_000)
    ap.add_argument("--pages", type=int, default=30, help="live-view pages timed (of 50 episodes)")
    ap.add_argument("--home", type=Path)
    ap.add_argument("--lookup-persons", type=int, default=1_000_000,
                    help="persons in the look-up store of step 6 (0: skip it)")
    args = ap.parse_args()
    home = args.home or ROOT / "bench" / "out" / f"missing-{args.live}-{args.historic}" / "home"
    from sqlalchemy import func, select

    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.config import Settings
    from leds.db.engine import get_engine
    from leds.missing import service, stats, timers
    from leds.missing.models import LiveFilters
    from leds.missing.tables import missing_episodes as E

    settings = Settings(home=home)
    built = False
    if not (home / ".seeded").exists():
        t0 = time.perf_counter()
        home.mkdir(parents=True, exist_ok=True)
        seed(home, args.live, args.historic, args.persons)
        (home / ".seeded").write_text("ok")
        print(f"seeded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        built = True
    ensure_person_ids(home, args.persons)
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    engine = get_engine(settings)
    with engine.connect() as conn:
        n_live = conn.execute(select(func.count()).select_from(E).where(E.c.live.is_(True))).scalar_one()
        n_all = conn.execute(select(func.count()).select_from(E)).scalar_one()
    coordinator = Principal("user:bench-coordinator", frozenset({"missing_persons_coordinator"}), "WYP", "SC",
                            frozenset({"nominal", "missing", "custody", "vehicle"}))
    events: list[Any] = []
    lk = Lookup(coordinator, "missing_person_enquiry", None, lambda e: events.append(e) or 0)

    cpu: dict[int, float] = {}

    def timed(fn: Any) -> float:
        """Wall time in ms; the process's CPU time for the same call is kept in ``cpu``
        (on a shared machine the wall time includes waiting for a core)."""
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall = (time.perf_counter() - t) * 1000
        cpu[len(cpu)] = (time.process_time() - c) * 1000
        return wall

    def cpu_of(n: int) -> list[float]:
        return [cpu[i] for i in range(len(cpu) - n, len(cpu))]

    with engine.connect() as conn:
        service.live(conn, lk, LiveFilters())  # warm
        pages = [timed(lambda p=p: service.live(conn, lk, LiveFilters(page=p)))
                 for p in range(1, args.pages + 1)]
        pages_cpu = cpu_of(len(pages))
        filters = [LiveFilters(force="WYP"), LiveFilters(risk="high"), LiveFilters(age_band="12-17"),
                   LiveFilters(min_hours=72), LiveFilters(repeat_only=True), LiveFilters(vulnerability="dementia")]
        filtered = [timed(lambda f=f: service.live(conn, lk, f)) for f in filters for _ in range(3)]
        filtered_cpu = cpu_of(len(filtered))
        # The coordinator's page also lists their force's overdue reviews and interviews.
        overdue = [timed(lambda: timers.overdue(conn, lk)) for _ in range(10)]
        overdue_cpu = cpu_of(len(overdue))
        stats.stats(conn, lk)
        st = [timed(lambda: stats.stats(conn, lk)) for _ in range(5)]
        st_cpu = cpu_of(len(st))
        live_subjects = [r[0] for r in conn.execute(select(E.c.subject).where(E.c.live.is_(True), E.c.force == "WYP")
                                                    .limit(200))]
        with_episodes = {r[0] for r in conn.execute(select(E.c.subject).distinct())}
        quiet = [k for k in (f"{FORCES[i % len(FORCES)]}|RMS|person|P-{i}" for i in range(args.persons))
                 if k not in with_episodes][:200]
        none_ms = [timed(lambda k=k: service.missing_for_check(conn, lk, [k])) for k in quiet]
        some_ms = [timed(lambda k=k: service.missing_for_check(conn, lk, [k])) for k in live_subjects]
        lookup_cpu = (cpu_of(len(none_ms) + len(some_ms))[:len(none_ms)], cpu_of(len(some_ms)))
    checks_lines = check_with_and_without(home, args.persons)
    scale_lines = lookup_at_scale(args.lookup_persons) if args.lookup_persons else []
    print(f"store: {n_all:,} episodes ({n_live:,} live), {args.persons:,} persons; SQLite at {home}"
          f"{' (built now)' if built else ''}")
    print(summary("live view, one page of 50 (all live)", pages))
    print(summary("  the same, CPU time of this process", pages_cpu))
    print(summary("live view, filtered (force/risk/age/72h/...)", filtered))
    print(summary("  the same, CPU time of this process", filtered_cpu))
    print(summary("coordinator's overdue list (on the same page)", overdue))
    print(summary("  the same, CPU time of this process", overdue_cpu))
    print(summary("statistics", st))
    print(summary("  the same, CPU time of this process", st_cpu))
    print(summary("MISSING look-up, person not missing", none_ms))
    print(summary("  the same, CPU time of this process", lookup_cpu[0]))
    print(summary("MISSING look-up, person with a live episode", some_ms))
    print(summary("  the same, CPU time of this process", lookup_cpu[1]))
    for line in checks_lines + scale_lines:
        print(line)
    print(f"load average before / after: {' '.join(load_before)} / "
          f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(f"command: .venv/bin/python bench/bench_missing.py --live {args.live} --historic {args.historic} "
          f"--persons {args.persons} --lookup-persons {args.lookup_persons}")


if __name__ == "__main__":
    main()
