"""How well could any model do on the synthetic population?  An empirical ceiling for
the matching accuracy targets (precision >= 0.999 with recall >= 0.98).

    .venv/bin/python bench/matching_ceiling.py --work /tmp/leds-ceiling

For each seed (default 5, 7, 9, 11 and 13, 2,000 persons each, as in docs/matching.md) it
makes a store as a user would (``leds synth``, ``leds ingest``, ``leds match --retrain``,
child processes; ``--reuse`` keeps them), then, in this process:

1. **leds**: the person ids ``leds match`` wrote, scored against ``truth.csv``;
2. **the blocking ceiling**: every true pair among the blocked candidate pairs linked and
   nothing else (what a perfect scorer behind these blocking rules would get);
3. **a classifier trained on the truth**: gradient-boosted trees (scikit-learn, which
   ``recordlinkage`` already brings) over every blocked pair, with every comparison's
   level and term-frequency adjustment, the full-name penalty, leds' own score, the height
   gap, age, how many records and dates of birth carry each full name, how many records
   share the pair's name and date of birth, same force, same source, marks, and whether
   each side has a PNC ID, CRO number, address or date of birth.  Leave one seed out: the
   model for each seed is trained on the other four seeds' truth, so it is scored on
   people it never saw.  Its log-odds are clustered with leds' own rules
   (``clusters.cluster``) at each threshold;
4. **look-alikes**: the pairs of records with the same forename, surname and date of birth
   and nothing else in common (no PNC ID, CRO number, address or mark), split by height,
   true against false.

A supervised model that is told the answer for four fifths of the data is not a bound on
every possible model, but it is a strong one for the evidence these records carry: where
it cannot reach a precision and recall together, neither can a model that learns without
the answer.  Nothing here is used by ``leds match``; truth files are read only to score.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

LEDS = str(Path(sys.executable).with_name("leds"))
THRESHOLDS = (0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12)
TARGET_P, TARGET_R = 0.999, 0.98


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(args: list[str], home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDS_")} | {"LEDS_HOME": str(home)}
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)


def build(work: Path, seed: int, persons: int) -> tuple[Path, Path]:
    synth, home = work / f"synth-{seed}", work / f"home-{seed}"
    if not (synth / "manifest.json").exists():
        say(f"seed {seed}: leds synth --persons {persons}")
        run([LEDS, "synth", "--persons", str(persons), "--seed", str(seed), "--out", str(synth), "-q"], home)
    if not (home / "ingested").exists():
        say(f"seed {seed}: leds ingest")
        run([LEDS, "ingest", *sorted(str(p) for p in synth.rglob("*.ndjson"))], home)
        (home / "ingested").touch()
    if not (home / "models").exists():
        say(f"seed {seed}: leds match --retrain")
        run([LEDS, "match", "--retrain"], home)
    return synth, home


def load(synth: Path, home: Path) -> dict[str, Any]:
    """The matched store's features, ids, model and every blocked pair, with the truth."""
    from leds.config import Settings
    from leds.db.engine import dispose_all, get_engine
    from leds.ingest.accepted import make_rkey
    from leds.matching import store
    from leds.matching.engine import Backend, arrow_table, predict
    from leds.matching.features import columns_of
    from leds.matching.model import MatchModel, latest_model_path

    settings = Settings(home=home)
    with (synth / "truth.csv").open(newline="") as f:
        truth = {make_rkey(r["force"], r["source"], "person", r["ref"]): r["true_person_id"]
                 for r in csv.DictReader(f)}
    with get_engine(settings).connect() as conn:
        assign = store.assignments(conn)
        feats = store.features_of(conn, list(assign))
    dispose_all()
    model = MatchModel.load(latest_model_path(settings))  # type: ignore[arg-type]
    backend = Backend("duckdb")
    table = backend.register("persons", arrow_table(columns_of(dict(f, unique_id=k) for k, f in feats.items())))
    blocked = predict(backend, table, model.splink, -1e9, tf=model.term_frequencies)
    # DuckDB returns the pairs in no fixed order; sorted, the trees see the same training rows
    # in the same order (and the same early-stopping split) on every run.
    blocked = sorted(model.adjust(blocked, feats, -1e9))
    return {"truth": truth, "assign": assign, "feats": feats, "model": model, "blocked": blocked}


