"""Data quality and reporting benchmark.

* ingest with the quality counters against ingest without them, in the same run (alternating,
  fresh SQLite stores, the same file, which goes first alternating; the medians), target <= 10% slower;
* the full recompute of every quality figure with DuckDB, over the store just loaded;
* dashboard pages (scorecard, framework, stop and search, MI): p50/p95 over repeated requests
  through the ASGI app in process (Starlette's TestClient), target p95 <= 300 ms;
* importing a large data.police.uk street-level file (the City of London's real rows repeated
  to the size asked), target a million rows in <= 30 s.

    .venv/bin/python bench/bench_quality.py                      # 60,000 updategrams, 1,000,000 street rows
    .venv/bin/python bench/bench_quality.py --lines 200000 --street-rows 200000 --rounds 3

Prints the figures and the command, and writes bench/out/quality.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import orjson  # noqa: E402

from leds.config import Settings  # noqa: E402
from leds.db.engine import dispose_all, get_engine  # noqa: E402
from leds.ingest import projectors  # noqa: E402
from leds.ingest.pipeline import Ingestor, ingest_paths  # noqa: E402

POLICE_UK = Path("/work/shared/data/police-uk")
FORCES = ["WYP", "MPS", "GMP", "DER", "PSNI", "MER", "SYP", "TVP"]
ROLES = ["resides_at", "associate", "keeper", "subject", "Co-Habitee", "family"]
KINDS = ["arrest", "arrest", "crime", "custody", "ASB_REPORT"]


def write_updategrams(path: Path, n: int, seed: int = 11) -> int:
    """Persons (one in ten without a date of birth), links (some with a non-standard role) and
    events (arrests, some issued days late): about 50/30/20."""
    rnd = random.Random(seed)
    seq: dict[str, int] = {}
    written = 0
    with path.open("wb") as out:
        for i in range(n):
            force = FORCES[i % len(FORCES)]
            seq[force] = seq.get(force, 0) + 1
            r = rnd.random()
            day = 1 + i % 28
            issued = f"2025-02-{day:02d}T12:00:00Z"
            if r < 0.5:
                data = {"names": [{"given": [f"Given{i}"], "family": f"Family{i % 997}"}], "sex": "MF"[i % 2]}
                if rnd.random() > 0.1:
                    data["birth_dates"] = [f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}"]
                rec = {"type": "person", "ref": f"P-{i}", "dataset": "nominal", "handling": "OFFICIAL", "data": data}
            elif r < 0.8:
                rec = {"type": "link", "ref": f"L-{i}", "dataset": "nominal", "handling": "OFFICIAL",
                       "data": {"from": {"type": "person", "ref": f"P-{i - 1}"},
                                "to": {"type": "person", "ref": f"P-{i - 3}"}, "role": rnd.choice(ROLES)}}
            else:
                late = rnd.random() < 0.15
                rec = {"type": "event", "ref": f"E-{i}", "dataset": "custody", "handling": "OFFICIAL",
                       "data": {"kind": rnd.choice(KINDS), "description": "bench",
                                "occurred_at": f"2025-02-{max(1, day - (3 if late else 0)):02d}T10:00:00Z"}}
            out.write(orjson.dumps({"updategram": "1", "force": force, "source": "BENCH", "sequence": seq[force],
                                    "issued_at": issued, "op": "upsert", "record": rec}) + b"\n")
            written += 1
    return written


def ingest_once(path: Path, *, quality: bool) -> tuple[float, Settings]:
    quality_projector = projectors._REGISTRY.get("quality")  # noqa: SLF001 (the bench switches it off)
    if quality_projector is None:
        projectors.registered()
        quality_projector = projectors._REGISTRY["quality"]  # noqa: SLF001
    if not quality:
        projectors._REGISTRY.pop("quality")  # noqa: SLF001
    try:
        settings = Settings(home=Path(tempfile.mkdtemp(prefix="leds-bench-quality-")) / "home")
        get_engine(settings)  # migrations outside the timing
        started = time.perf_counter()
        s = ingest_paths(Ingestor(settings), [path])
        elapsed = time.perf_counter() - started
        assert s.quarantined == 0, s.as_dict()
    finally:
        projectors._REGISTRY["quality"] = quality_projector  # noqa: SLF001
    return elapsed, settings


def dashboard(settings: Settings, requests: int) -> dict[str, dict[str, float]]:
    from fastapi.testclient import TestClient

    from leds.access import identity
    from leds.app import create_app

    settings = settings.model_copy(update={"cookie_secure": False})  # the TestClient speaks plain http
    engine = get_engine(settings)
    identity.create_user(engine, "bench-dm", roles=["force_data_manager", "national_data_office_analyst"],
                         force="WYP", vetting="SC", password="correct horse battery staple")
    c = TestClient(create_app(settings), base_url="http://127.0.0.1")
    token = c.get("/sign-in").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post("/sign-in", data={"username": "bench-dm", "password": "correct horse battery staple",
                                 "csrf_token": token, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    pages = {"/quality": {}, "/quality?period=week&by=source": {}, "/quality/framework": {},
             "/quality/framework/WYP": {}, "/reports/stop-search": {"force": "metropolitan"}, "/reports": {}}
    out = {}
    for url, params in pages.items():
        assert c.get(url, params=params).status_code == 200, url  # warm
        times = []
        for _ in range(requests):
            t = time.perf_counter()
            c.get(url, params=params)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[url] = {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * len(times)) - 1], 1)}
    return out


def street_file(path: Path, rows: int) -> int:
    src = (POLICE_UK / "2023-05-city-of-london-street.csv").read_text().splitlines(keepends=True)
    header, body = src[0], src[1:]
    written = 0
    with path.open("w") as out:
        out.write(header)
        while written < rows:
            chunk = body[: rows - written]
            out.writelines(chunk)
            written += len(chunk)
    return written


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=60_000)
    ap.add_argument("--street-rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--requests", type=int, default=40)
    args = ap.parse_args()
    cmd = f".venv/bin/python bench/bench_quality.py --lines {args.lines} --street-rows {args.street_rows} " \
          f"--rounds {args.rounds} --requests {args.requests}"
    work = Path(tempfile.mkdtemp(prefix="leds-bench-quality-"))
    ndjson = work / "updategrams.ndjson"
    write_updategrams(ndjson, args.lines)

    warm = work / "warm.ndjson"
    write_updategrams(warm, 2000, seed=3)
    ingest_once(warm, quality=True)  # imports, caches and the first store's set-up outside the timing
    dispose_all()
    without, with_q = [], []
    settings = None
    for i in range(args.rounds):
        for quality in ((False, True) if i % 2 == 0 else (True, False)):  # alternate which goes first
            t, st = ingest_once(ndjson, quality=quality)
            (with_q if quality else without).append(t)
            if quality:
                settings = st
            dispose_all()
    assert settings is not None
    best_without, best_with = statistics.median(without), statistics.median(with_q)
    overhead = 100 * (best_with / best_without - 1)

    from leds.opendata.importer import import_file
    from leds.quality.recompute import differences, recompute

    engine = get_engine(settings)
    again = recompute(engine)
    diffs = differences(engine, again)
    import_file(engine, POLICE_UK / "2022-08-metropolitan-stop-and-search.csv")

    dash = dashboard(settings, args.requests)

    street = work / "2023-05-city-of-london-street.csv"
    n = street_file(street, args.street_rows)
    od_settings = Settings(home=work / "od-home")
    od_engine = get_engine(od_settings)
    started = time.perf_counter()
    res = import_file(od_engine, street)
    import_s = time.perf_counter() - started
    assert res.rows == n, res.as_dict()
    started = time.perf_counter()
    again_res = import_file(od_engine, street)
    reimport_s = time.perf_counter() - started
    assert again_res.unchanged

    figures = {
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "command": cmd,
        "ingest": {"lines": args.lines, "rounds": args.rounds,
                   "without_quality_s": [round(x, 2) for x in without], "with_quality_s": [round(x, 2) for x in with_q],
                   "median_without_per_s": round(args.lines / best_without), "median_with_per_s": round(args.lines / best_with),
                   "overhead_pct": round(overhead, 1), "target_pct": 10},
        "recompute": {"records": again.records, "log_entries": again.log_entries, "seconds": round(again.seconds, 2),
                      "records_per_s": round(again.records / again.seconds) if again.seconds else None,
                      "differences": len(diffs)},
        "dashboard": dash,
        "dashboard_worst_p95_ms": max(v["p95_ms"] for v in dash.values()),
        "opendata_import": {"rows": n, "seconds": round(import_s, 2), "rows_per_s": round(n / import_s),
                            "same_file_again_s": round(reimport_s, 2)},
    }
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "quality.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    print(f"\n{cmd}")


if __name__ == "__main__":
    main()
