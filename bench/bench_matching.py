"""Matching benchmark: deduplicate N synthetic persons' records end to end (load through
the access policy, predict with the saved model, cluster, write ids), with plain
Splink's figure on the same records, peak memory, and real-time p95 per new record.

    .venv/bin/python bench/bench_matching.py --persons 50000 --work /tmp/leds-bench-match

The first run trains a model (timed separately); the timed batch run loads it.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

from leds.config import Settings
from leds.db.engine import dispose_all
from leds.ingest.pipeline import Ingestor, ingest_paths
from leds.matching.batch import run_match
from leds.matching.engine import Backend, arrow_table
from leds.matching.evaluate import plain_splink
from leds.matching.features import columns_of, load_features
from leds.synth import generate


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path("/tmp/leds-bench-match"))
    ap.add_argument("--realtime", type=int, default=300, help="new records to time in real time")
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    synth, held = args.work / "synth", args.work / "held"
    settings = Settings(home=args.work / "home")
    t = time.perf_counter()
    generate(synth, persons=args.persons, seed=args.seed, progress=True)
    generate(held, persons=max(args.realtime, 50), seed=args.seed + 1000, progress=False)
    print(f"synth: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    t = time.perf_counter()
    ingest_paths(Ingestor(settings), sorted(synth.rglob("*.ndjson")))
    print(f"ingest: {time.perf_counter() - t:.1f} s", file=sys.stderr)

    train = run_match(settings, say=lambda m: print(m, file=sys.stderr))
    print(f"training run: {train.timings}", file=sys.stderr)
    res = run_match(settings, say=lambda m: print(m, file=sys.stderr))  # timed: model loaded

    t = time.perf_counter()
    from leds.db.engine import get_engine

    with get_engine(settings).connect() as conn:
        rows = load_features(conn)
    backend = Backend("duckdb")
    plain_splink(backend, backend.register("plain", arrow_table(columns_of(rows))))
    plain_s = time.perf_counter() - t

    # Real time: new person records ingested one updategram file per record batch.
    # A source name of its own, so (force, source, sequence) never collides with the batch data.
    lines = [ln.replace(b'"source":"', b'"source":"RT-', 1)
             for p in sorted(held.rglob("*.ndjson")) for ln in p.read_bytes().splitlines()]
    ingestor = Ingestor(settings, batch_size=1)
    times = []
    person_lines = [(i, ln) for i, ln in enumerate(lines, 1) if b'"type":"person"' in ln][: args.realtime]
    for i, ln in person_lines:
        t = time.perf_counter()
        summary = ingestor.ingest_lines([(i, ln)], "bench-realtime")
        assert summary.accepted == 1, summary.as_dict()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] if times else float("nan")
    print(f"persons {args.persons:,}  person records {res.records:,}  pairs scored {res.pairs_scored:,}  "
          f"clusters {res.clusters:,}")
    print(f"leds batch (load+predict+cluster+write): {res.timings['total_s']:.1f} s  {res.timings}")
    print(f"plain Splink (load+train+predict+cluster, same records): {plain_s:.1f} s")
    print(f"real-time ingest of one new person record: p50 {statistics.median(times):.1f} ms, "
          f"p95 {p95:.1f} ms over {len(times)} records (includes validation and the log append)")
    print(f"peak RSS {peak_mb():.0f} MB")
    print(f"reproduce: .venv/bin/python bench/bench_matching.py --persons {args.persons} --seed {args.seed}")
    dispose_all()


if __name__ == "__main__":
    main()
