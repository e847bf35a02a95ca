"""ANPR Find & Profile: accuracy against the trip counter, false alarms, recall, and speed.

    .venv/bin/python bench/bench_anpr.py [--vehicles 8000] [--towns 20] [--routes 4] [--seed 7] [--scale-reads 3000000]

Generates a hard week (leds.anpr.synth: planted couriers among delivery vans, shift workers,
commuters, hauliers, visitors, van convoys, cloned plates, confusable twins, OCR slips and
bad reads), then in separate processes (so that each stage's peak memory is its own):
ingest (leds.anpr.ingest), train on labels.csv, profile every route.  Prints:

* precision@10 per route and pooled, ours and the trip counter's (rank by trips between
  the route's ends), counting only held-out couriers (not in labels.csv) and ranking only
  unlabelled vehicles;
* false alarms per 100,000 innocent vehicles at the model's operating threshold (every
  vehicle in the week that is not a courier is innocent; a vehicle is flagged if any route
  scores it at or above the threshold), and recall of held-out couriers at that threshold;
* cloned plates found against those planted (and confusable twins wrongly flagged);
* ingest and profile rates with peak RSS on the week, then on a national slice (one day file
  of ``--scale-reads`` reads: the week's first day copied onto distinct plates and cameras),
  and the linear extrapolation of the slice's rates to a national day of 60 million reads
  (the arithmetic printed).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

NATIONAL_DAY = 60_000_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage(name: str, data: Path, home: Path, bg: Path | None = None, model_path: Path | None = None) -> dict[str, Any]:
    """One stage in this process; prints its JSON (the parent reads it)."""
    import leds.anpr.tables  # noqa: F401
    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.anpr import service
    from leds.anpr.ingest import ingest
    from leds.config import Settings
    from leds.db.engine import get_engine

    settings = Settings(home=home)
    engine = get_engine(settings)
    events: list[Any] = []
    lk = Lookup(Principal(id="user:bench", roles=frozenset({"intelligence_analyst"})), "intelligence_development",
                "bench", lambda e: events.append(e) or 0)
    routes = service.load_routes(data / "routes.json")
    t, cpu = time.perf_counter(), time.process_time()
    if name == "ingest":
        res = ingest(settings, engine, data / "cameras.csv", sorted(data.glob("reads-*.csv")))
        out = {"loaded": res["loaded"], "rejected": res["rejected"], "by_reason": res["by_reason"]}
    elif name == "train":
        card = service.train(settings, engine, lk, data / "labels.csv", routes)
        out = {"version": card["version"], "threshold": card["threshold"], "metrics": card["metrics"],
               "weights": card["weights"]}
    elif name == "profile":
        feats = service.compute_features(settings, routes)
        t_feat = time.perf_counter() - t
        m = service.current_model(settings, engine)
        lo, _ = m.log_odds(feats)
        feats["score"] = 1 / (1 + __import__("numpy").exp(-lo))
        answer = service.rank(feats, m, 10)  # the full computation's top 10, with reasons
        short = service.compute_features(settings, routes, keep=service.shortlist(m, 10))  # what `profile` does
        out = {"features_s": t_feat, "rows": len(feats), "answer_routes": len(answer),
               "two_stage_same": service.rank(short, m, 10) == answer, "two_stage_rows": len(short),
               "scored": feats[["route", "vkey", "vrm", "trips", "score"]].to_dict("records"),
               "threshold": m.threshold}
    elif name == "ingest_big":
        res = ingest(settings, engine, data / "big" / "cameras.csv", [data / "big" / "reads-national.csv"])
        out = {"loaded": res["loaded"], "rejected": res["rejected"]}
    elif name in ("profile_big", "profile_big_full"):  # two stages (what `leds anpr profile` does), or in full
        from leds.anpr.model import load

        m = load(next((home.parent / "home" / "anpr" / "models").glob("model-v*.json")))
        seen: list[int] = []
        keep = service.shortlist(m, 10)

        def counted(stage1: Any) -> Any:
            seen.append(len(stage1))
            return keep(stage1)

        feats = service.compute_features(settings, service.load_routes(data / "big" / "routes.json"),
                                         keep=None if name.endswith("full") else counted)
        answer = service.rank(feats, m, 10)
        out = {"rows": seen[0] if seen else len(feats), "candidates": len(feats), "answer_routes": len(answer),
               "top": {r: [(e["vrm"], e["score"]) for e in v] for r, v in answer.items()}}
    elif name == "profile_bg":  # the week and the innocent background, scored by the week's model
        from leds.search.keys import vrm_key

        truth = json.loads((data / "truth.json").read_text())["vehicles"]
        couriers = [vrm_key(v) for v, t_ in truth.items() if t_["role"] == "courier"]
        res = ingest(settings, engine, data / "cameras.csv", sorted((bg or data / "bg").glob("reads-bg-*.csv")))
        t_ing = time.perf_counter() - t
        feats = service.compute_features(settings, routes)
        feats.to_parquet(home / "features-bg.parquet")
        m = service.current_model(settings, engine)
        lo, _ = m.log_odds(feats)
        feats["score"] = 1 / (1 + __import__("numpy").exp(-lo))
        top = feats.sort_values("score", ascending=False).drop_duplicates("vkey")
        out = {"loaded": res["loaded"], "ingest_s": t_ing, "rows": len(feats), "vehicles": int(feats["vkey"].nunique()),
               "vkeys": feats["vkey"].unique().tolist(),
               "scored": top[top["score"] >= 0.3][["route", "vkey", "score"]].to_dict("records"),
               "couriers": feats[feats["vkey"].isin(couriers)][["route", "vkey", "score"]].to_dict("records")}
    elif name in ("retrain_bg", "score_bg"):  # a model fitted with a background shard as the unlabelled mass
        import pandas as pd

        from leds.anpr import model as anpr_model
        from leds.search.keys import vrm_key

        truth = json.loads((data / "truth.json").read_text())["vehicles"]
        couriers = [vrm_key(v) for v, t_ in truth.items() if t_["role"] == "courier"]
        feats = pd.read_parquet(home / "features-bg.parquet")
        if name == "retrain_bg":
            m = anpr_model.fit(feats, service.read_labels(data / "labels.csv"), 99)
            anpr_model.save(m, model_path.parent)
        else:
            m = anpr_model.load(model_path)
        lo, _ = m.log_odds(feats)
        feats["score"] = 1 / (1 + __import__("numpy").exp(-lo))
        top = feats.sort_values("score", ascending=False).drop_duplicates("vkey")
        out = {"threshold": m.threshold, "metrics": m.metrics,
               "weights": dict(zip(anpr_model.FEATURES, m.coef, strict=True)),
               "scored": top[top["score"] >= 0.3][["route", "vkey", "score"]].to_dict("records"),
               "couriers": feats[feats["vkey"].isin(couriers)][["route", "vkey", "score"]].to_dict("records")}
    elif name == "cloned":
        out = {"plates": [p["vrm"] for p in service.cloned(settings, lk)["plates"]]}
    else:
        raise SystemExit(f"unknown stage {name}")
    out.update(seconds=time.perf_counter() - t, cpu_s=time.process_time() - cpu, peak_mb=_peak_mb(),
               load=Path("/proc/loadavg").read_text().split()[0])
    return out


def build_national_slice(data: Path, target: int, groups: int = 41) -> dict[str, Any]:
    """One day file of about ``target`` reads on about 11,000 cameras: the week's first day
    copied onto distinct plates (the copy's number spelt in the first two letters, and in the
    last one past 484 copies), copy r on camera group r % ``groups`` (the week's 270 cameras,
    renamed ``C00001-g``: 41 groups make 11,070 cameras), and the routes repeated on every
    group (4 routes make 164), so that every route's cameras see a national day's share."""
    import duckdb

    out = data / "big"
    out.mkdir(exist_ok=True)
    first = sorted(data.glob("reads-*.csv"))[0]
    con = duckdb.connect()
    con.execute(f"CREATE TABLE d AS SELECT * FROM read_csv('{first}', all_varchar = true)")  # noqa: S608
    n = con.execute("SELECT count(*) FROM d").fetchall()[0][0]
    copies = max(1, -(-target // n))
    con.execute(f"CREATE TABLE k AS SELECT range AS r FROM range({copies})")  # noqa: S608
    sfx = f"CASE WHEN r % {groups} = 0 THEN '' ELSE '-' || (r % {groups}) END"
    con.execute(f"""COPY (SELECT read_id || '-' || r AS read_id,
            CASE WHEN r = 0 OR length(vrm) < 7 THEN vrm ELSE chr(65 + CAST(r // 22 % 22 AS INT))
                 || chr(65 + CAST(r % 22 AS INT)) || substr(vrm, 3, 4)
                 || CASE WHEN r < 484 THEN substr(vrm, 7) ELSE chr(65 + CAST(r // 484 % 22 AS INT)) END END AS vrm,
            camera_id || {sfx} AS camera_id, read_at, confidence
        FROM d, k) TO '{out / "reads-national.csv"}' (HEADER)""")  # noqa: S608
    con.execute(f"""COPY (SELECT camera_id || CASE WHEN r = 0 THEN '' ELSE '-' || r END AS camera_id,
            lat, lon, road, direction, force, site_name
        FROM read_csv('{data / "cameras.csv"}', all_varchar = true), range({groups}) g(r))
        TO '{out / "cameras.csv"}' (HEADER)""")  # noqa: S608
    cams = con.execute(f"SELECT count(*) FROM read_csv('{out / 'cameras.csv'}')").fetchall()[0][0]  # noqa: S608
    routes = json.loads((data / "routes.json").read_text())["routes"]
    every = [{"name": r["name"] + (f"-{g}" if g else ""),
              **{k: [c + (f"-{g}" if g else "") for c in r[k]] for k in ("origin", "destination", "corridor")}}
             for g in range(groups) for r in routes]
    (out / "routes.json").write_text(json.dumps({"routes": every}))
    return {"copies": copies, "reads": n * copies, "cameras": cams, "routes": len(every)}


def run_stage(name: str, data: Path, home: Path, *more: str) -> dict[str, Any]:
    p = subprocess.run([sys.executable, __file__, "--stage", name, "--data", str(data), "--home", str(home), *more],
                       capture_output=True, text=True, check=False)
    if p.returncode:
        sys.exit(f"stage {name} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vehicles", type=int, default=8_000)
    ap.add_argument("--towns", type=int, default=20)
    ap.add_argument("--routes", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale-reads", type=int, default=3_000_000, help="Reads in the national slice.")
    ap.add_argument("--background", type=int, default=0,
                    help="Innocent route users to add (leds.anpr.background) for the false-alarm rate; 0: none.")
    ap.add_argument("--calibration", type=int, default=1, help="Background shards that set the threshold.")
    ap.add_argument("--work", type=Path, help="Where the data goes (default: a new folder in /tmp).")
    ap.add_argument("--keep", action="store_true", help="Keep the data (deleted by default).")
    ap.add_argument("--stage")
    ap.add_argument("--data", type=Path)
    ap.add_argument("--home", type=Path)
    ap.add_argument("--bg", type=Path)
    ap.add_argument("--model", type=Path)
    ap.add_argument("--shard", type=int, default=30_000, help="Background vehicles per shard (see false_alarms).")
    ap.add_argument("--keep-features", type=Path,
                    help="Keep each background shard's feature rows and roles here (for bench/anpr_boosted.py).")
    a = ap.parse_args()
    if a.stage:
        print(json.dumps(stage(a.stage, a.data, a.home, a.bg, a.model)))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-anpr-", dir=a.work))
    try:
        run(a, work)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


def false_alarms(a: argparse.Namespace, data: Path, home: Path, summary: dict[str, Any], thr: float,
                 labelled: set[str], route_of: dict[str, Any]) -> None:
    """False alarms per 100,000 innocent vehicles on a large background (leds.anpr.background),
    in shards of ``--shard`` vehicles, each shard added to its own copy of the week (the
    co-travel and hand-over features pair every vehicle with its neighbours in time: a
    week of 360,000 extra vehicles on four routes did not finish).  Shard 0 is the unlabelled
    mass of a refitted model; the next ``--calibration`` shards set each model's threshold
    (above every one of their vehicles); the rest measure it."""
    from datetime import date

    from leds.anpr.background import ROLES, background
    from leds.search.keys import vrm_key

    n = -(-a.background // a.shard)
    refit = home.parent / "refit" / "model-v99.json"
    week_model: list[dict[str, Any]] = []
    refitted: list[dict[str, Any]] = []
    keys: list[set[str]] = []
    role: dict[str, str] = {}
    totals = {"reads": 0, "gen_s": 0.0, "ingest_s": 0.0, "seconds": 0.0, "cpu_s": 0.0, "peak_mb": 0.0, "rows": 0}
    for k in range(n):
        t = time.perf_counter()
        bg_dir = data / f"bg{k}"
        bg = background(bg_dir, seed=a.seed, towns=a.towns, routes=a.routes, vehicles=a.shard,
                        start=date.fromisoformat(summary["start"]), bg_seed=k + 1, first=k * a.shard)
        totals["gen_s"] += time.perf_counter() - t
        shard_home = home.parent / f"home-bg{k}"
        shutil.copytree(home, shard_home)
        res = run_stage("profile_bg", data, shard_home, "--bg", str(bg_dir))
        if k == 0:
            refit.parent.mkdir(parents=True, exist_ok=True)
            re = run_stage("retrain_bg", data, shard_home, "--model", str(refit))
            print(f"  refitted with shard 0 as the unlabelled mass ({re['seconds']:.0f} s, {re['cpu_s']:.0f} s CPU): "
                  f"out-of-fold AP {re['metrics']['choice']['logistic_regression_ap']}, "
                  f"Brier {re['metrics']['calibration']['brier']}, threshold {re['threshold']}; weights "
                  + ", ".join(f"{f} {v:+.2f}" for f, v in re["weights"].items()))
        else:
            re = run_stage("score_bg", data, shard_home, "--model", str(refit))
        rows = list(csv.DictReader((bg_dir / "background.csv").open()))
        keys.append({vrm_key(r["vrm"]) for r in rows})
        role.update({vrm_key(r["vrm"]): r["role"] for r in rows})
        week_model.append(res)
        refitted.append(re)
        totals["reads"] += bg["reads"]
        for f in ("ingest_s", "seconds", "cpu_s", "rows"):
            totals[f] += res[f]
        totals["peak_mb"] = max(totals["peak_mb"], res["peak_mb"])
        if a.keep_features:  # for bench/anpr_boosted.py
            a.keep_features.mkdir(parents=True, exist_ok=True)
            shutil.copy(shard_home / "features-bg.parquet", a.keep_features / f"shard{k}.parquet")
            shutil.copy(bg_dir / "background.csv", a.keep_features / f"bg{k}.csv")
        shutil.rmtree(bg_dir)
        shutil.rmtree(shard_home)
        print(f"  shard {k}: {a.shard:,} vehicles, {bg['reads']:,} reads; {len(keys[-1] & set(res['vkeys'])):,} "
              f"with a trip on a route; profiled in {res['seconds']:.0f} s ({res['cpu_s']:.0f} s CPU, load "
              f"{res['load']}), peak RSS {res['peak_mb']:.0f} MB", flush=True)
    print(f"\nfalse alarms on a large innocent background: {n} shards of {a.shard:,} = {n * a.shard:,} vehicles "
          f"({', '.join(f'{r} {w:.0%}' for r, w in ROLES.items())}), {totals['reads']:,} reads, generated in "
          f"{totals['gen_s']:.0f} s, ingested and profiled with the week in {totals['seconds']:.0f} s "
          f"({totals['cpu_s']:.0f} s CPU), peak RSS {totals['peak_mb']:.0f} MB")
    cal = set().union(*keys[1:1 + a.calibration])
    test = set().union(*keys[1 + a.calibration:])
    report("the week's model (the week's unlabelled vehicles as background)", week_model, thr, cal, test, role,
           labelled, route_of, keys, a.calibration)
    report("refitted with shard 0 as the unlabelled mass", refitted, refitted[0]["threshold"], cal, test, role,
           labelled, route_of, keys, a.calibration)


def report(title: str, shards: list[dict[str, Any]], thr: float, cal: set[str], test: set[str],
           role: dict[str, str], labelled: set[str], route_of: dict[str, Any], keys: list[set[str]],
           n_cal: int) -> None:
    """False alarms on the test shards at the trained threshold and at one set on the
    calibration shards; recall of the held-out couriers, averaged over the test shards."""
    best: dict[str, float] = {}
    for res in shards:
        for r in res["scored"]:
            best[r["vkey"]] = max(best.get(r["vkey"], 0.0), r["score"])
    tests = shards[1 + n_cal:]

    def recall(th: float) -> float:
        out = []
        for res in tests:
            held = [r for r in res["couriers"] if r["vkey"] not in labelled and route_of.get(r["vkey"]) == r["route"]]
            out.append(len({r["vkey"] for r in held if r["score"] >= th}) / max(1, len({r["vkey"] for r in held})))
        return sum(out) / max(1, len(out))

    cal_scores = sorted((best.get(k, 0.0) for k in cal), reverse=True)
    chosen = round(max(thr, cal_scores[0] + 0.0001 if cal_scores else thr), 4)
    print(f"  {title}:")
    for label, th in (("operating, as trained", thr), (f"above every vehicle of {len(cal):,} in calibration", chosen)):
        fa = [k for k in test if best.get(k, 0.0) >= th]
        bound = (3 if not fa else len(fa) + 1.96 * len(fa) ** 0.5 + 1) / len(test) * 100_000
        print(f"    threshold {th} ({label}): {len(fa)} false alarms among {len(test):,} test vehicles = "
              f"{len(fa) / len(test) * 100_000:.2f} per 100,000 (95% upper bound ~{bound:.2f}); "
              f"recall of held-out couriers {recall(th):.2f}; roles flagged {dict(Counter(role[k] for k in fa))}")
    print("    sweep (test shards): " + "; ".join(
        f"{th:.3f}: {sum(best.get(k, 0.0) >= th for k in test)} false alarms, recall {recall(th):.2f}"
        for th in (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)))
    print(f"    highest calibration scores: {[round(x, 4) for x in cal_scores[:5]]}")


def run(a: argparse.Namespace, work: Path) -> None:
    from leds.anpr.synth import generate
    from leds.search.keys import vrm_key

    data, home = work / "week", work / "home"
    t = time.perf_counter()
    summary = generate(data, seed=a.seed, vehicles=a.vehicles, towns=a.towns, routes=a.routes)
    gen_s = time.perf_counter() - t
    truth = json.loads((data / "truth.json").read_text())["vehicles"]
    print(f"week: {summary['reads']:,} reads ({summary['reads'] / 7:,.0f} a day) on {summary['cameras']} cameras, "
          f"{summary['n_vehicles']:,} vehicles, {len(summary['routes'])} routes, seed {a.seed}; generated in {gen_s:.0f} s")

    ing = run_stage("ingest", data, home)
    tr = run_stage("train", data, home)
    prof = run_stage("profile", data, home)
    clo = run_stage("cloned", data, home)

    labelled = {vrm_key(r["vrm"]) for r in csv.DictReader((data / "labels.csv").open())}
    role = {vrm_key(v): t["role"] for v, t in truth.items()}
    route_of = {vrm_key(v): t["route"] for v, t in truth.items()}
    rows = [r for r in prof["scored"] if r["vkey"] not in labelled]
    print("\nprecision@10 on held-out couriers (unlabelled vehicles only)")
    print(f"{'route':<12} {'ours':>6} {'trip counter':>13}")
    ours_all, base_all = [], []
    for name in summary["routes"]:
        mine = [r for r in rows if r["route"] == name]

        def hit(r: dict[str, Any], name: str = name) -> bool:
            return role.get(r["vkey"]) == "courier" and route_of.get(r["vkey"]) == name

        ours = sorted(mine, key=lambda r: -r["score"])[:10]
        base = sorted(mine, key=lambda r: (-r["trips"], r["vkey"]))[:10]
        po, pb = sum(map(hit, ours)) / 10, sum(map(hit, base)) / 10
        ours_all.append(po)
        base_all.append(pb)
        print(f"{name:<12} {po:>6.2f} {pb:>13.2f}")
    print(f"{'pooled':<12} {sum(ours_all) / len(ours_all):>6.2f} {sum(base_all) / len(base_all):>13.2f}")
    print(f"two-stage profile (pair features for {prof['two_stage_rows']:,} of {prof['rows']:,} vehicle-route rows): "
          f"top 10, scores and reasons {'the same as' if prof['two_stage_same'] else 'NOT the same as'} the full computation's")

    thr = prof["threshold"]
    flagged = {r["vkey"] for r in prof["scored"] if r["score"] >= thr}
    innocent = {k for k, r in role.items() if r != "courier"}
    held_out = {k for k, r in role.items() if r == "courier" and k not in labelled}
    fa = len(flagged & innocent)
    found = {r["vkey"] for r in prof["scored"] if r["score"] >= thr and route_of.get(r["vkey"]) == r["route"]}
    print(f"\noperating threshold {thr}: {fa} false alarms among {len(innocent):,} innocent vehicles = "
          f"{fa / len(innocent) * 100_000:.1f} per 100,000 (95% upper bound with none seen: "
          f"{3 / len(innocent) * 100_000:.1f}); recall of held-out couriers {len(found & held_out)}/{len(held_out)} = "
          f"{len(found & held_out) / max(1, len(held_out)):.2f}")
    print("threshold sweep (vehicles flagged on any route):")
    for t_ in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        f_ = {r["vkey"] for r in prof["scored"] if r["score"] >= t_}
        h_ = {r["vkey"] for r in prof["scored"] if r["score"] >= t_ and route_of.get(r["vkey"]) == r["route"]}
        print(f"  {t_:.2f}: false alarms {len(f_ & innocent)} ({len(f_ & innocent) / len(innocent) * 100_000:.1f} "
              f"per 100,000), recall {len(h_ & held_out) / max(1, len(held_out)):.2f}")
    m = tr["metrics"]
    print(f"model v{tr['version']}: out-of-fold AP logistic regression {m['choice']['logistic_regression_ap']}, "
          f"gradient boosting {m['choice']['gradient_boosting_ap']}; Brier {m['calibration']['brier']}; "
          f"calibration {m['calibration']['bins']}")
    twins = {v for v, t in truth.items() if t["role"] == "twin"}
    print(f"cloned plates: found {len(set(clo['plates']) & set(summary['cloned']))}/{len(summary['cloned'])}, "
          f"other plates flagged {len(set(clo['plates']) - set(summary['cloned']))} "
          f"(confusable twins among them: {len(set(clo['plates']) & twins)})")

    if a.background:
        false_alarms(a, data, home, summary, thr, labelled, route_of)

    big = build_national_slice(data, a.scale_reads)
    ing_big = run_stage("ingest_big", data, work / "home-big")
    prof_big = run_stage("profile_big", data, work / "home-big")

    n = ing["loaded"]
    per_day = n / 7
    ing_rate = n / ing["seconds"]
    prof_rate = n / prof["seconds"]
    print(f"\ningest: {n:,} reads in {ing['seconds']:.1f} s = {ing_rate:,.0f} reads/s, peak RSS {ing['peak_mb']:.0f} MB "
          f"(kept aside {ing['rejected']} by reason {ing['by_reason']})")
    print(f"profile: {len(summary['routes'])} routes over {n:,} reads (a week) in {prof['seconds']:.1f} s "
          f"(features {prof['features_s']:.1f} s) = {prof_rate:,.0f} reads/s, peak RSS {prof['peak_mb']:.0f} MB")
    print(f"train: {tr['seconds']:.1f} s, peak RSS {tr['peak_mb']:.0f} MB; cloned: {clo['seconds']:.1f} s")
    nb = ing_big["loaded"]
    bi_rate, bp_rate = nb / ing_big["seconds"], nb / prof_big["seconds"]
    print(f"\na national slice: {nb:,} reads in one day file on {big['cameras']:,} cameras (the week's first day "
          f"copied {big['copies']}x onto distinct plates and camera groups; {big['routes']} routes, 4 on each group)")
    print(f"  ingest  {ing_big['seconds']:.1f} s ({ing_big['cpu_s']:.0f} s CPU, load {ing_big['load']}) = "
          f"{bi_rate:,.0f} reads/s, peak RSS {ing_big['peak_mb']:.0f} MB")
    print(f"  profile {prof_big['seconds']:.1f} s ({prof_big['cpu_s']:.0f} s CPU, load {prof_big['load']}) = "
          f"{bp_rate:,.0f} reads/s, peak RSS {prof_big['peak_mb']:.0f} MB, {prof_big['rows']:,} feature rows in stage 1, "
          f"{prof_big['candidates']:,} shortlisted for the pair features (two stages: features.run_duckdb_shortlist)")
    print(f"\nnational day, {NATIONAL_DAY:,} reads, extrapolated linearly from the slice's rates on this machine:")
    print(f"  ingest  {NATIONAL_DAY:,} / {bi_rate:,.0f} reads/s = {NATIONAL_DAY / bi_rate / 60:.1f} min (target 5)")
    print(f"  profile {NATIONAL_DAY:,} / {bp_rate:,.0f} reads/s = {NATIONAL_DAY / bp_rate / 60:.1f} min (target 2)")
    print(f"  (the week's own day is {per_day:,.0f} reads; its rates, {ing_rate:,.0f} and {prof_rate:,.0f} reads/s, "
          "carry per-file overheads.  Profiling is NOT linear in reads: co-travel pairs grow with the square of a "
          "camera's traffic, and the slice's groups carry few copies each; measure a full-size slice "
          "(--scale-reads 60000000) before trusting the profile figure.  Memory is not extrapolated: DuckDB is held "
          "to leds.anpr.store.MEMORY_LIMIT and spills to disk past it)")
    print(f"\ncommand: .venv/bin/python bench/bench_anpr.py --vehicles {a.vehicles} --towns {a.towns} "
          f"--routes {a.routes} --seed {a.seed} --scale-reads {a.scale_reads} --background {a.background} "
          f"--calibration {a.calibration} --shard {a.shard}")


if __name__ == "__main__":
    main()
