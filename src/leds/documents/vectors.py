"""The vector half of search: a collection's chunk embeddings in memory, searched through an
inverted-file index (IVF) once they are many.

Why: a scan of every vector costs time in proportion to the collection (100,000 documents
are ~2.3 million chunks, 1.2 GB of float32: ~350 ms a query on this machine), against a
budget of 150 ms for the whole query.  An IVF puts each vector in the cell of its nearest
centroid (spherical k-means, about sqrt(N) cells); a query scores the centroids, then only
the vectors of its ``PROBE`` nearest cells: a few per cent of the collection.  The vectors
are held as float32 (512 bytes a chunk: 1.2 GB for 100,000 documents).  Below
``IVF_FROM`` vectors the scan is exact.  The caller adds the full-text half's candidates,
scored exactly (:meth:`Index.score`), so a passage the cells missed but words found is
still ranked by its true cosine.  Measured in ``bench/bench_documents.py``.

Vectors embedded after the cells were built are kept in a tail that is scanned exactly;
the cells are rebuilt when the tail passes a quarter of the whole.
"""

from __future__ import annotations

import copy
import threading

import numpy as np
from sqlalchemy import Connection, func, select

from . import embed
from .tables import doc_chunks, documents

IVF_FROM = 50_000  # vectors; below this an exact scan takes a few milliseconds
PROBE = 64  # cells probed per query (of ~sqrt(N)): at 2.3M vectors, 1,529 cells, ~4% of the vectors
_EMPTY_I = np.zeros(0, dtype=np.int64)


def _unit(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)  # type: ignore[no-any-return]


def kmeans(sample: np.ndarray, cells: int, rounds: int = 6, seed: int = 0) -> np.ndarray:
    """Spherical k-means on ``sample`` (unit rows): unit centroids (float32)."""
    rng = np.random.default_rng(seed)
    cent = sample[rng.choice(len(sample), cells, replace=False)].copy()
    for _ in range(rounds):
        near = np.argmax(sample @ cent.T, axis=1)
        sums = np.zeros_like(cent)
        np.add.at(sums, near, sample)
        empty = np.bincount(near, minlength=cells) == 0
        sums[empty] = sample[rng.choice(len(sample), int(empty.sum()), replace=False)]
        cent = _unit(sums)
    return cent


