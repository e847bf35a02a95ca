"""Likely duplicates of a commissioning request, by meaning as well as words.

Two signals, averaged: TF-IDF over character 3-5-grams within word boundaries (catches the
same request reworded, misspelt or re-ordered) and, where the document-search domain's local
embedding model is installed and built (leds.documents.embed: static MiniLM vectors, no
download), the cosine of the texts' embeddings (catches the same need in other words).
Measured on a small judged set of paraphrased and unrelated requests: see
``bench/bench_office.py --duplicates``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

# A pair at or above this is shown as a likely duplicate.  On the judged set in
# bench/bench_office.py --duplicates, reworded requests score 0.53-0.72 with the embedding and
# new ones at most 0.30; by characters alone, 0.33-0.67 against at most 0.12.
LIKELY = 0.45
LIKELY_LEXICAL = 0.25


def _embedder(home: Path | None) -> Any:
    """The documents domain's embedding function when its vectors are built, else None
    (building them takes a minute: never on a request)."""
    try:
        from leds.documents import embed
    except ImportError:
        return None
    try:
        if not any(p.exists() for p in embed._cache_paths(home)):
            return None
    except Exception:
        return None
    return embed.embed


def method(home: Path | None = None) -> str:
    return "tfidf-char+embedding" if _embedder(home) is not None else "tfidf-char"


def threshold(home: Path | None = None) -> float:
    return LIKELY if _embedder(home) is not None else LIKELY_LEXICAL


def scores(query: str, texts: list[str], home: Path | None = None) -> list[float]:
    """Similarity of ``query`` to each of ``texts``, in 0-1."""
    if not texts or not query.strip():
        return [0.0] * len(texts)
    from sklearn.feature_extraction.text import TfidfVectorizer  # on first use: not in every worker

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)
    m = vec.fit_transform([query, *texts])
    lexical = (m[1:] @ m[0].T).toarray().ravel()
    embed = _embedder(home)
    if embed is None:
        return [round(float(x), 3) for x in lexical]
    e = embed([query, *texts], home)
    semantic = np.clip(e[1:] @ e[0], 0.0, 1.0)
    return [round(float(x), 3) for x in (lexical + semantic) / 2]
