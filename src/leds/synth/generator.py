"""Generate the synthetic population as updategram files with ground truth.

Work is split into fixed blocks of ``BLOCK_SIZE`` true people.  Each block has its own
``random.Random`` seeded from (seed, block number), so a block's content never depends on
which process made it or on how many processes there are.  A worker renders each file's
lines for its block with a ``%d`` where the sequence goes; the parent takes blocks in
order and fills in sequences with one C-level ``bytes % tuple`` per file, so sequences
run 1, 2, 3, ... per file.  ``issued_at`` is computed by the worker from a time window
that belongs to the block, so it never decreases along a file.  A block's updates and
deletes (a cancelled circulation, a found person) go after its first upserts, so they
always follow the record they change.

This module is the parent: the plan, the workers, the files and the manifest.  A block is
made by :class:`.block.Block` (its people), over :mod:`.events` (their events) and
:mod:`.writer` (the lines of its files).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from random import Random
from typing import Any

import orjson

from .block import Block
from .rates import IDENTIFIER_NAMES, VARIATION_NAMES, VariationRates, rates_from
from .writer import BLOCK_SIZE, FileKey, Plan, world_of

GENERATOR_VERSION = 2
# issued_at runs over SPAN before BASE_END, shifted earlier by up to 30 days by the seed.
BASE_END = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=180)


@dataclass
class SynthReport:
    out_dir: Path
    persons: int
    seed: int
    records: int
    person_records: int
    files: list[str]
    counts_by_type: dict[str, int]
    realised_rates: dict[str, float | None]
    configured_rates: dict[str, float]
    hard_negatives: dict[str, int]
    elapsed_s: float = 0.0
    workers: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def _plan(seed: int, persons: int, rates: VariationRates, reference_dir: Path | None) -> Plan:
    n_blocks = max(1, -(-persons // BLOCK_SIZE))
    shift = Random(f"leds-synth-clock:{seed}").randrange(30 * 86400)
    end = int(BASE_END.timestamp()) - shift
    span = int(SPAN.total_seconds())
    return Plan(seed, persons, rates, reference_dir, n_blocks, end - span, span // n_blocks)


_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    global _PLAN
    _PLAN = plan
    world_of(plan)


def _run_block(block: int) -> dict[str, Any]:
    assert _PLAN is not None
    return Block(_PLAN, block).run()


# --- the parent: ordering, sequences, files ----------------------------------------------
def _results(plan: Plan, workers: int) -> Iterator[dict[str, Any]]:
    if workers <= 1 or plan.n_blocks == 1:
        _init_worker(plan)
        for b in range(plan.n_blocks):
            yield _run_block(b)
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    world_of(plan)  # build pools once; forked workers inherit them
    # At most a few blocks are in flight, so memory stays flat however large the run and
    # however slowly the parent writes.
    in_flight = workers * 2
    with ctx.Pool(workers, initializer=_init_worker, initargs=(plan,)) as pool:
        pending: deque[Any] = deque()
        for b in range(plan.n_blocks):
            pending.append(pool.apply_async(_run_block, (b,)))
            if len(pending) >= in_flight:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


OUTPUT_NAMES = ("truth.csv", "variations.csv", "hard_negatives.csv", "manifest.json")


def _prepare(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out_dir} is not empty; choose an empty directory, or overwrite earlier synth output (--overwrite)")
        if not ((out_dir / "manifest.json").exists() or (out_dir / "truth.csv").exists()):
            raise FileExistsError(f"{out_dir} is not empty and does not hold synth output; refusing to clear it")
        for p in sorted(out_dir.glob("*/*.ndjson")):
            p.unlink()
        for name in OUTPUT_NAMES:
            (out_dir / name).unlink(missing_ok=True)
        for d in sorted(out_dir.iterdir()):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
    out_dir.mkdir(parents=True, exist_ok=True)


def generate(out_dir: Path | str, persons: int, seed: int = 1, rates: VariationRates | dict[str, float] | None = None,
             progress: bool = True, *, workers: int | None = None, reference_dir: Path | str | None = None,
             overwrite: bool = False) -> SynthReport:
    """Write a synthetic population of ``persons`` true people to ``out_dir``.

    The same ``persons``, ``seed``, ``rates`` and ``reference_dir`` give byte-identical
    output whatever ``workers`` is."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    started = time.perf_counter()
    out = Path(out_dir)
    rates_v = rates_from(rates)
    ref_dir = Path(reference_dir) if reference_dir is not None else None
    if ref_dir is not None and not ref_dir.is_dir():
        raise FileNotFoundError(f"reference directory {ref_dir} does not exist")
    plan = _plan(seed, persons, rates_v, ref_dir)
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    _prepare(out, overwrite)

    handles: dict[FileKey, Any] = {}
    next_seq: dict[FileKey, int] = {}
    totals: Counter[str] = Counter()
    eligible = [0] * len(VARIATION_NAMES)
    applied = [0] * len(VARIATION_NAMES)
    ident = [0, 0, 0, 0]
    bar = None
    task = None
    try:
        with open(out / "truth.csv", "wb") as truth, open(out / "variations.csv", "wb") as variations, \
                open(out / "hard_negatives.csv", "wb") as hard:
            truth.write(b"force,source,ref,true_person_id\n")
            variations.write(b"force,source,ref,variations\n")
            hard.write(b"true_person_id_a,true_person_id_b,kind\n")
            results = _results(plan, workers)
            if progress:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )

                bar = Progress(TextColumn("[bold]synth[/]"), BarColumn(), MofNCompleteColumn(),
                               TextColumn("persons"), TimeElapsedColumn(), TimeRemainingColumn())
                bar.start()
                task = bar.add_task("persons", total=persons)
            for res in results:
                for key, count, template in res["files"]:
                    fh = handles.get(key)
                    if fh is None:
                        (out / key[0]).mkdir(exist_ok=True)
                        fh = handles[key] = open(out / key[0] / f"{key[1]}.ndjson", "wb", buffering=1 << 16)  # noqa: SIM115
                        next_seq[key] = 1
                    s = next_seq[key]
                    fh.write(template % tuple(range(s, s + count)))
                    next_seq[key] = s + count
                truth.write(res["truth"])
                variations.write(res["variations"])
                hard.write(res["hard"])
                totals.update(res["stats"])
                for i, v in enumerate(res["eligible"]):
                    eligible[i] += v
                for i, v in enumerate(res["applied"]):
                    applied[i] += v
                for i, v in enumerate(res["ident"]):
                    ident[i] += v
                if bar is not None and task is not None:
                    bar.update(task, advance=res["stats"].get("persons", 0))
    finally:
        for fh in handles.values():
            fh.close()
        if bar is not None:
            bar.stop()

    file_counts = {f"{k[0]}/{k[1]}.ndjson": next_seq[k] - 1 for k in handles}
    manifest = _manifest(plan, rates_v, totals, file_counts, eligible, applied, ident)
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    realised = {name: r["realised"] for name, r in manifest["rates"].items()}
    return SynthReport(
        out_dir=out, persons=persons, seed=seed, records=manifest["counts"]["records"],
        person_records=manifest["counts"]["person_records"], files=sorted(file_counts),
        counts_by_type=manifest["counts"]["by_type"], realised_rates=realised,
        configured_rates=rates_v.as_dict(), hard_negatives=manifest["hard_negatives"],
        elapsed_s=time.perf_counter() - started, workers=workers,
        extra={"manifest": manifest},
    )


