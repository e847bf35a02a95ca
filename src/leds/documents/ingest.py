"""Stage one of ingest: read files, store each document and its chunks in full-text search.

A collection is searchable by words as soon as a batch commits.  Embeddings, entities and
triage follow in stage two (:mod:`.process`).  A document is unique in its collection by
the hash of its bytes, so ingesting the same files again adds nothing; a file that cannot
be read is listed in ``doc_failures`` with its reason, and the rest go on.

Why it is built this way (100,000 documents of ~10 KB must be searchable by words within
three minutes on two cores, see ``bench/bench_documents.py``): files are read, hashed,
decoded and chunked in worker processes (:func:`read_file`), while this process only
writes; each batch of files is one transaction; on SQLite the rows go through the driver's
own ``executemany`` (SQLAlchemy's per-statement work cost more than SQLite's), and the
full-text table is contentless, so a chunk's text is indexed but not stored a second time
(migration 0018; :func:`chunk_text` cuts it again from the document when it is needed).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, text

from . import extract
from .cases import Collection
from .extract import Item, Unreadable, now
from .tables import doc_failures, documents

CHUNK_WORDS = 120
JOIN_WORDS = 20
PARALLEL_FROM = 64  # files; below this, worker processes cost more to start than they save
_WORDS = re.compile(r"\S+")
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\[)")  # a blank line, or the next message of a chat export


@dataclass
class Report:
    files: int = 0
    added: int = 0  # documents, attachments included
    already: int = 0
    words: int = 0
    bytes: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"files": self.files, "added": self.added, "already": self.already, "words": self.words,
                "bytes": self.bytes, "failed": self.failed}


def chunks(text: str, size: int = CHUNK_WORDS, join: int = JOIN_WORDS) -> list[str]:
    """Passages: a paragraph or a message each, short ones joined up to ``join`` words,
    long ones cut every ``size`` words.  Why so small: a chunk's embedding is the mean of
    its words, and a mean over a long passage loses the one sentence that matters (on
    the judged collection, 16-20-word passages gave embeddings nDCG@10 0.59 against 0.44
    for 120-word windows), while prose paragraphs still make one chunk each."""
    out: list[str] = []
    cur: list[str] = []
    for para in _PARAGRAPH.split(text):
        ws = _WORDS.findall(para)
        if not ws:
            continue
        if cur and len(cur) + len(ws) > join:
            out.append(" ".join(cur))
            cur = []
        cur += ws
        while len(cur) > size:
            out.append(" ".join(cur[:size]))
            cur = cur[size:]
    if cur:
        out.append(" ".join(cur))
    return out


def chunk_text(body: str, n: int) -> str:
    """Chunk ``n`` of a document's body: the text that was indexed (it is not stored twice)."""
    parts = chunks(body)
    return parts[n] if 0 <= n < len(parts) else ""


@dataclass
class Parsed:
    """A document as a worker read it: what is stored, without the bytes."""

    sha256: str
    name: str
    doc_type: str
    size: int
    title: str
    doc_date: str | None
    text: str
    words: int
    parts: list[str]
    children: list[Parsed]
    failures: list[tuple[str, str, str]]  # (child's name, reason, detail)


@dataclass
class FileRead:
    path: str
    size: int
    read: int  # bytes read
    item: Parsed | None = None
    failure: tuple[str, str] | None = None  # (reason, detail)


def _parsed(item: Item) -> Parsed:
    return Parsed(hashlib.sha256(item.data).hexdigest(), item.name[:300], item.doc_type, len(item.data),
                  item.title[:300] or item.name[:300], item.doc_date, item.text, len(_WORDS.findall(item.text)),
                  chunks(item.text), [_parsed(ch) for ch in item.children],
                  [(n, e.reason, e.detail) for n, e in item.failures])


def read_file(job: tuple[str, str, int]) -> FileRead:
    """Read, hash, decode and chunk one file (in a worker process); never raises for a bad file."""
    path, name, max_bytes = job
    size = got = 0
    try:
        st = os.stat(path)
        size = st.st_size
        if size > max_bytes:
            raise Unreadable("over_size", f"{size:,} bytes; the limit is {max_bytes:,}")
        with open(path, "rb") as f:
            data = f.read()
        got = len(data)
        item = _parsed(extract.read(name, data, max_bytes=max_bytes))
        if item.doc_date is None:
            item.doc_date = datetime.fromtimestamp(st.st_mtime, UTC).date().isoformat()
        return FileRead(path, size, got, item)
    except Unreadable as exc:
        return FileRead(path, size, got, failure=(exc.reason, exc.detail))
    except OSError as exc:
        return FileRead(path, size, 0, failure=("corrupt", f"cannot read: {exc.strerror}"))


