"""Ingest benchmark: end-to-end ``leds ingest`` of person and marker updategrams
on SQLite and PostgreSQL, the raw ``executemany`` ceiling on each, and peak
memory at two input sizes (memory must not grow with file size).

    .venv/bin/python bench/bench_ingest.py                 # 1,000,000 updategrams
    .venv/bin/python bench/bench_ingest.py --lines 200000 --no-postgres

Prints a table and writes bench/out/ingest.json.  PostgreSQL is the local
server (started if it is not running), in a fresh database that is dropped
afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


from ceiling import raw_ceiling  # noqa: E402
from gen_updategrams import write  # noqa: E402
from leds.config import Settings  # noqa: E402
from leds.db.engine import dispose_all, get_engine  # noqa: E402
from pgdb import pg_database  # noqa: E402


def run_ingest(path: Path, env: dict[str, str]) -> dict:
    """``leds ingest --json`` in a child process; wall time and the child's peak RSS
    (the largest of it and its validation worker)."""
    # A wrapper process per run, so that its RUSAGE_CHILDREN peak is this run's alone.
    wrapper = ("import resource, subprocess, sys\n"
               "p = subprocess.run([sys.executable, '-m', 'leds.cli', 'ingest', sys.argv[1], '--json'])\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
               "sys.exit(p.returncode)")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrapper, str(path)], env=env, capture_output=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"ingest failed: {proc.stderr.decode()}")
    summary = json.loads(proc.stdout)
    peak_mb = round(int(proc.stderr.decode().strip().splitlines()[-1]) / 1024, 1)
    return {"wall_s": round(wall, 2), "per_s": round(summary["accepted"] / wall), "accepted": summary["accepted"],
            "peak_rss_mb": peak_mb}


def env_for(home: Path, url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDS_")}
    env["LEDS_HOME"] = str(home)
    if url:
        env["LEDS_DATABASE_URL"] = url
    return env


def measure_store(label: str, big: Path, lines: int, work: Path, url_factory) -> dict:  # type: ignore[no-untyped-def]
    url, drop = url_factory()
    home = work / f"home-{label}"
    try:
        result = run_ingest(big, env_for(home, url))
    finally:
        drop()
    url, drop = url_factory()
    try:
        engine = get_engine(Settings(home=work / f"ceiling-{label}", database_url_override=url))
        n, secs = raw_ceiling(engine, big)
        dispose_all()
    finally:
        drop()
    result.update(ceiling_per_s=round(n / secs), ratio_to_ceiling=round((n / secs) / result["per_s"], 2))
    print(f"{label:>10}: {result['per_s']:>8,}/s end to end ({result['wall_s']} s for {lines:,}), "
          f"ceiling {result['ceiling_per_s']:,}/s, ceiling/leds = {result['ratio_to_ceiling']}x, "
          f"peak RSS {result['peak_rss_mb']} MB", flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="leds-bench-"))
    try:
        small, big = work / "small.ndjson", work / "big.ndjson"
        write(small, args.lines // 10)
        write(big, args.lines)
        print(f"input: {args.lines:,} person and marker updategrams, {big.stat().st_size / 1e6:,.0f} MB; "
              f"machine: {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
        results: dict = {"lines": args.lines, "bytes": big.stat().st_size, "cores": os.cpu_count()}

        small_run = run_ingest(small, env_for(work / "home-small", None))
        results["peak_rss_mb_at_tenth"] = small_run["peak_rss_mb"]
        print(f"    memory: peak RSS {small_run['peak_rss_mb']} MB at {args.lines // 10:,} lines", flush=True)

        results["sqlite"] = measure_store("sqlite", big, args.lines, work, lambda: (None, dispose_all))
        if not args.no_postgres:
            results["postgresql"] = measure_store("postgresql", big, args.lines, work, pg_database)
        out = HERE / "out"
        out.mkdir(exist_ok=True)
        (out / "ingest.json").write_text(json.dumps(results, indent=2))
        print(f"command: .venv/bin/python bench/bench_ingest.py --lines {args.lines}"
              + (" --no-postgres" if args.no_postgres else ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
