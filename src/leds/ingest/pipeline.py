"""Ingest: updategram lines in, log entries and projections out.

Lines are validated against the national data standard and committed in
batches.  Each batch is one transaction that appends to the log, runs every
registered projector and writes quarantine entries, so a crash at any instant
loses nothing and doubles nothing: re-running the same input finds the
committed batches already in the log and counts them as duplicates.

On large inputs validation runs in a worker process while this process writes,
so the two cores of a small machine both work.  Batches are still committed in
input order.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from leds.config import Settings
from leds.db.bulk import insert_rows, select_in, update_rows
from leds.db.engine import get_engine, write_transaction
from leds.db.schema import log, quarantine, record_keys

from . import crypto, projectors
from .reader import Oversized, read_lines
from .validate import Outcome, Pending, Rejected, Validator, init_worker, worker_chunk

DEFAULT_BATCH = 5000
# Inputs at least this large are validated in a worker process.
PARALLEL_THRESHOLD_BYTES = 16 << 20
LOG_COLUMNS = ("force", "source", "sequence", "rkey", "rtype", "ref", "op", "dataset", "handling", "sharing",
               "issued_at", "received_at", "content_hash", "payload")
QUARANTINE_COLUMNS = ("raw_sha256", "origin", "line_no", "raw", "raw_path", "raw_size", "reasons", "message",
                      "force", "source", "sequence", "first_seen", "last_seen", "times_seen", "status")


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Summary:
    lines: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    blank_lines: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        rate = self.lines / self.elapsed_s if self.elapsed_s else 0.0
        return {
            "files": self.files, "lines": self.lines, "accepted": self.accepted,
            "duplicates": self.duplicates, "quarantined": self.quarantined,
            "by_reason": dict(sorted(self.by_reason.items())), "blank_lines": self.blank_lines,
            "warnings": self.warnings, "errors": self.errors,
            "elapsed_s": round(self.elapsed_s, 3), "lines_per_s": round(rate, 1),
        }


class Ingestor:
    """Validates and commits updategrams."""

    def __init__(self, settings: Settings, *, engine: Engine | None = None, batch_size: int = DEFAULT_BATCH,
                 allowed_force: str | None = None, workers: int | None = None):
        self.settings = settings
        self.engine = engine or get_engine(settings)
        self.batch_size = batch_size
        self.validator = Validator(settings.hash_secret, settings.max_line_bytes, allowed_force)
        # None: decide per input (a worker for large inputs on a multi-core machine).
        self.workers = workers

    # --- public verbs -------------------------------------------------------------------
    def ingest_lines(self, lines: Iterable[tuple[int, bytes | Oversized]], origin: str,
                     summary: Summary | None = None, *, parallel: bool = False) -> Summary:
        summary = summary or Summary()
        started = time.perf_counter()
        chunks = _chunked(iter(lines), self.batch_size)
        with quiet_gc():
            results = self._parallel(origin, chunks) if parallel else (self.validator.chunk(origin, c) for c in chunks)
            for outcomes in results:
                self._commit_outcomes(outcomes, summary)
        summary.elapsed_s += time.perf_counter() - started
        return summary

    def retry_quarantined(self, ids: list[int] | None = None) -> Summary:
        """Validate open quarantine entries again (after the standard or the data
        was fixed).  Entries that now pass are accepted and marked so; the rest
        stay open with their new reasons."""
        summary = Summary()
        with self.engine.connect() as conn:
            q = select(quarantine).where(quarantine.c.status == "open").order_by(quarantine.c.id)
            if ids:
                q = q.where(quarantine.c.id.in_(ids))
            entries = conn.execute(q).mappings().all()
        outcomes: list[Outcome] = []
        for e in entries:
            line: bytes | Oversized = (e["raw"] if e["raw"] is not None
                                       else Oversized(Path(e["raw_path"]), e["raw_size"], e["raw_sha256"]))
            outcome = self.validator.outcome(e["origin"], e["line_no"], line)
            if outcome is not None:
                outcome.quarantine_id = e["id"]
            outcomes.append(outcome)
            if len(outcomes) >= self.batch_size:
                self._commit_outcomes(outcomes, summary)
                outcomes = []
        self._commit_outcomes(outcomes, summary)
        return summary

    # --- validation in a worker ---------------------------------------------------------------
    def _parallel(self, origin: str, chunks: Iterator[list[tuple[int, bytes | Oversized]]]) -> Iterator[list[Outcome]]:
        workers = self.workers or max(1, min(2, (os.cpu_count() or 2) - 1))
        ctx = multiprocessing.get_context("spawn")  # no fork: the parent may hold threads and connections
        v = self.validator
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=init_worker,
                                 initargs=(v.hash_secret, v.max_line_bytes, v.allowed_force)) as pool:
            window: deque[tuple[list[tuple[int, bytes | Oversized]], Future[list[Outcome]]]] = deque()
            for chunk in chunks:
                window.append((chunk, pool.submit(worker_chunk, origin, chunk)))
                if len(window) > workers + 1:  # bounded read-ahead keeps memory flat
                    yield _with_raw(*window.popleft())
            while window:
                yield _with_raw(*window.popleft())

    # --- the transaction -----------------------------------------------------------------
    def _commit_outcomes(self, outcomes: list[Outcome], summary: Summary) -> None:
        batch: list[Pending] = []
        rejected: list[Rejected] = []
        for o in outcomes:
            summary.lines += 1
            if o is None:
                summary.blank_lines += 1
            elif isinstance(o, Pending):
                batch.append(o)
            else:
                rejected.append(o)
        if not batch and not rejected:
            return
        for attempt in range(5):
            try:
                with self.engine.connect() as conn, write_transaction(conn):
                    accepted, duplicates, conflicts = self._apply(conn, batch, rejected)
                break
            except (IntegrityError, OperationalError):
                # Another ingest committed an overlapping key, or the store was
                # busy: classify again against what is now in the log.
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))
        summary.accepted += accepted
        summary.duplicates += duplicates
        summary.quarantined += len(rejected) + len(conflicts)
        for r in [*rejected, *conflicts]:
            summary.by_reason.update(r.reasons)

    def _apply(self, conn: Connection, batch: list[Pending],
               rejected: list[Rejected]) -> tuple[int, int, list[Rejected]]:
        now = utcnow()
        known = self._known_hashes(conn, batch)
        fresh: list[Pending] = []
        conflicts: list[Rejected] = []
        duplicates = 0
        resolved: list[tuple[str, int]] = []  # (status, quarantine id) of retried entries
        for p in batch:
            key = (p.item.force, p.item.source, p.item.sequence)
            seen = known.get(key)
            if seen is None:
                known[key] = p.digest
                fresh.append(p)
            elif seen == p.digest:
                duplicates += 1
                if p.quarantine_id is not None:
                    resolved.append(("duplicate", p.quarantine_id))
            else:
                conflicts.append(p.reject("CONFLICT", f"{p.item.force}/{p.item.source} sequence "
                                          f"{p.item.sequence} was already received with different content"))

        keys = self._data_keys(conn, fresh, now)
        conflicts.extend(p.reject("RECORD_ERASED", f"{p.item.rkey} was erased; it cannot be updated")
                         for p in fresh if keys[p.item.rkey] is None)
        fresh = [p for p in fresh if keys[p.item.rkey] is not None]
        insert_rows(conn, log, LOG_COLUMNS, [(
            p.item.force, p.item.source, p.item.sequence, p.item.rkey, p.item.rtype, p.item.ref, p.item.op,
            p.item.dataset, p.item.handling, p.item.sharing, p.item.issued_at, now, p.digest,
            p.sealed_with(keys[p.item.rkey]),  # type: ignore[arg-type]
        ) for p in fresh])
        if fresh:
            items = [p.item for p in fresh]
            for projector in projectors.registered():
                projector.apply(conn, items)
        resolved.extend(("accepted", p.quarantine_id) for p in fresh if p.quarantine_id is not None)

        self._quarantine(conn, [*rejected, *conflicts], now)
        projectors.quarantined(conn, [*rejected, *conflicts])
        update_rows(conn, quarantine, ("status", "resolved_at"), "id = ?", [(s, now, q) for s, q in resolved])
        self._audit_collection(conn, fresh, rejected, conflicts)
        return len(fresh), duplicates, conflicts

    def _audit_collection(self, conn: Connection, fresh: list[Pending], rejected: list[Rejected],
                          conflicts: list[Rejected]) -> None:
        """One s62 'collection' entry per batch, in the batch's own transaction.
        It names the records by (force, source, sequence range) rather than
        listing every key: the log resolves a range to its records."""
        if not fresh and not rejected and not conflicts:
            return
        from leds.audit import AuditEvent, append

        streams: dict[str, list[int]] = {}
        for p in fresh:
            streams.setdefault(f"{p.item.force}|{p.item.source}", []).append(p.item.sequence)
        origins = sorted({p.origin for p in fresh} | {r.origin for r in [*rejected, *conflicts]})
        actor = origins[0].replace("api:", "system-account:", 1) if origins and origins[0].startswith("api:") \
            else "system"
        append(conn, [AuditEvent(action="collection", actor=actor, detail={
            "kind": "ingest", "origins": origins[:10], "accepted": len(fresh),
            "quarantined": len(rejected) + len(conflicts),
            "sequences": {k: [min(v), max(v), len(v)] for k, v in sorted(streams.items())},
        })], settings=self.settings)

    def _known_hashes(self, conn: Connection, batch: list[Pending]) -> dict[tuple[str, str, int], str]:
        by_stream: dict[tuple[str, str], list[int]] = {}
        for p in batch:
            by_stream.setdefault((p.item.force, p.item.source), []).append(p.item.sequence)
        known: dict[tuple[str, str, int], str] = {}
        for (force, source), seqs in by_stream.items():
            highest = conn.execute(select(func.max(log.c.sequence)).where(
                log.c.force == force, log.c.source == source)).scalar()
            if highest is None or min(seqs) > highest:
                continue  # a stream moving forward, as it should: nothing here can be a repeat
            for seq, h in select_in(conn, log, ("sequence", "content_hash"), "sequence", seqs,
                                    "force = ? AND source = ?", (force, source)):
                known[(force, source, seq)] = h
        return known

    def _data_keys(self, conn: Connection, fresh: list[Pending], now: str) -> dict[str, bytes | None]:
        """Each record's data key: the stored one, or (for a record seen for the
        first time) the candidate its first updategram was sealed with."""
        candidates = {p.item.rkey: p.candidate_key or crypto.new_data_key() for p in reversed(fresh)}
        found: dict[str, bytes | None] = dict(select_in(conn, record_keys, ("rkey", "dek"), "rkey", list(candidates)))
        new = {k: v for k, v in candidates.items() if k not in found}
        insert_rows(conn, record_keys, ("rkey", "dek", "created_at"), [(k, v, now) for k, v in new.items()])
        for p in fresh:
            p.item.new_record = p.item.rkey in new
        found.update(new)
        return found

    def _quarantine(self, conn: Connection, items: list[Rejected], now: str) -> None:
        if not items:
            return
        update_rows(conn, quarantine, ("reasons", "message", "last_seen"), "id = ?",
                    [(orjson.dumps(r.reasons).decode(), r.message, now, r.quarantine_id)
                     for r in items if r.quarantine_id is not None])
        new = [r for r in items if r.quarantine_id is None]
        open_ids: dict[str, int] = dict(select_in(conn, quarantine, ("raw_sha256", "id"), "raw_sha256",
                                                  list({r.raw_sha256 for r in new}), "status = ?", ("open",)))
        # The same bad line sent again (or a re-run after a crash): one entry, seen more often.
        again = [{"qid": open_ids[r.raw_sha256]} for r in new if r.raw_sha256 in open_ids]
        if again:
            conn.execute(update(quarantine).where(quarantine.c.id == bindparam("qid"))
                         .values(times_seen=quarantine.c.times_seen + 1, last_seen=now), again)
        rows = []
        for r in new:
            if r.raw_sha256 in open_ids:
                continue
            open_ids[r.raw_sha256] = -1  # a repeat within this batch counts once
            rows.append((r.raw_sha256, r.origin, r.line_no, r.raw, r.raw_path, r.raw_size,
                         orjson.dumps(r.reasons).decode(), r.message, r.force, r.source, r.sequence,
                         now, now, 1, "open"))
        insert_rows(conn, quarantine, QUARANTINE_COLUMNS, rows)


def _with_raw(chunk: list[tuple[int, bytes | Oversized]], future: Future[list[Outcome]]) -> list[Outcome]:
    outcomes = future.result()
    for (_, line), o in zip(chunk, outcomes, strict=True):
        if isinstance(o, Pending) and isinstance(line, bytes):
            o.raw = line  # the worker does not send back what we already hold
    return outcomes


@contextmanager
def quiet_gc() -> Iterator[None]:
    """Ingest allocates millions of short-lived objects that reference counting
    frees; CPython's cyclic collector would rescan the whole heap (every imported
    module's objects) over and over while finding nothing.  Freeze what exists
    and collect less often for the duration."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _chunked(it: Iterator[Any], n: int) -> Iterator[list[Any]]:
    while chunk := list(islice(it, n)):
        yield chunk


