"""Matching benchmark: deduplicate N synthetic persons' records end to end, with plain
Splink on the same records in the same run, peak memory, and real-time p95 per new record.

    .venv/bin/python bench/bench_matching.py --persons 1000000 --work /tmp/leds-bench-match

Stages, each timed:

1. ``leds synth --persons N`` (a child process);
2. ``leds ingest`` of every file it wrote (a child process);
3. a first ``leds match`` that trains the model (a child process; timed, but not the figure);
4. **the figure**: ``leds match --json`` with the saved model, a child process timed from
   start to exit (load features through the access policy, predict, cluster, write ids),
   with its own per-stage timings, its peak RSS and DuckDB's peak memory;
5. plain Splink (names and date of birth, default training) on the same records, in this
   process (load, train, predict, cluster), with this process's peak RSS;
6. real time: new person records of other people ingested one per transaction into the
   matched store, p50/p95 per record.

``--reuse`` keeps a store from an earlier run in the same ``--work`` (skipping stages 1-3
when their output is there), to profile the batch run alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.ingest.pipeline import Ingestor
from leds.synth import generate

LEDS = str(Path(sys.executable).with_name("leds"))


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: list[str], env: dict[str, str], *, capture: bool = False) -> tuple[float, float, str]:
    """Run a child process; its wall time (s), peak RSS (MB) and standard output."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE if capture else None, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed (exit {os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_maxrss / 1024, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path("/tmp/leds-bench-match"))
    ap.add_argument("--realtime", type=int, default=300, help="new records to time in real time")
    ap.add_argument("--reuse", action="store_true", help="keep the synth output, store and model of an earlier run")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain Splink run")
    ap.add_argument("--timed-runs", type=int, default=1,
                    help="consecutive timed runs (the first after training writes every id; later ones only changes)")
    args = ap.parse_args()
    synth, held, home = args.work / "synth", args.work / "held", args.work / "home"
    settings = Settings(home=home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDS_")} | {"LEDS_HOME": str(home)}
    report: dict[str, Any] = {"persons": args.persons, "seed": args.seed, "cpus": os.cpu_count(),
                              "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                                         f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB",
                              "python": platform.python_version()}
    if not args.reuse:
        shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True, exist_ok=True)

    if not (synth / "manifest.json").exists():
        say(f"synth: {args.persons:,} persons")
        report["synth_s"], _, _ = child([LEDS, "synth", "--persons", str(args.persons), "--seed", str(args.seed),
                                         "--out", str(synth), "-q"], env)
    if not (held / "manifest.json").exists():
        generate(held, persons=max(args.realtime, 50), seed=args.seed + 1000, progress=False)

    if not (home / "ingested").exists():
        files = sorted(str(p) for p in synth.rglob("*.ndjson"))
        say(f"ingest: {len(files)} files")
        report["ingest_s"], report["ingest_peak_mb"], out = child([LEDS, "ingest", "--json", *files], env, capture=True)
        report["ingest"] = json.loads(out)
        (home / "ingested").write_text(json.dumps(report["ingest"]))

    if not (home / "models").exists():
        say("training run: leds match (trains the model)")
        report["training_run_s"], report["training_run_peak_mb"], out = child([LEDS, "match", "--json"], env,
                                                                              capture=True)
        report["training_run"] = json.loads(out)["timings"]

    runs = []
    for i in range(args.timed_runs):
        say(f"timed run {i + 1}: leds match --json (the saved model)")
        wall, rss, out = child([LEDS, "match", "--json"], env, capture=True)
        run = json.loads(out)
        runs.append({"wall_s": round(wall, 1), "peak_rss_mb": round(rss), "records": run["records"],
                     "pairs_scored": run["pairs_scored"], "clusters": run["clusters"], "timings": run["timings"],
                     "memory": run.get("memory", {}), "written": run.get("written", {}), "events": run["events"]})
    report["leds_runs"] = runs

    if not args.no_plain:
        say("plain Splink on the same records")
        from leds.matching.engine import Backend, arrow_table
        from leds.matching.evaluate import plain_splink
        from leds.matching.features import columns_of, load_features

        t0 = time.perf_counter()
        with get_engine(settings).connect() as conn:
            rows = load_features(conn)
        backend = Backend("duckdb")
        table = backend.register("plain", arrow_table(columns_of(rows)))
        n = len(rows)
        del rows
        t1 = time.perf_counter()
        with backend.track_memory() as duck:
            pairs, clusters = plain_splink(backend, table)
        t2 = time.perf_counter()
        report["plain_splink"] = {"wall_s": round(t2 - t0, 1), "load_s": round(t1 - t0, 1),
                                  "train_predict_cluster_s": round(t2 - t1, 1), "records": n,
                                  "pairs": len(pairs), "clusters": len(set(clusters.values())),
                                  "peak_rss_mb": round(peak_mb()), "duckdb_peak_mb": round(duck.peak_mb)}
        del backend, table, pairs, clusters

    # Real time: new person records ingested one updategram per transaction.  A source name
    # of its own, so (force, source, sequence) never collides with the batch data or a
    # previous run's.
    say(f"real time: {args.realtime} new person records, one per transaction")
    tag = f"RT{int(time.time()) % 100_000}-".encode()  # new records on every run, also with --reuse
    lines = [ln.replace(b'"source":"', b'"source":"' + tag, 1)
             for p in sorted(held.rglob("*.ndjson")) for ln in p.read_bytes().splitlines()]
    ingestor = Ingestor(settings, batch_size=1)
    times = []
    person_lines = [(i, ln) for i, ln in enumerate(lines, 1) if b'"record":{"type":"person"' in ln][: args.realtime]
    for i, ln in person_lines:
        t = time.perf_counter()
        summary = ingestor.ingest_lines([(i, ln)], "bench-realtime")
        assert summary.accepted == 1, summary.as_dict()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    if times:
        report["realtime_ms"] = {"p50": round(statistics.median(times), 2),
                                 "p95": round(times[int(0.95 * (len(times) - 1))], 2),
                                 "max": round(times[-1], 2), "n": len(times)}
    dispose_all()

    print(json.dumps(report, indent=1))
    for i, r in enumerate(runs, 1):
        if i == 1:
            print(f"\npersons {args.persons:,}  person records {r['records']:,}  pairs scored {r['pairs_scored']:,}  "
                  f"clusters {r['clusters']:,}", file=sys.stderr)
        print(f"leds match run {i}, end to end (child process): {r['wall_s']} s; stages {r['timings']}; "
              f"peak RSS {r['peak_rss_mb']} MB; DuckDB {r['memory']}; written {r['written']}", file=sys.stderr)
    if "plain_splink" in report:
        ps = report["plain_splink"]
        print(f"plain Splink, same records: {ps['wall_s']} s (load {ps['load_s']}, train+predict+cluster "
              f"{ps['train_predict_cluster_s']}); peak RSS {ps['peak_rss_mb']} MB, DuckDB {ps['duckdb_peak_mb']} MB",
              file=sys.stderr)
    if times:
        rt = report["realtime_ms"]
        print(f"real time, one new person record per transaction: p50 {rt['p50']} ms, p95 {rt['p95']} ms "
              f"over {rt['n']} records (includes validation and the log append)", file=sys.stderr)
    print(f"reproduce: .venv/bin/python bench/bench_matching.py --persons {args.persons} --seed {args.seed}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