class Index:
    """Chunk ids, their documents and vectors (float32), in IVF cells once there are many."""

    def __init__(self, ids: np.ndarray, docs: np.ndarray, vecs: np.ndarray, *, cells: int | None = None) -> None:
        n = len(ids)
        self.cent: np.ndarray | None = None
        self.offsets = np.array([0, n], dtype=np.int64)
        if n >= IVF_FROM:
            k = cells or int(np.sqrt(n))
            # Cells over the directions from the collection's mean: chunk vectors share a common
            # direction (the norm of their mean is ~0.7), and cells cut around it come out even.
            # q.v and q.(v - mean) rank alike, so the probe needs nothing more.
            mean = vecs[:: max(1, n // 100_000)].astype(np.float32).mean(0)
            self.cent = kmeans(_unit(vecs[:: max(1, n // (k * 32))].astype(np.float32) - mean), k)
            near = np.concatenate([np.argmax(_unit(vecs[i:i + 65_536].astype(np.float32) - mean) @ self.cent.T, axis=1)
                                   for i in range(0, n, 65_536)])
            order = np.argsort(near, kind="stable")
            ids, docs, vecs = ids[order], docs[order], vecs[order]
            self.offsets = np.concatenate([[0], np.cumsum(np.bincount(near, minlength=k))]).astype(np.int64)
        # float32: widening float16 costs ~4 ns an element, more than the product itself
        self.ids, self.docs, self.vecs = ids, docs, np.ascontiguousarray(vecs, dtype=np.float32)
        self.by_id = np.argsort(ids, kind="stable")
        self.sorted_ids = ids[self.by_id]  # gathered once: 18 MB at 2.3 M chunks, ~15 ms a query
        self.tail_ids, self.tail_docs = _EMPTY_I, _EMPTY_I
        self.tail_vecs = np.zeros((0, vecs.shape[1] if vecs.ndim == 2 else embed.DIMS), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.ids) + len(self.tail_ids)

    def added(self, ids: np.ndarray, docs: np.ndarray, vecs: np.ndarray) -> Index:
        """A copy with these vectors in its tail (the cells are shared; a search in progress
        on this one is not disturbed)."""
        out = copy.copy(self)
        out.tail_ids = np.concatenate([self.tail_ids, ids])
        out.tail_docs = np.concatenate([self.tail_docs, docs])
        out.tail_vecs = np.concatenate([self.tail_vecs, vecs.astype(np.float32)])
        return out

    def search(self, q: np.ndarray, k: int, probe: int | None = None) -> list[tuple[int, int, float]]:
        """(chunk id, document id, cosine), best first: the probed cells and the tail."""
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        if self.cent is None:
            parts.append((self.ids, self.docs, self.vecs @ q))
        else:
            for c in np.argsort(-(self.cent @ q))[:probe or PROBE]:
                lo, hi = self.offsets[c], self.offsets[c + 1]
                if hi > lo:
                    parts.append((self.ids[lo:hi], self.docs[lo:hi], self.vecs[lo:hi] @ q))
        if len(self.tail_ids):
            parts.append((self.tail_ids, self.tail_docs, self.tail_vecs @ q))
        if not parts:
            return []
        ids = np.concatenate([p[0] for p in parts])
        docs = np.concatenate([p[1] for p in parts])
        s = np.concatenate([p[2] for p in parts])
        k = min(k, len(s))
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.argsort(-s[top], kind="stable")]
        return [(int(ids[i]), int(docs[i]), float(s[i])) for i in top]

    def score(self, q: np.ndarray, chunk_ids: list[int]) -> list[tuple[int, int, float]]:
        """Exact (chunk id, document id, cosine) for the given chunks that have a vector."""
        out = []
        want = np.array(sorted(set(chunk_ids)), dtype=np.int64)
        if len(want) and len(self.ids):
            pos = np.searchsorted(self.sorted_ids, want)
            pos = np.minimum(pos, len(self.ids) - 1)
            rows = self.by_id[pos]
            hit = self.ids[rows] == want
            rows = rows[hit]
            s = self.vecs[rows] @ q
            out += [(int(self.ids[r]), int(self.docs[r]), float(v)) for r, v in zip(rows, s, strict=True)]
        if len(want) and len(self.tail_ids):
            m = np.isin(self.tail_ids, want)
            s = self.tail_vecs[m] @ q
            out += [(int(i), int(d), float(v)) for i, d, v in zip(self.tail_ids[m], self.tail_docs[m], s, strict=True)]
        return out


class _Held:
    def __init__(self, index: Index, max_id: int, stamp: tuple[int, int]) -> None:
        self.index, self.max_id, self.stamp = index, max_id, stamp


_held: dict[tuple[str, int], _Held] = {}
_lock = threading.Lock()


def _load(conn: Connection, collection_id: int, after: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids, docs, blobs = [], [], []
    for r in conn.execute(select(doc_chunks.c.id, doc_chunks.c.document_id, doc_chunks.c.vec).where(
            doc_chunks.c.collection_id == collection_id, doc_chunks.c.id > after,
            doc_chunks.c.vec.is_not(None)).order_by(doc_chunks.c.id)):
        ids.append(r[0])
        docs.append(r[1])
        blobs.append(r[2])
    m = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), embed.DIMS) if blobs \
        else np.zeros((0, embed.DIMS), dtype=np.float16)
    return np.array(ids, dtype=np.int64), np.array(docs, dtype=np.int64), m


def index(conn: Connection, collection_id: int) -> Index:
    """The collection's index, brought up to date with the documents processed since it was read.

    Stage two embeds documents in id order, so what is new is what has a larger chunk id; if the
    count of vectors does not add up (documents processed out of order), it is read again whole."""
    row = conn.execute(select(func.count(), func.max(documents.c.id)).where(
        documents.c.collection_id == collection_id, documents.c.stage == "done")).one()
    stamp = (int(row[0]), int(row[1] or 0))
    key = (str(conn.engine.url), collection_id)
    with _lock:
        held = _held.get(key)
    if held is not None and held.stamp == stamp:
        return held.index
    if held is not None:
        ids, docs, m = _load(conn, collection_id, held.max_id)
        total = conn.execute(select(func.count()).select_from(doc_chunks).where(
            doc_chunks.c.collection_id == collection_id, doc_chunks.c.vec.is_not(None))).scalar_one()
        ix = held.index
        if len(ix) + len(ids) == total and len(ix.tail_ids) + len(ids) <= len(ix) // 4:
            ix = ix.added(ids, docs, m)
            new = _Held(ix, int(ids[-1]) if len(ids) else held.max_id, stamp)
            with _lock:
                _held[key] = new
            return ix
    ids, docs, m = _load(conn, collection_id, 0)
    built = _Held(Index(ids, docs, m), int(ids[-1]) if len(ids) else 0, stamp)
    with _lock:
        _held[key] = built
    return built.index