def ingest_paths(ingestor: Ingestor, paths: list[Path | str],
                 on_bytes: Callable[[int], None] | None = None) -> Summary:
    """Ingest files (``-`` for standard input).  A file that cannot be read is
    reported in ``summary.errors`` and the others carry on."""
    summary = Summary()
    for p in paths:
        name = str(p)
        summary.files.append(name)
        try:
            if name == "-":
                stream, size = sys.stdin.buffer, PARALLEL_THRESHOLD_BYTES
            else:
                stream, size = open(p, "rb"), os.path.getsize(p)  # noqa: SIM115 (closed below)
        except OSError as exc:
            summary.errors.append(f"cannot read {name}: {exc.strerror or exc}")
            continue
        before = summary.lines
        parallel = ingestor.workers != 0 and size >= PARALLEL_THRESHOLD_BYTES and (os.cpu_count() or 1) > 1
        try:
            lines = read_lines(stream, ingestor.settings.quarantine_dir,
                               max_line_bytes=ingestor.settings.max_line_bytes, on_bytes=on_bytes)
            ingestor.ingest_lines(lines, name, summary, parallel=parallel)
        except OSError as exc:
            summary.errors.append(f"cannot read {name}: {exc.strerror or exc}")
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        if summary.lines == before and not summary.errors:
            summary.warnings.append(f"{name}: the file is empty; no updategrams were read")
    return summary

