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
   This is what the look-up adds to a check; the probe's cost does not depend on the number
   of persons, only on the episodes index.
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
    args = ap.parse_args()
    home = args.home or ROOT / "bench" / "out" / f"missing-{args.live}-{args.historic}" / "home"
    from sqlalchemy import func, select

    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.config import Settings
    from leds.db.engine import get_engine
    from leds.missing import service, stats
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
    print(f"store: {n_all:,} episodes ({n_live:,} live), {args.persons:,} persons; SQLite at {home}"
          f"{' (built now)' if built else ''}")
    print(summary("live view, one page of 50 (all live)", pages))
    print(summary("  the same, CPU time of this process", pages_cpu))
    print(summary("live view, filtered (force/risk/age/72h/...)", filtered))
    print(summary("  the same, CPU time of this process", filtered_cpu))
    print(summary("statistics", st))
    print(summary("  the same, CPU time of this process", st_cpu))
    print(summary("MISSING look-up, person not missing", none_ms))
    print(summary("MISSING look-up, person with a live episode", some_ms))
    print(f"command: .venv/bin/python bench/bench_missing.py --live {args.live} --historic {args.historic} "
          f"--persons {args.persons}")


if __name__ == "__main__":
    main()
