"""``leds match``: load every person record, train or load the model, predict with
Splink, cluster, and write national person ids (one transaction for the write)."""

from __future__ import annotations

import gc
import json
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leds.config import Settings
from leds.db.engine import get_engine, write_transaction

from . import store
from .clusters import cluster, succeed
from .comparisons import blocking_fingerprint
from .engine import Backend, arrow_table, predict, term_frequencies, train
from .features import columns_of, load_features
from .model import (
    MatchModel,
    ModelError,
    full_name_penalties,
    full_name_people,
    latest_model_path,
    next_version,
    now,
    shared_full_names,
)
from .tables import match_runs

# Read addresses in a second process when the last run matched at least this many records
# (a process costs about a second to start).
PARALLEL_LOAD_FROM = 50_000


class MatchError(RuntimeError):
    """Matching cannot run on this store."""


@dataclass
class RunResult:
    run_id: int
    model_version: int
    model_path: str
    trained: bool
    engine: str
    records: int
    pairs_scored: int
    links: int
    clusters: int
    review: int
    refused: int
    events: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)  # peak MB: the process, and DuckDB's share
    written: dict[str, int] = field(default_factory=dict)  # person_ids / match_keys rows written
    blocking: str = field(default_factory=blocking_fingerprint)  # the rules the match_keys were made with

    def summary(self) -> str:
        ev = ", ".join(f"{k} {v:,}" for k, v in sorted(self.events.items()) if v)
        return (f"matched {self.records:,} person records into {self.clusters:,} national person ids "
                f"(model v{self.model_version}{', trained' if self.trained else ''}, {self.engine}); "
                f"{self.review:,} pairs for review; identity log: {ev or 'no change'}")


def _noop(_msg: str) -> None:
    pass


def resolve_model(settings: Settings, *, retrain: bool, model_path: Path | None) -> MatchModel | None:
    if model_path is not None:
        return MatchModel.load(model_path)
    if retrain:
        return None
    latest = latest_model_path(settings)
    return MatchModel.load(latest) if latest else None


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """A run builds millions of long-lived rows, pairs and sets, and CPython's cyclic
    collector would rescan all of them each time the heap grows by a quarter, finding
    nothing: reference counting frees what the run drops.  Off for the run."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def run_match(settings: Settings, *, engine: str = "duckdb", retrain: bool = False, model_path: Path | None = None,
              say: Callable[[str], None] = _noop, seed: int = 1) -> RunResult:
    with _no_cyclic_gc():
        return _run_match(settings, engine=engine, retrain=retrain, model_path=model_path, say=say, seed=seed)


def _run_match(settings: Settings, *, engine: str, retrain: bool, model_path: Path | None,
               say: Callable[[str], None], seed: int) -> RunResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    db = get_engine(settings)
    model = resolve_model(settings, retrain=retrain, model_path=model_path)  # bad files fail before work
    started = now()
    say("loading person records (through the access policy, purpose: data_matching)")
    with db.connect() as conn:
        big = store.matched_count(conn) >= PARALLEL_LOAD_FROM
        rows = load_features(conn, on_progress=lambda stage, n: say(f"  read {n:,} {stage}"), parallel=big)
    if not rows:
        raise MatchError("the store holds no person records: ingest some first (leds ingest FILES)")
    timings["load_s"] = time.perf_counter() - t0

    t = time.perf_counter()
    backend = Backend(engine)
    with backend.track_memory() as duck:
        table = backend.register("persons", arrow_table(columns_of(rows)))
        trained = False
        if model is None:
            say(f"training a new model on {len(rows):,} records")
            tf = term_frequencies(rows)
            splink_settings, note = train(backend, table, seed=seed, tf=tf, on_step=lambda m: say("  " + m))
            people = full_name_people(rows)  # counted once, for both full-name tables
            model = MatchModel(version=next_version(settings), created_at=now(), splink=splink_settings,
                               training={**note, "records": len(rows)}, term_frequencies=tf,
                               full_names=full_name_penalties(people), shared_names=frozenset(shared_full_names(people)))
            trained = True
        path = model.save(settings) if trained else (model_path or latest_model_path(settings))
        timings["train_s"] = time.perf_counter() - t if trained else 0.0

        t = time.perf_counter()
        say(f"predicting pairs with model v{model.version} ({engine})")
        pairs = predict(backend, table, model.splink, model.review_low, tf=model.term_frequencies)
        by_key = {r["unique_id"]: r for r in rows}
        pairs = model.adjust(pairs, by_key, model.review_low)
        timings["predict_s"] = time.perf_counter() - t
    del backend, table

    t = time.perf_counter()
    say(f"clustering {len(pairs):,} scored pairs")
    with db.connect() as conn, write_transaction(conn):
        store.register_model(conn, model)
        verdicts = store.latest_verdicts(conn)
        previous = store.current_rows(conn)
        old = {r: v[0] for r, v in previous.items()}
        timings["read_ids_s"] = time.perf_counter() - t
        result = cluster((r["unique_id"] for r in rows), pairs, model.threshold, verdicts,
                         {r["unique_id"]: r["pnc"] for r in rows}, by_key, shared_names=model.shared_names)
        assign, events = succeed(old, result.members.values())
        run_id = int(conn.execute(match_runs.insert().values(
            started_at=started, model_version=model.version, engine=engine)).inserted_primary_key[0])  # type: ignore[index]
        timings["cluster_s"] = time.perf_counter() - t
        t = time.perf_counter()
        say(f"writing {len(assign):,} person ids")
        rekey = store.last_blocking(conn) != blocking_fingerprint()
        written = store.write_assignments(conn, rows, assign, model.version, previous, rekey=rekey)
        del previous
        store.log_events(conn, events, f"batch run {run_id} with model v{model.version}",
                         model_version=model.version, run_id=run_id)
        review = [(a, b, w, "uncertain") for a, b, w in pairs
                  if w < model.threshold and (a, b) not in verdicts]
        review += [(x.rkey_a, x.rkey_b, x.weight, review_reason(x.reason)) for x in result.refused
                   if x.weight != float("inf")]
        store.replace_review(conn, review, run_id)
        counts = {k: sum(1 for e in events if e.kind == k) for k in ("new", "merge", "split", "retire")}
        timings["write_s"] = time.perf_counter() - t
        timings["total_s"] = time.perf_counter() - t0
        res = RunResult(run_id, model.version, str(path), trained, engine, len(rows), len(pairs),
                        sum(1 for _, _, w in pairs if w >= model.threshold), len(result.members), len(review),
                        len(result.refused), counts, {k: round(v, 3) for k, v in timings.items()},
                        {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                         "duckdb_peak_mb": round(duck.peak_mb)}, written)
        conn.execute(match_runs.update().where(match_runs.c.id == run_id).values(
            finished_at=now(), summary=json.dumps(_as_dict(res))))
    return res


def review_reason(refusal: str) -> str:
    """The review queue's short reason (its column holds 32 characters) for a refused link:
    the full text of a conflict is shown by ``leds explain`` and the review page."""
    if refusal in ("judged not-same", "different PNC IDs"):
        return refusal
    return "ambiguous" if refusal.startswith("ambiguous") else "conflict"


def _as_dict(res: RunResult) -> dict[str, Any]:
    return dict(res.__dict__)


__all__ = ["MatchError", "ModelError", "RunResult", "run_match"]
