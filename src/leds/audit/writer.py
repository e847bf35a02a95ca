"""Group commit for request handlers.

``writer.record(event)`` returns only when the entry is committed, but callers
do not take turns at the database: a background thread takes every event
waiting in the queue, appends them all in one write transaction, commits once,
then wakes every caller.  While it commits, the next callers queue up and go in
the next transaction, so the number of commits grows with time, not with
callers.  Readers are never blocked by audit writes: on SQLite (WAL) readers do
not wait for the writer, and on PostgreSQL the chain lock is an advisory lock
that only audit writers take.

Do not call ``record`` while your own connection holds an open SQLite write
transaction (it would wait for you); inside a write transaction, use
:func:`leds.audit.append` instead.
"""

from __future__ import annotations

import atexit
import contextlib
import queue
import threading
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Connection, Engine

from leds.config import Settings
from leds.db.engine import get_engine, write_transaction

from .chain import (
    CHECKPOINT_EVERY,
    AuditError,
    AuditEvent,
    Checkpoint,
    Prepared,
    append_prepared,
    lock_chain,
    prepare,
    write_checkpoint,
)
from .keys import Signer, get_signer

MAX_BATCH = 5000
_STOP = object()


class AuditWriter:
    def __init__(self, engine: Engine, *, settings: Settings | None = None, signer: Signer | None = None,
                 checkpoint_every: int = CHECKPOINT_EVERY, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.signer = signer if signer is not None else (get_signer(settings) if settings is not None else None)
        self.checkpoint_every = checkpoint_every
        self.max_batch = max_batch
        self.commits = 0  # transactions committed (for benchmarks and tests)
        self.entries = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="leds-audit-writer", daemon=True)
        self._thread.start()

    def record(self, event: AuditEvent, timeout: float | None = 60.0) -> int:
        """Append one event; returns its entry id once it is committed.  Raises
        ``ValueError`` for a malformed event (nothing written) and ``AuditError``
        if the store could not take it: fail closed, do not show the data."""
        return self.submit(event).result(timeout)

    def submit(self, event: AuditEvent) -> Future[int]:
        prepared = prepare(event)  # reject a bad event in the caller's thread, not the batch's
        fut: Future[int] = Future()
        with self._lock:
            if self._closed:
                raise AuditError("the audit writer is closed")
            self._queue.put((prepared, fut))
        return fut

    def close(self) -> None:
        """Write everything already queued, then stop.  Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in batch:
                stopping = True
                batch = [b for b in batch if b is not _STOP]
            if batch:
                self._write(batch)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _write(self, batch: list[tuple[Prepared, Future[int]]]) -> None:
        try:
            if self._conn is None:  # one connection for the writer's life, reopened after an error
                self._conn = self.engine.connect()
            with write_transaction(self._conn):
                ids = append_prepared(self._conn, [p for p, _ in batch], signer=self.signer,
                                      checkpoint_every=self.checkpoint_every)
        except Exception as exc:  # every waiter learns that its entry was not written
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None
            err = AuditError(f"audit entries could not be written: {exc}")
            err.__cause__ = exc
            for _, fut in batch:
                fut.set_exception(err)
            return
        self.commits += 1
        self.entries += len(ids)
        for (_, fut), entry_id in zip(batch, ids, strict=True):
            fut.set_result(entry_id)


_WRITERS: dict[str, AuditWriter] = {}
_WRITERS_LOCK = threading.Lock()


def get_writer(settings: Settings) -> AuditWriter:
    """The process-wide writer for this store (one per database URL)."""
    with _WRITERS_LOCK:
        writer = _WRITERS.get(settings.database_url)
        if writer is None or writer._closed:
            writer = AuditWriter(get_engine(settings), settings=settings)
            _WRITERS[settings.database_url] = writer
        return writer


def close_writers() -> None:
    """Flush and stop every process-wide writer (at exit, and in tests)."""
    with _WRITERS_LOCK:
        writers = list(_WRITERS.values())
        _WRITERS.clear()
    for w in writers:
        w.close()


atexit.register(close_writers)


def checkpoint(engine: Engine, settings: Settings) -> Checkpoint | None:
    """Sign a checkpoint at the chain head now (None if the chain is empty or
    the head is already signed)."""
    signer = get_signer(settings)
    with engine.connect() as conn, write_transaction(conn):
        lock_chain(conn)
        return write_checkpoint(conn, signer)


def latest_checkpoint(engine: Engine) -> Checkpoint | None:
    from sqlalchemy import select

    from .tables import audit_checkpoints

    with engine.connect() as conn:
        row = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id.desc()).limit(1)).mappings().first()
    return Checkpoint(**row) if row else None