def _reads(jobs: list[tuple[str, str, int]], batch: int, workers: int) -> Iterator[list[FileRead]]:
    """Batches of files read, in order; with workers, the next batch is read while this one is written
    (two batches in memory at most).  If the workers cannot start or die, the rest is read here."""
    if workers < 1 or len(jobs) < PARALLEL_FROM:
        for start in range(0, len(jobs), batch):
            yield [read_file(j) for j in jobs[start:start + batch]]
        return
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # spawn, not fork: the parent holds database connections and threads
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        size = max(1, min(32, batch // (4 * workers)))

        def submit(part: list[tuple[str, str, int]]) -> list[Future[list[FileRead]]]:
            return [pool.submit(_read_many, part[i:i + size]) for i in range(0, len(part), size)]

        pending = submit(jobs[:batch])
        for start in range(0, len(jobs), batch):
            try:
                done = [r for f in pending for r in f.result()]
            except (BrokenProcessPool, OSError):
                for rest in range(start, len(jobs), batch):
                    yield [read_file(j) for j in jobs[rest:rest + batch]]
                return
            nxt = jobs[start + batch:start + 2 * batch]
            if nxt:
                pending = submit(nxt)
            yield done


def _read_many(part: list[tuple[str, str, int]]) -> list[FileRead]:
    return [read_file(j) for j in part]


def _all_shas(items: list[Parsed]) -> Iterator[str]:
    for it in items:
        yield it.sha256
        yield from _all_shas(it.children)


class _Writer:
    """Writes one batch in one transaction; on SQLite through the driver's cursor."""

    def __init__(self, conn: Connection, c: Collection, report: Report, items: list[Parsed]) -> None:
        self.conn, self.c, self.report = conn, c, report
        self.sqlite = conn.dialect.name == "sqlite"
        shas = sorted(set(_all_shas(items)))
        self.held: set[str] = set()
        for start in range(0, len(shas), 500):
            self.held.update(r[0] for r in conn.execute(select(documents.c.sha256).where(
                documents.c.collection_id == c.id, documents.c.sha256.in_(shas[start:start + 500]))))
        self.chunks: list[tuple[int, int, str]] = []  # (document id, n, text)
        self.cur = conn.connection.dbapi_connection.cursor() if self.sqlite else None  # type: ignore[union-attr]
        self.stamp = now()

    def document(self, it: Parsed, path: str, parent: int | None, fallback_date: str | None) -> None:
        if it.sha256 in self.held:
            self.report.already += 1
            return
        self.held.add(it.sha256)
        row = (self.c.id, it.sha256, it.name, path, it.doc_type, it.size, parent, it.doc_date or fallback_date,
               it.title, it.text, it.words, self.stamp, "words")
        if self.cur is not None:
            self.cur.execute("INSERT INTO documents (collection_id, sha256, name, path, doc_type, size, parent_id, "
                             "doc_date, title, body, words, added_at, stage) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
            doc_id = int(self.cur.lastrowid)  # type: ignore[arg-type]
        else:
            cols = ("collection_id", "sha256", "name", "path", "doc_type", "size", "parent_id", "doc_date", "title",
                    "body", "words", "added_at", "stage")
            doc_id = int(self.conn.execute(insert(documents).values(dict(zip(cols, row, strict=True)))
                                           .returning(documents.c.id)).scalar_one())
        self.chunks.extend((doc_id, n, p) for n, p in enumerate(it.parts))
        self.report.added += 1
        self.report.words += it.words
        for child in it.children:
            self.document(child, f"{path}/{child.name}", doc_id, it.doc_date or fallback_date)
        for name, reason, detail in it.failures:
            _fail(self.conn, self.c, self.report, f"{path}/{name}", Unreadable(reason, detail))

    def flush(self) -> None:
        """The batch's chunks and their words, in two statements."""
        if not self.chunks:
            return
        if self.cur is not None:
            # the write lock is held since BEGIN IMMEDIATE: no other writer can take these ids
            first = int(self.cur.execute("SELECT coalesce(max(id), 0) FROM doc_chunks").fetchone()[0]) + 1
            self.cur.executemany("INSERT INTO doc_chunks (id, document_id, collection_id, n) VALUES (?,?,?,?)",
                                 [(first + i, d, self.c.id, n) for i, (d, n, _) in enumerate(self.chunks)])
            self.cur.executemany("INSERT INTO doc_chunks_fts (rowid, body) VALUES (?,?)",
                                 [(first + i, t) for i, (_, _, t) in enumerate(self.chunks)])
            self.cur.close()
        else:
            self.conn.execute(text("INSERT INTO doc_chunks (document_id, collection_id, n, tsv) "
                                   "VALUES (:d, :c, :n, to_tsvector('english', :b))"),
                              [{"d": d, "c": self.c.id, "n": n, "b": t} for d, n, t in self.chunks])
        self.chunks = []


def _fail(conn: Connection, c: Collection, report: Report, path: str, exc: Unreadable) -> None:
    key = hashlib.sha256(f"{path}\x00{exc.reason}".encode()).hexdigest()
    report.failed.append({"path": path, "reason": exc.reason, "detail": exc.detail})
    if conn.execute(select(doc_failures.c.id).where(doc_failures.c.collection_id == c.id,
                                                    doc_failures.c.key == key)).first() is None:
        conn.execute(insert(doc_failures).values(collection_id=c.id, key=key, path=path, reason=exc.reason,
                                                 detail=exc.detail or extract.REASONS[exc.reason], at=now()))


def ingest(engine: Engine, c: Collection, paths: list[str], *, max_bytes: int = extract.MAX_BYTES,
           batch: int = 500, workers: int | None = None,
           on_file: Callable[[str, int], None] | None = None) -> Report:
    """Read every file under ``paths`` into collection ``c``; each ``batch`` of files is one
    transaction, read by ``workers`` processes (default: one per core, at most two)."""
    report = Report()
    jobs = [(path, name, max_bytes) for path, name in extract.walk(paths)]
    n_workers = min(2, os.cpu_count() or 1) if workers is None else workers
    writer = engine.execution_options(write=True)  # BEGIN IMMEDIATE on SQLite: the write lock from the start
    for reads in _reads(jobs, batch, n_workers):
        with writer.begin() as conn:
            w = _Writer(conn, c, report, [r.item for r in reads if r.item is not None])
            for r in reads:
                report.files += 1
                report.bytes += r.read
                if r.item is not None:
                    w.document(r.item, r.path, None, r.item.doc_date)
                elif r.failure is not None:
                    _fail(conn, c, report, r.path, Unreadable(*r.failure))
            w.flush()
        if on_file:
            for r in reads:
                on_file(r.path, r.size)
    return report
