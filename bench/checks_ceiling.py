"""The raw-SQL ceiling of a person check: how many could any program answer a second on
this machine, if it read what leds reads from this store and did nothing else?

    .venv/bin/python bench/checks_ceiling.py --home bench/out/checks-1000000/home

Over a store built by ``bench_checks.py`` and the person-check queries it drew:

1. **Capture.** In this process, ``--n`` person checks are run as the API runs them (an
   investigator, force WYP, vetting SC; the access policy and the audit writer on).  Every
   SQL statement a check's own thread sends to SQLite is recorded with its parameters, as
   the driver received them (SQLAlchemy's ``before_cursor_execute``).  The audit writer's
   statements, in its own thread, are counted apart.
2. **Raw SQL.** ``--procs`` processes (one per core, as ``leds serve --workers 2``) replay
   those statements with the ``sqlite3`` module and the serving connections' pragmas: each
   statement executed and every row fetched, nothing decoded, scored, redacted, audited or
   sent.  That is the least any program on this store spends on a person check's reads.
3. **leds.** The same number of processes run leds' own ``person_check`` over the same
   queries, in process (no HTTP), audit writer included.

Both run for ``--seconds`` each, one after the other, after a warm-up pass; the figures are
checks per second summed over the processes, and their ratio.  HTTP, the caller's token and
the audit entry cost more again: ``bench_checks.py --kinds floor`` measures that part.
Where ``r`` is the raw-SQL rate and ``f`` the floor's, two cores cannot answer more than about
``1 / (1/r + 1/f)`` audited person checks a second over HTTP, whatever the Python on top.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # bench_checks' helpers, here and in the replay processes

Statement = tuple[str, tuple[Any, ...]]


def _queries(home: Path, given: Path | None) -> list[dict[str, Any]]:
    from bench_checks import drawn_queries

    _qfile, drawn = drawn_queries(home, given, "checks_ceiling")
    return [{k: v for k, v in b.items() if k != "purpose"} for b in drawn["person"]]


def _leds(home: Path) -> tuple[Any, Any]:
    """(engine, a function running one person check for a query body)."""
    os.environ["LEDS_HOME"] = str(home)
    os.environ.setdefault("LEDS_SQLITE_CACHE_MB", "48")  # as `leds serve` sets them
    os.environ.setdefault("LEDS_SQLITE_RANDOM_READS", "1")
    from bench_checks import investigator_lookup
    from leds.checks.models import PersonQuery
    from leds.checks.service import person_check

    engine, lookup = investigator_lookup(home)

    def check(body: dict[str, Any]) -> None:
        with engine.connect() as conn:
            person_check(conn, lookup, PersonQuery.model_validate(body))

    return engine, check


def capture(home: Path, bodies: list[dict[str, Any]]) -> tuple[list[list[Statement]], int, str]:
    """Each check's statements (its own thread's), the audit writer's statement count, and
    the store's path."""
    from sqlalchemy import event

    engine, check = _leds(home)
    me = threading.get_ident()
    current: list[Statement] = []
    others = [0]

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if threading.get_ident() != me:
            others[0] += 1
        elif not executemany:
            current.append((statement, tuple(parameters or ())))

    for b in bodies[:20]:  # first-use work (the model, the statement caches) is not a check's
        check(b)
    from leds.db import fast

    driver_rows = fast.driver_rows

    def read(conn: Any, sql: str, values: Any) -> Any:  # leds' reads on the driver's own cursor
        if threading.get_ident() == me:
            current.append((sql, tuple(values)))
        return driver_rows(conn, sql, values)

    event.listen(engine, "before_cursor_execute", seen)
    fast.driver_rows = read  # type: ignore[assignment]
    out = []
    try:
        for b in bodies:
            current.clear()
            check(b)
            out.append(list(current))
    finally:
        fast.driver_rows = driver_rows  # type: ignore[assignment]
        event.remove(engine, "before_cursor_execute", seen)
    return out, others[0], engine.url.database