def pair_features(d: dict[str, Any]) -> tuple[list[list[float]], list[bool]]:
    from leds.matching.model import full_name_key

    model, feats, truth = d["model"], d["feats"], d["truth"]
    names = Counter(full_name_key(f) for f in feats.values())
    dobs: dict[str | None, set[str]] = defaultdict(set)
    for f in feats.values():
        if f.get("dob"):
            dobs[full_name_key(f)].add(f["dob"])
    same_name_dob = Counter((f.get("fn"), f.get("sn"), f.get("dob")) for f in feats.values())

    def has(a: dict[str, Any], b: dict[str, Any], col: str) -> int:
        return int(bool(a.get(col))) + int(bool(b.get(col)))

    xs, ys = [], []
    for ka, kb, weight in d["blocked"]:
        a, b = feats[ka], feats[kb]
        levels = model.levels(a, b)
        x: list[float] = []
        for i, lv in enumerate(levels):
            x += [lv, model.tf_adjustment(i, lv, a, b)]
        na, nb = full_name_key(a), full_name_key(b)
        ha, hb = a.get("height"), b.get("height")
        heights = [h for h in (ha, hb) if h]
        x += [model.full_name_penalty(a, b, levels[0], levels[1]), weight,
              abs(ha - hb) if ha and hb else -1, 2025 - a["dob_y"] if a.get("dob_y") else -1,
              min(names[na], names[nb]), max(names[na], names[nb]), max(len(dobs[na]), len(dobs[nb])),
              max(same_name_dob[(a.get("fn"), a.get("sn"), a.get("dob"))],
                  same_name_dob[(b.get("fn"), b.get("sn"), b.get("dob"))]),
              int(a.get("force") == b.get("force")), int(a.get("source") == b.get("source")),
              len(set(a.get("marks") or []) & set(b.get("marks") or [])), has(a, b, "marks"),
              has(a, b, "pnc"), has(a, b, "cro"), has(a, b, "addr"), 2 - has(a, b, "dob"),
              int("PNC" in (a.get("source") or "")) + int("PNC" in (b.get("source") or "")),
              min(heights) if heights else -1, max(heights) if heights else -1]
        xs.append(x)
        ys.append(truth[ka] == truth[kb])
    return xs, ys


def score(truth: dict[str, str], members: Any) -> tuple[int, int, int]:
    """(true positives, predicted pairs, true pairs) of a clustering, scored as
    ``leds eval synth`` scores it."""
    from leds.matching.evaluate import score_assignment

    assign = {k: str(i) for i, m in enumerate(members) for k in m}
    r = score_assignment(assign, truth, {}, [], {})
    return r["true_positives"], r["predicted_pairs"], r["true_pairs"]


