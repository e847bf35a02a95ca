"""``leds documents eval``: nDCG@10 and recall@10 of BM25 alone, embeddings alone and
the hybrid, on the generated judged collection (:mod:`.judged`), in one run.

The collection is written to files and read by the real ingest (both stages) into a
store of its own (a temporary SQLite file unless a store is given), so the figures
measure the code that serves users.  nDCG uses gains 2^grade - 1; recall@10 counts the
documents graded 2 found in the first ten.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from leds.config import Settings

from . import cases, judged, process, search
from .ingest import ingest

MODES = ("bm25", "vector", "hybrid")


def ndcg(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** grades.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    relevant = {d for d, g in grades.items() if g >= 2}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


@dataclass
class Scores:
    mode: str
    ndcg10: float
    recall10: float
    per_question: dict[str, float]


def run(settings: Settings | None = None, seed: int = 1966) -> tuple[list[Scores], dict[str, int]]:
    from leds.db.engine import get_engine

    docs, questions = judged.generate(seed)
    with tempfile.TemporaryDirectory(prefix="leds-judged-") as tmp:
        s = settings or Settings(home=Path(tmp) / "home")
        engine = get_engine(s)
        folder = Path(tmp) / "files"
        folder.mkdir()
        for d in docs:
            (folder / d.name).write_text(d.text, encoding="utf-8")
        name = f"judged-{seed}"
        with engine.begin() as conn:
            c = cases.by_name(conn, name) or cases.create(conn, name, title="Generated judged collection",
                                                           case_ref=f"EVAL/{seed}", handling="OFFICIAL", team=[],
                                                           by="leds documents eval")
        ingest(engine, c, [str(folder)])
        process.process(engine, c, s.home)
        out = []
        with engine.connect() as conn:
            names = {}
            from sqlalchemy import select

            from .tables import documents

            for r in conn.execute(select(documents.c.id, documents.c.name).where(documents.c.collection_id == c.id)):
                names[r.id] = r.name
            for mode in MODES:
                per: dict[str, float] = {}
                rec = []
                for q in questions:
                    ranked = [names[d] for d, _, _ in search.rank(conn, c.id, q.text, mode=mode, limit=10,
                                                                  home=s.home)]
                    per[q.qid] = ndcg(ranked, q.grades)
                    rec.append(recall(ranked, q.grades))
                out.append(Scores(mode, sum(per.values()) / len(per), sum(rec) / len(rec), per))
        if settings is None:
            from leds.db.engine import dispose_all

            dispose_all()
    return out, {"documents": len(docs), "questions": len(questions)}