def _replay(path: str, checks: list[list[Statement]], seconds: float, ready: Any, go: Any, done: Any) -> None:
    # Autocommit mode: the driver runs the BEGIN each check sent, as leds' connections do
    # (SQLAlchemy's pysqlite dialect), and each check's read transaction is ended after it.
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("query_only=ON", "cache_size=-49152", "temp_store=MEMORY"):
        db.execute(f"PRAGMA {pragma}")
    cur = db.cursor()

    def one(stmts: list[Statement]) -> None:
        for sql, params in stmts:
            cur.execute(sql, params).fetchall()
        if db.in_transaction:
            db.execute("ROLLBACK")

    _timed(one, checks, seconds, ready, go, done)  # warm: this connection's page cache


def _own(home: str, bodies: list[dict[str, Any]], seconds: float, ready: Any, go: Any, done: Any) -> None:
    _engine, check = _leds(Path(home))
    _timed(check, bodies, seconds, ready, go, done)


def _timed(one: Any, items: list[Any], seconds: float, ready: Any, go: Any, done: Any) -> None:
    """``one`` over every item (a warm-up), then, once every process is ready, over the
    items again and again for ``seconds``; puts how many it ran in ``done``."""
    for item in items:
        one(item)
    ready.put(True)
    go.wait()
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        one(items[n % len(items)])
        n += 1
    done.put(n)


def _wait(q: Any, ps: list[Any], what: str) -> Any:
    """The next item of ``q``, or exit if a process died first."""
    import queue

    while True:
        try:
            return q.get(timeout=1)
        except queue.Empty:
            dead = [p.exitcode for p in ps if p.exitcode not in (None, 0)]
            if dead:
                for p in ps:
                    p.kill()
                sys.exit(f"checks_ceiling: a {what} process failed (exit codes {dead})")


def run_procs(target: Any, args: tuple[Any, ...], procs: int, seconds: float) -> float:
    """Checks a second, summed over ``procs`` processes running ``target`` at once."""
    ctx = mp.get_context("spawn")
    ready, go, done = ctx.Queue(), ctx.Event(), ctx.Queue()
    ps = [ctx.Process(target=target, args=(*args, seconds, ready, go, done)) for _ in range(procs)]
    for p in ps:
        p.start()
    for _ in ps:
        _wait(ready, ps, target.__name__)
    go.set()
    t = time.perf_counter()
    total = sum(_wait(done, ps, target.__name__) for _ in ps)
    elapsed = time.perf_counter() - t
    for p in ps:
        p.join()
    return total / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True, help="a matched LEDS_HOME built by bench_checks.py")
    ap.add_argument("--queries", type=Path, help="queries file (default: the newest queries-*.json beside the store)")
    ap.add_argument("--n", type=int, default=500, help="person checks captured and replayed")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    bodies = _queries(args.home, args.queries)[-args.n:]
    checks, writer_statements, path = capture(args.home, bodies)
    per_check = sum(map(len, checks)) / len(checks)
    print(f"captured {len(checks)} person checks: {per_check:.1f} statements each in the check's thread, "
          f"{writer_statements / len(checks):.1f} in the audit writer's", file=sys.stderr)
    raw = run_procs(_replay, (path, checks), args.procs, args.seconds)
    own = run_procs(_own, (str(args.home), bodies), args.procs, args.seconds)
    report = {"home": str(args.home), "machine": f"{os.cpu_count()} cores", "procs": args.procs,
              "checks": len(checks), "statements_per_check": round(per_check, 2),
              "raw_sql_per_s": round(raw, 1), "leds_per_s": round(own, 1), "ratio": round(own / raw, 3)}
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"machine: {report['machine']}; store {args.home}; {args.procs} processes; {len(checks)} person checks, "
          f"{per_check:.1f} statements each")
    print(f"raw SQL (sqlite3, reads only):            {raw:>8,.1f} checks/s")
    print(f"leds person_check (policy, audit, no HTTP): {own:>6,.1f} checks/s  ({own / raw:.3f} of raw SQL)")


if __name__ == "__main__":
    main()