def look_alikes(d: dict[str, Any], out: Counter[tuple[str, bool]]) -> None:
    from leds.matching.clusters import _in_common

    feats, truth = d["feats"], d["truth"]
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for k, f in feats.items():
        if f.get("fn") and f.get("sn") and f.get("dob"):
            groups[(f["fn"], f["sn"], f["dob"])].append(k)
    for ks in groups.values():
        for ka, kb in combinations(ks, 2):
            a, b = feats[ka], feats[kb]
            if _in_common(a, b):
                continue  # a PNC ID, CRO number, address or mark in common
            if any(a.get(c) and b.get(c) for c in ("pnc", "cro")):
                continue  # two different identifiers tell them apart
            if a.get("height") is None or b.get("height") is None:
                band = "a height missing"
            else:
                gap = abs(a["height"] - b["height"])
                band = "same height" if gap == 0 else "within 4 cm" if gap <= 4 else "within 8 cm" if gap <= 8 else "more than 8 cm"
            out[(band, truth[ka] == truth[kb])] += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[5, 7, 9, 11, 13])
    ap.add_argument("--persons", type=int, default=2000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/leds-ceiling"))
    ap.add_argument("--reuse", action="store_true", help="keep the stores of an earlier run in --work")
    args = ap.parse_args()
    if len(args.seeds) < 2:
        raise SystemExit("error: --seeds needs at least two seeds (each is scored by a model trained on the others)")
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    from leds.matching.clusters import cluster
    from leds.matching.comparisons import COMPARISONS

    if not args.reuse:
        import shutil
        shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True, exist_ok=True)
    data = {}
    for s in args.seeds:
        data[s] = load(*build(args.work, s, args.persons))
    say("pair features")
    X, Y = {}, {}
    for s, d in data.items():
        xs, ys = pair_features(d)
        X[s], Y[s] = np.array(xs, dtype=float), np.array(ys)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    alike: Counter[tuple[str, bool]] = Counter()

    def add(key: str, t: tuple[int, int, int]) -> None:
        for i in range(3):
            totals[key][i] += t[i]

    categorical = [2 * i for i in range(len(COMPARISONS))]
    for s, d in data.items():
        say(f"seed {s}: training on the other seeds' truth, clustering")
        others = [t for t in data if t != s]
        clf = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, categorical_features=categorical,
                                             random_state=0)
        clf.fit(np.vstack([X[t] for t in others]), np.concatenate([Y[t] for t in others]))
        p = np.clip(clf.predict_proba(X[s])[:, 1], 1e-12, 1 - 1e-12)
        bits = np.log2(p / (1 - p))
        feats, truth, model = d["feats"], d["truth"], d["model"]
        pnc = {k: f.get("pnc") for k, f in feats.items()}
        scored = [(a, b, float(w)) for (a, b, _), w in zip(d["blocked"], bits, strict=True)]
        for thr in THRESHOLDS:
            c = cluster(list(feats), scored, thr, {}, pnc, feats, shared_names=model.shared_names)
            add(f"trained on truth, {thr} bits", score(truth, c.members.values()))
        by_id: dict[str, list[str]] = defaultdict(list)
        for k, pid in d["assign"].items():
            by_id[pid].append(k)
        add("leds", score(truth, by_id.values()))
        found = [(a, b, 1.0) for (a, b, _), y in zip(d["blocked"], Y[s], strict=True) if y]
        add("blocking ceiling (every blocked true pair)", score(truth, cluster(list(feats), found, 0.5, {}, {}).members.values()))
        look_alikes(d, alike)

    seeds = " ".join(str(s) for s in args.seeds)
    print(f"\nseeds {seeds}, {args.persons:,} persons each, pooled (pairs of person records)\n")
    print("| model | precision | recall | F1 | false pairs | missed pairs |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    report = {}
    for key, (tp, pred, true) in totals.items():
        p, r = tp / pred if pred else 1.0, tp / true if true else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        report[key] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
                       "false_pairs": pred - tp, "missed_pairs": true - tp}
        print(f"| {key} | {p:.4f} | {r:.4f} | {f1:.4f} | {pred - tp:,} | {true - tp:,} |")
    trained = [v for k, v in report.items() if k.startswith("trained")]
    best_r = max((v["recall"] for v in trained if v["precision"] >= TARGET_P), default=None)
    best_p = max((v["precision"] for v in trained if v["recall"] >= TARGET_R), default=None)
    print(f"\ntrained on truth: best recall at precision >= {TARGET_P}: {best_r}; "
          f"best precision at recall >= {TARGET_R}: {best_p}")
    print("\nlook-alikes: the same forename, surname and date of birth, no PNC ID, CRO number, address or mark in common\n")
    print("| height | true pairs | false pairs |\n| --- | ---: | ---: |")
    for band in ("same height", "within 4 cm", "within 8 cm", "more than 8 cm", "a height missing"):
        print(f"| {band} | {alike[(band, True)]:,} | {alike[(band, False)]:,} |")
    report["look_alikes"] = {f"{band} {'true' if same else 'false'}": n for (band, same), n in sorted(alike.items())}
    (args.work / "ceiling.json").write_text(json.dumps(report, indent=1))
    print(f"\nreproduce: .venv/bin/python bench/matching_ceiling.py --seeds {seeds} --persons {args.persons}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
