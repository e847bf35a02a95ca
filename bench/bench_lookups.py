"""Work per look-up in one process, without HTTP: person checks, vehicle checks and
descriptive searches called as the API calls them (an investigator, force WYP, vetting SC;
the access policy and the audit writer on), over a store built by ``bench_checks.py``.

    .venv/bin/python bench/bench_lookups.py --home bench/out/checks-1000000/home

It uses the queries ``bench_checks.py`` drew and kept beside the store (``queries-N-seed.json``),
the last ``--n`` of each kind after ``--warm`` to warm up, and prints, per kind: wall time per
look-up (mean, p50, p95) and CPU time per look-up (``time.process_time``, which does not count
time the host stole), split into the request thread and the other threads (the audit writer).
HTTP figures are ``bench_checks.py``'s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True, help="a matched LEDS_HOME built by bench_checks.py")
    ap.add_argument("--queries", type=Path, help="queries file (default: the newest queries-*.json beside the store)")
    ap.add_argument("--kinds", default="person,vehicle,search")
    ap.add_argument("--n", type=int, default=1000, help="look-ups timed per kind")
    ap.add_argument("--warm", type=int, default=50, help="look-ups run first, not timed")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ["LEDS_HOME"] = str(args.home)
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_checks import drawn_queries, investigator_lookup
    from leds.checks.models import PersonQuery, SearchQuery, VehicleQuery
    from leds.checks.service import person_check, vehicle_check
    from leds.search.service import search

    qfile, drawn = drawn_queries(args.home, args.queries, "bench_lookups")
    engine, lookup = investigator_lookup(args.home)
    calls = {
        "person": lambda conn, b: person_check(conn, lookup, PersonQuery.model_validate(b)),
        "vehicle": lambda conn, b: vehicle_check(conn, lookup, VehicleQuery.model_validate(b)),
        "search": lambda conn, b: search(conn, lookup, SearchQuery.model_validate(b)),
    }
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(calls)
    if unknown:
        sys.exit(f"bench_lookups: unknown kind(s) {', '.join(sorted(unknown))}: use {', '.join(calls)}")
    report: dict[str, Any] = {"home": str(args.home), "queries": str(qfile), "machine": f"{os.cpu_count()} cores",
                              "kinds": {}}
    for kind in kinds:
        bodies = [{k: v for k, v in b.items() if k != "purpose"} for b in drawn[kind]]
        timed = bodies[-args.n:]
        for b in bodies[: args.warm]:
            with engine.connect() as conn:
                calls[kind](conn, b)
        walls = []
        cpu0, main0 = time.process_time(), time.thread_time()
        for b in timed:
            t = time.perf_counter()
            with engine.connect() as conn:
                calls[kind](conn, b)
            walls.append((time.perf_counter() - t) * 1000)
        cpu, main = time.process_time() - cpu0, time.thread_time() - main0
        n = len(timed)
        walls.sort()
        report["kinds"][kind] = {
            "n": n, "wall_mean_ms": statistics.mean(walls), "wall_p50_ms": walls[n // 2],
            "wall_p95_ms": walls[min(n - 1, int(n * 0.95))], "cpu_ms": cpu * 1000 / n,
            "cpu_request_thread_ms": main * 1000 / n, "cpu_other_threads_ms": (cpu - main) * 1000 / n}
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"machine: {report['machine']}; store {args.home}; in one process, no HTTP; policy and audit on")
    print(f"{'kind':<8} {'n':>5} {'wall mean':>10} {'p50':>7} {'p95':>7} {'cpu':>7} {'request':>8} {'others':>7}  (ms)")
    for kind, r in report["kinds"].items():
        print(f"{kind:<8} {r['n']:>5} {r['wall_mean_ms']:>10.2f} {r['wall_p50_ms']:>7.2f} {r['wall_p95_ms']:>7.2f} "
              f"{r['cpu_ms']:>7.2f} {r['cpu_request_thread_ms']:>8.2f} {r['cpu_other_threads_ms']:>7.2f}")


if __name__ == "__main__":
    main()
