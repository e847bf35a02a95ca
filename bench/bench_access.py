"""What the access policy adds to a look-up, measured in one run.

A "check" here is the core of a person check: fetch a person record and its
markers by key.  It is timed three ways over the same keys:

* bare:          one hand-written SELECT, no query building and no views (a floor);
* no policy:     the same code path as below with the policy off (the system
                 principal: no row predicates, no redaction);
* policy:        through leds.access.policy.read_records, as a frontline
                 officer (authorisation, SQL row predicates, redaction), with
                 a no-op audit sink;
* policy+audit:  the same, with the real hash-chained audit writer.

    .venv/bin/python bench/bench_access.py --lines 200000 --lookups 5000
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sqlalchemy import text  # noqa: E402

from gen_updategrams import write  # noqa: E402
from leds.access.policy import Principal, read_records  # noqa: E402
from leds.config import Settings  # noqa: E402
from leds.db.engine import dispose_all, get_engine  # noqa: E402
from leds.ingest.pipeline import Ingestor, ingest_paths  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--lookups", type=int, default=5_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="leds-bench-access-"))
    try:
        data = work / "in.ndjson"
        write(data, args.lines)
        settings = Settings(home=work / "home")
        ingest_paths(Ingestor(settings), [data])
        engine = get_engine(settings)
        with engine.connect() as c:
            persons = [r[0] for r in c.execute(text("SELECT rkey FROM records WHERE rtype = 'person'"))]
            marker_of: dict[str, list[str]] = {}
            for rkey, target in c.execute(text("SELECT rkey, target FROM record_refs WHERE role = 'subject'")):
                marker_of.setdefault(target, []).append(rkey)
        keys = random.Random(1).sample(persons, min(args.lookups, len(persons)))
        officer = Principal("user:bench", frozenset({"frontline_officer"}), "WYP", "NPPV2",
                            frozenset({"nominal", "custody", "crime"}))
        from leds.audit import get_writer

        writer = get_writer(settings)

        def bare(conn, k):  # type: ignore[no-untyped-def]
            want = [k, *marker_of.get(k, [])]
            marks = ", ".join(f":k{i}" for i in range(len(want)))
            return conn.execute(text(f"SELECT * FROM records WHERE rkey IN ({marks})"),  # noqa: S608
                                {f"k{i}": v for i, v in enumerate(want)}).all()

        def policy(conn, k, sink):  # type: ignore[no-untyped-def]
            return read_records(conn, officer, "incident_response", action="check", audit=sink,
                                rkeys=[k, *marker_of.get(k, [])])

        def no_policy(conn, k):  # type: ignore[no-untyped-def]
            # The same code path with the policy switched off: the system principal
            # has no row predicates and no redactions.
            return read_records(conn, Principal.system(), "system_maintenance", rkeys=[k, *marker_of.get(k, [])])

        runs = {
            "bare": lambda conn, k: bare(conn, k),
            "no policy": no_policy,
            "policy": lambda conn, k: policy(conn, k, lambda e: 0),
            "policy+audit": lambda conn, k: policy(conn, k, writer.record),
        }
        results = {}
        with engine.connect() as conn:
            for k in keys[:200]:  # warm caches equally for all three
                bare(conn, k)
            for name, fn in runs.items():
                times = []
                for k in keys:
                    t = time.perf_counter()
                    fn(conn, k)
                    times.append(time.perf_counter() - t)
                results[name] = {"p50_ms": round(pct(times, 50), 3), "p95_ms": round(pct(times, 95), 3),
                                 "mean_ms": round(statistics.mean(times) * 1000, 3)}
        base = results["no policy"]["mean_ms"]
        for name, r in results.items():
            r["vs_no_policy_pct"] = round((r["mean_ms"] / base - 1) * 100, 1)
            print(f"{name:>13}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, mean {r['mean_ms']} ms "
                  f"({r['vs_no_policy_pct']:+.1f}% vs the same path without the policy)")
        writer.close()
        (HERE / "out").mkdir(exist_ok=True)
        (HERE / "out" / "access.json").write_text(json.dumps(results, indent=2))
        print(f"command: .venv/bin/python bench/bench_access.py --lines {args.lines} --lookups {args.lookups}")
    finally:
        dispose_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
