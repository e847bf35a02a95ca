"""Benchmark ``leds synth``: generate N synthetic persons into a temporary directory.

Prints persons per second, records written, bytes written, elapsed wall time, CPU time and
peak resident memory of this process and of the largest worker, then the command that
reproduces the run.

    .venv/bin/python bench/bench_synth.py --persons 1000000
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from leds.synth import generate


def _mb(kib: int) -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS
    return kib / (1024 * 1024) if sys.platform == "darwin" else kib / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="true persons to generate (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: min(2, CPUs))")
    parser.add_argument("--dir", type=Path, default=None, help="parent directory for the output (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and print where they are")
    args = parser.parse_args(argv)

    parent = tempfile.mkdtemp(prefix="leds-bench-synth-", dir=args.dir)
    out = Path(parent) / "out"
    try:
        wall0, cpu0 = time.perf_counter(), os.times()
        report = generate(out, args.persons, args.seed, progress=False, workers=args.workers)
        elapsed = time.perf_counter() - wall0
        cpu1 = os.times()
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        if not args.keep:
            shutil.rmtree(parent, ignore_errors=True)

    self_rss = _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    child_rss = _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    cpu_parent = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    cpu_children = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3

    print("leds synth benchmark")
    print(f"  persons            {args.persons:,}")
    print(f"  seed               {args.seed}")
    print(f"  workers            {report.workers}  (CPUs: {os.cpu_count()}, {platform.python_implementation()} {platform.python_version()})")
    print(f"  records written    {report.records:,}  ({report.person_records:,} person records, {len(report.files)} files)")
    print(f"  bytes written      {written / 1e9:.2f} GB")
    print(f"  elapsed            {elapsed:.1f} s")
    print(f"  persons/s          {args.persons / elapsed:,.0f}")
    print(f"  records/s          {report.records / elapsed:,.0f}")
    print(f"  CPU parent         {cpu_parent:.1f} s")
    print(f"  CPU workers        {cpu_children:.1f} s")
    print(f"  peak RSS parent    {self_rss:.0f} MB")
    print(f"  peak RSS worker    {child_rss:.0f} MB  (largest single worker)")
    print(f"  load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.keep:
        print(f"  output kept in     {out}")
    cmd = [".venv/bin/python", "bench/bench_synth.py", "--persons", str(args.persons), "--seed", str(args.seed)]
    if args.workers is not None:
        cmd += ["--workers", str(args.workers)]
    print(f"  reproduce with     {shlex.join(cmd)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
