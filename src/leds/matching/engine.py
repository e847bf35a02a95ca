"""Splink, on DuckDB (default) or Spark (scale-out, same settings): load feature rows,
train (u by random sampling, then EM), and predict scored pairs."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from .comparisons import BLOCKING_RULES, TF_COLUMNS, splink_comparisons
from .features import FEATURE_COLUMNS, FEATURE_TYPES
from .model import fill_unobserved

ENGINES = ("duckdb", "spark")
_ARROW = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "INTEGER[]": pa.list_(pa.int32()),
          "VARCHAR[]": pa.list_(pa.string())}
Pair = tuple[str, str, float]
TermFrequencies = dict[str, dict[str, float]]

# EM sessions: each trains every comparison its blocking rule does not use.
EM_RULES = ("l.dob = r.dob AND l.sn1 = r.sn1", "l.fn = r.fn AND l.sn = r.sn", "l.pnc = r.pnc")
DETERMINISTIC_RULES = ("l.pnc = r.pnc AND l.dob = r.dob", "l.fn = r.fn AND l.sn = r.sn AND l.dob = r.dob")


class EngineError(RuntimeError):
    """The requested Splink backend cannot run here."""


def arrow_table(cols: dict[str, list[Any]], columns: Sequence[str] = FEATURE_COLUMNS) -> pa.Table:
    return pa.table({c: pa.array(cols[c], type=_ARROW[FEATURE_TYPES[c]]) for c in columns})


_SPARK: Any = None


def spark_session() -> Any:
    """A local-mode Spark session (one per process)."""
    global _SPARK
    if _SPARK is None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EngineError("the Spark engine needs pyspark: pip install 'leds[spark]'") from exc
        _SPARK = (SparkSession.builder.master("local[2]").appName("leds-matching")
                  .config("spark.sql.shuffle.partitions", "8").config("spark.ui.enabled", "false")
                  .config("spark.driver.memory", "2g").getOrCreate())
        _SPARK.sparkContext.setLogLevel("ERROR")
        _SPARK.sparkContext.setCheckpointDir("/tmp/leds-spark-checkpoints")
    return _SPARK


DUCKDB_MEMORY_SHARE = 0.4  # of physical memory


def duckdb_memory_limit_mb() -> int:
    return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * DUCKDB_MEMORY_SHARE / 2**20)


class MemoryPeak:
    peak_mb: float = 0.0


class Backend:
    """One Splink database API and the tables registered in it."""

    def __init__(self, engine: str = "duckdb") -> None:
        if engine not in ENGINES:
            raise EngineError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
        self.engine = engine
        self.dialect = engine
        splink_log = logging.getLogger("splink")
        if splink_log.level < logging.WARNING:  # quieter, never louder, than a caller asked
            splink_log.setLevel(logging.WARNING)
        if engine == "duckdb":
            import duckdb
            from splink import DuckDBAPI

            self.con = duckdb.connect()
            self.con.execute("SET preserve_insertion_order = false")
            # DuckDB takes 80% of RAM by default; the run's Python rows need room too, so
            # cap it and let large joins spill to disk instead of the process being killed.
            self.con.execute(f"SET memory_limit = '{duckdb_memory_limit_mb()}MB'")
            tmp = tempfile.gettempdir()
            self.con.execute(f"SET temp_directory = '{tmp}/leds-duckdb'")
            # ... but never fill a shared disk: at most half of what is free now.
            self.con.execute(f"SET max_temp_directory_size = '{shutil.disk_usage(tmp).free // 2 // 2**20}MB'")
            self.db_api: Any = DuckDBAPI(self.con)
        else:
            from splink import SparkAPI

            self.spark = spark_session()
            self.db_api = SparkAPI(spark_session=self.spark, break_lineage_method="parquet",
                                   num_partitions_on_repartition=8)

    @contextmanager
    def track_memory(self, every_s: float = 0.1) -> Iterator[MemoryPeak]:
        """DuckDB's peak memory (its buffer manager: tables, hash tables, sorts) while the
        block runs, sampled from a second cursor.  Nothing to sample on Spark."""
        peak = MemoryPeak()
        if self.engine != "duckdb":
            yield peak
            return
        cur = self.con.cursor()
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                used = cur.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
                peak.peak_mb = max(peak.peak_mb, (used[0] or 0) / 2**20 if used else 0.0)
                stop.wait(every_s)

        thread = threading.Thread(target=sample, name="duckdb-memory", daemon=True)
        thread.start()
        try:
            yield peak
        finally:
            stop.set()
            thread.join()
            cur.close()

    def register(self, name: str, table: pa.Table) -> Any:
        if self.engine == "duckdb":
            self.con.register(f"{name}_arrow", table)
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")  # noqa: S608
            self.con.unregister(f"{name}_arrow")
            return self.db_api.register(name)
        sdf = self.spark.createDataFrame(table.to_pandas())
        return self.db_api.register(sdf, table_name=name)

    def pairs(self, predictions: Any) -> list[Pair]:
        cols = "unique_id_l, unique_id_r, match_weight"
        if self.engine == "duckdb":
            rows = self.con.execute(f"SELECT {cols} FROM {predictions.physical_name}").fetchall()  # noqa: S608
        else:
            rows = [tuple(r) for r in predictions.as_spark_dataframe().select(
                "unique_id_l", "unique_id_r", "match_weight").collect()]
        return [(a, b, float(w)) if a < b else (b, a, float(w)) for a, b, w in rows]


def term_frequencies(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] = TF_COLUMNS) -> TermFrequencies:
    """value -> share of the non-null values, per column (as Splink computes them).  Saved
    with the model, so batch (Splink) and real time (Python) use the same numbers."""
    counts: dict[str, Counter[str]] = {c: Counter() for c in columns}
    for r in rows:
        for c in columns:
            if r.get(c) is not None:
                counts[c][r[c]] += 1
    return {c: {v: n / total for v, n in sorted(cnt.items())} for c, cnt in counts.items()
            if (total := sum(cnt.values()))}


def _register_tf(backend: Backend, linker: Any, tf: TermFrequencies) -> None:
    for col, table in tf.items():
        df = backend.register(f"leds_tf_{col}", pa.table({col: pa.array(list(table), type=pa.string()),
                                                           f"tf_{col}": pa.array(list(table.values()), type=pa.float64())}))
        linker.table_management.register_term_frequency_lookup(df, col)


_TF_KEYS = ("tf_adjustment_column", "tf_adjustment_weight", "tf_minimum_u_value")


def settings_dict(dialect: str, link_type: str = "dedupe_only", trained: dict[str, Any] | None = None,
                  blocking_rules: Sequence[str] = BLOCKING_RULES, *, tf: bool = True,
                  fixed_m: bool = True) -> dict[str, Any]:
    """The leds settings for a dialect; with ``trained``, its m/u probabilities and prior
    carried over level by level (a model trained on DuckDB runs unchanged on Spark).
    ``tf=False`` leaves out term-frequency adjustments (a model saved without them)."""
    comparisons = splink_comparisons(dialect, tf=tf, fixed_m=fixed_m)
    if trained is not None:
        by_name = {c["output_column_name"]: c for c in trained["comparisons"]}
        for comp in comparisons:
            for level, old in zip(comp["comparison_levels"], by_name[comp["output_column_name"]]["comparison_levels"],
                                  strict=True):
                # The model's own term-frequency settings, so a model saved by an earlier
                # version of leds scores as it did (and as the Python scorer reads it).
                for key in ("m_probability", "u_probability", *(_TF_KEYS if tf else ())):
                    if key in old:
                        level[key] = old[key]
                    elif key in _TF_KEYS:
                        level.pop(key, None)
    settings: dict[str, Any] = {
        "link_type": link_type, "unique_id_column_name": "unique_id",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [{"blocking_rule": r} for r in blocking_rules],
        "retain_matching_columns": False, "retain_intermediate_calculation_columns": False,
    }
    if trained is not None:
        settings["probability_two_random_records_match"] = trained["probability_two_random_records_match"]
    return settings


def train(backend: Backend, tables: Any, link_type: str = "dedupe_only", *, seed: int = 1,
          max_pairs: float = 2e6, recall: float = 0.7, tf: TermFrequencies, fixed_m: bool = True,
          on_step: Callable[[str], None] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """u by random sampling, then one EM session per rule in ``EM_RULES``.  Returns the
    trained Splink settings and a note of how they were trained.  ``tf``: the term
    frequencies (:func:`term_frequencies` of the training records); ``fixed_m=False``: EM
    learns every level (no police domain knowledge, e.g. for FEBRL)."""
    from splink import Linker

    def step(msg: str) -> None:
        if on_step:
            on_step(msg)

    linker = Linker(tables, settings_dict(backend.dialect, link_type, fixed_m=fixed_m), log_level=None)
    _register_tf(backend, linker, tf)
    step("estimating the prior from deterministic rules")
    linker.training.estimate_probability_two_random_records_match(list(DETERMINISTIC_RULES), recall=recall)
    step(f"estimating u by random sampling ({max_pairs:,.0f} pairs)")
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in EM_RULES:
        step(f"EM, blocked on {rule}")
        linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=max_pairs)
    trained = fill_unobserved(linker.misc.save_model_to_json())
    note = {"u_max_pairs": max_pairs, "seed": seed, "em_blocking_rules": list(EM_RULES),
            "deterministic_rules": list(DETERMINISTIC_RULES), "recall": recall, "engine": backend.engine,
            "fixed_m": fixed_m}
    return trained, note


def predict(backend: Backend, tables: Any, trained: dict[str, Any], min_weight: float,
            link_type: str = "dedupe_only", *, tf: TermFrequencies | None = None) -> list[Pair]:
    """Every blocked pair scoring at least ``min_weight``, as (rkey_low, rkey_high, weight).
    ``tf``: the model's term frequencies (None for a model saved without them)."""
    from splink import Linker

    linker = Linker(tables, settings_dict(backend.dialect, link_type, trained, tf=tf is not None), log_level=None)
    if tf is not None:
        _register_tf(backend, linker, tf)
    return backend.pairs(linker.inference.predict(threshold_match_weight=min_weight))