def _manifest(plan: Plan, rates: VariationRates, totals: Counter[str], file_counts: dict[str, int],
              eligible: list[int], applied: list[int], ident: list[int]) -> dict[str, Any]:
    configured = rates.as_dict()
    rate_rows: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(VARIATION_NAMES):
        e, a = eligible[i], applied[i]
        rate_rows[name] = {"configured": configured[name], "eligible": e, "applied": a,
                           "realised": round(a / e, 6) if e else None}
    for j, name in enumerate(IDENTIFIER_NAMES):
        e, a = ident[2 * j], ident[2 * j + 1]
        rate_rows[name] = {"configured": configured[name], "eligible": e, "applied": a,
                           "realised": round(a / e, 6) if e else None,
                           "note": "copies outside PNC-NOMINAL of people who have this identifier"}
    by_type = {k: v for k, v in totals.items()
               if k in ("person", "location", "vehicle", "event", "marker", "link", "missing_episode")}
    try:
        faker_version = version("faker")
    except PackageNotFoundError:  # pragma: no cover
        faker_version = None
    first = datetime.fromtimestamp(plan.t0, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    last = datetime.fromtimestamp(plan.t0 + plan.n_blocks * plan.window - 1, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "generator": "leds synth",
        "generator_version": GENERATOR_VERSION,
        "faker_version": faker_version,
        "seed": plan.seed,
        "persons": plan.persons,
        "block_size": BLOCK_SIZE,
        "reference_data": str(plan.reference_dir) if plan.reference_dir else None,
        "issued_at_range": [first, last],
        "counts": {
            "persons": totals.get("persons", 0),
            "person_records": totals.get("person_records", 0),
            "records": sum(by_type.values()),
            "by_type": dict(sorted(by_type.items())),
            "by_dataset": {k[3:]: v for k, v in sorted(totals.items()) if k.startswith("ds:")},
            "files": dict(sorted(file_counts.items())),
            "copies_per_person": {k[7:]: v for k, v in sorted(totals.items()) if k.startswith("copies:")},
            "communities": {k[5:]: v for k, v in sorted(totals.items()) if k.startswith("comm:")},
            "markers": {k[7:]: v for k, v in sorted(totals.items()) if k.startswith("marker:")},
            "vehicle_markers": {k[8:]: v for k, v in sorted(totals.items()) if k.startswith("vmarker:")},
            "events": {k[5:]: v for k, v in sorted(totals.items()) if k.startswith("kind:")},
            "link_roles": {k[5:]: v for k, v in sorted(totals.items()) if k.startswith("role:")},
            "updates": {k[7:]: v for k, v in sorted(totals.items()) if k.startswith("update:")},
            "deletes": {k[7:]: v for k, v in sorted(totals.items()) if k.startswith("delete:")},
            "live": {k[5:]: v for k, v in sorted(totals.items()) if k.startswith("live:")},
            "true_episodes": {k[8:]: v for k, v in sorted(totals.items()) if k.startswith("episode:")},
            "missing_register": {k[9:]: v for k, v in sorted(totals.items()) if k.startswith("register:")},
        },
        "rates": rate_rows,
        "hard_negatives": {kind: totals.get("hn:" + kind, 0)
                           for kind in ("sibling", "twin", "jr_sr", "common_name_same_dob")},
    }
