"""Audit benchmark (SQLite): what auditing costs a read, and how fast the chain verifies.

    .venv/bin/python bench/bench_audit.py                     # 16 readers, 5 s per mode, 100k verify
    .venv/bin/python bench/bench_audit.py --threads 16 --seconds 10 --verify-entries 100000

Each "read" checks a connection out of the store's pool and runs a small
SELECT on a table the benchmark creates (``bench_items``, not an audit table).
Modes, each with the same reader threads:

* ``no audit``: the read alone;
* ``group commit``: the read, then ``AuditWriter.record(event)`` (blocks until
  committed; concurrent callers share transactions);
* ``one txn per read``: the read, then ``append`` in its own write transaction
  (what a naive handler would do), for comparison.

Then the chain verify rate over ``--verify-entries`` entries.  Prints a table
and writes bench/out/audit.json.  No timings are asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from sqlalchemy import Engine, text  # noqa: E402

from leds.audit import AuditEvent, AuditWriter, append, verify  # noqa: E402
from leds.audit.keys import get_signer  # noqa: E402
from leds.config import Settings  # noqa: E402
from leds.db.engine import dispose_all, get_engine, write_transaction  # noqa: E402


def setup_items(engine: Engine) -> None:
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_items (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
        conn.execute(text("INSERT INTO bench_items (id, v) VALUES (:i, :v)"),
                     [{"i": i, "v": f"item-{i}"} for i in range(1, 1001)])


def event(t: int, i: int) -> AuditEvent:
    return AuditEvent("consultation", f"officer-{t}", purpose="investigation",
                      subjects=(f"WYP|NICHE-RMS|person|P-{i % 1000}",), detail={"kind": "check", "endpoint": "bench"})


def run(engine: Engine, threads: int, seconds: float, audit: Callable[[int, int], None] | None) -> dict:
    stop = time.perf_counter() + seconds
    counts = [0] * threads
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        try:
            barrier.wait()
            i = 0
            while time.perf_counter() < stop:
                started = time.perf_counter()
                with engine.connect() as conn:
                    conn.execute(text("SELECT v FROM bench_items WHERE id = :i"), {"i": i % 1000 + 1}).scalar_one()
                if audit is not None:
                    audit(t, i)
                latencies[t].append(time.perf_counter() - started)
                i += 1
            counts[t] = i
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    began = time.perf_counter()
    for p in pool:
        p.start()
    for p in pool:
        p.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"benchmark failed: {errors[0]!r}")
    lat = sorted(x for per in latencies for x in per)
    total = sum(counts)
    return {"reads": total, "seconds": round(elapsed, 2), "reads_per_s": round(total / elapsed),
            "p50_ms": round(statistics.median(lat) * 1000, 2), "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--verify-entries", type=int, default=100_000)
    args = ap.parse_args()

    results: dict = {"threads": args.threads, "seconds_per_mode": args.seconds, "machine": platform.platform(),
                     "python": platform.python_version()}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home")
        engine = get_engine(settings)
        setup_items(engine)

        results["no_audit"] = run(engine, args.threads, args.seconds, None)

        writer = AuditWriter(engine, settings=settings)
        results["group_commit"] = run(engine, args.threads, args.seconds,
                                      lambda t, i: writer.record(event(t, i)) and None)
        writer.close()
        results["group_commit"]["commits"] = writer.commits
        results["group_commit"]["entries_per_commit"] = round(writer.entries / max(writer.commits, 1), 1)

        signer = get_signer(settings)

        def per_read(t: int, i: int) -> None:
            with engine.connect() as conn, write_transaction(conn):
                append(conn, [event(t, i)], signer=signer)

        results["one_txn_per_read"] = run(engine, args.threads, args.seconds, per_read)
        rep = verify(engine, settings)
        assert rep.ok, rep.problems
        results["chain_after_modes"] = {"entries": rep.entries, "checkpoints": rep.checkpoints}
        dispose_all()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home")
        engine = get_engine(settings)
        signer = get_signer(settings)
        n = args.verify_entries
        started = time.perf_counter()
        for start in range(0, n, 1000):
            with engine.connect() as conn, write_transaction(conn):
                append(conn, [event(i % 16, i) for i in range(start, min(n, start + 1000))], signer=signer)
        append_s = time.perf_counter() - started
        started = time.perf_counter()
        rep = verify(engine, settings)
        verify_s = time.perf_counter() - started
        assert rep.ok and rep.entries == n, rep.problems
        results["verify"] = {"entries": n, "checkpoints": rep.checkpoints,
                             "append_s": round(append_s, 2), "append_per_s": round(n / append_s),
                             "verify_s": round(verify_s, 2), "verify_per_s": round(n / verify_s)}
        dispose_all()

    print(f"audit benchmark, SQLite, {args.threads} reader threads, {args.seconds:g} s per mode")
    print(f"{'mode':<20}{'reads/s':>10}{'p50 ms':>10}{'p99 ms':>10}  notes")
    base = results["no_audit"]["reads_per_s"]
    for key, label in (("no_audit", "no audit"), ("group_commit", "group commit"),
                       ("one_txn_per_read", "one txn per read")):
        r = results[key]
        note = "" if key == "no_audit" else f"{r['reads_per_s'] / base:.0%} of unaudited"
        if key == "group_commit":
            note += f"; {r['commits']:,} commits, {r['entries_per_commit']} entries/commit"
        print(f"{label:<20}{r['reads_per_s']:>10,}{r['p50_ms']:>10}{r['p99_ms']:>10}  {note}")
    v = results["verify"]
    print(f"verify: {v['entries']:,} entries, {v['checkpoints']} checkpoints in {v['verify_s']} s "
          f"({v['verify_per_s']:,} entries/s); bulk append {v['append_per_s']:,} entries/s (batches of 1000)")
    cmd = (f".venv/bin/python bench/bench_audit.py --threads {args.threads} --seconds {args.seconds:g} "
           f"--verify-entries {args.verify_entries}")
    print(f"reproduce: {cmd}")
    results["command"] = cmd
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "audit.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
