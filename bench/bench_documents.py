"""Document search benchmark: ingest by words, embedding, query latency, and triage.

    .venv/bin/python bench/bench_documents.py                  # 2,000 documents of ~10 KB (~2 min)
    .venv/bin/python bench/bench_documents.py --docs 5000 --queries 200
    .venv/bin/python bench/bench_documents.py --models       # the model choice, on the judged collection

1. ``--docs`` documents of about 10 KB each (the target's 100,000 documents are ~1 GB:
   10 KB apiece) are generated (seeded): prose paragraphs of English words drawn by Zipf's law,
   chat-like lines, names, phones, VRMs and dates.  1% of them have one planted paragraph
   describing children used to carry drugs (in the words of the judged collection); as
   many decoys talk about children and school innocently.
2. Stage one (read, chunk, full-text index) through ``leds.documents.ingest`` on a fresh
   SQLite store: documents/s and words/s, extrapolated to 100,000 documents.
3. Stage two (embed every chunk, entities and their links, triage) through
   ``leds.documents.process``: chunks/s, extrapolated.
4. A triage category ("child exploitation": terms and two example passages) is defined
   and scored; the recall of the planted documents in the queue's top 1% is reported.
5. ``--queries`` hybrid searches (questions from the judged collection), p50/p95, at this
   size.  For 100,000 documents the embedding half is measured directly: one query
   against a matrix with as many chunks as 100,000 such documents would have; the BM25
   half is scaled linearly from this size (an over-estimate: FTS5's cost grows with the
   postings read, not the collection).

``--models`` instead compares the embedding models on the judged collection (the same
ingest, search and fusion): the static vectors leds uses against the full all-MiniLM-L6-v2
run on every chunk (NumPy, from the same package), nDCG@10 and recall@10 for embeddings
alone and the hybrid, and the chunks embedded a second by each.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TARGET = 100_000
PLANT = ["sending the youngers out of town with the packages", "the kid is running the line to the coast",
         "groomed the schoolboy to courier", "a fifteen year old holding the burner",
         "teenagers moving parcels on the train"]
DECOY = ["the children walked to school together", "the school trip to the coast was lovely",
         "the kids are doing their homework", "a fifteen year old won the swimming gala"]


def _vocab() -> tuple[list[str], list[float]]:
    """English words with Zipf weights: MiniLM's whole-word vocabulary (21,719 words), in the
    tokenizer's order, which is roughly by frequency ("the" comes early), weighted 1 / rank.
    A realistic vocabulary matters to full-text indexing: each distinct word is a posting list."""
    from leds.documents import minilm

    vocab = minilm.tokenizer().get_vocab()
    words = [t for t, _ in sorted(vocab.items(), key=lambda x: x[1]) if t.isalpha() and t.isascii() and len(t) > 1]
    cum, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank
        cum.append(total)
    return words, cum


def make_docs(n: int, seed: int = 5) -> tuple[list[tuple[str, str]], set[str]]:
    from leds.documents.judged import FORENAMES, SURNAMES

    rng = random.Random(seed)
    vocab, cum = _vocab()
    docs, planted = [], set()
    plant = set(rng.sample(range(n), max(1, n // 100)))
    decoy = set(rng.sample(sorted(set(range(n)) - plant), max(1, n // 100)))
    for i in range(n):
        paras = []
        size = 0
        while size < 10_000:
            words = rng.choices(vocab, cum_weights=cum, k=rng.randint(40, 110))
            if rng.random() < 0.3:
                who = f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)}"
                words[5:5] = [who, "on", f"07{rng.randint(100, 999)}", f"{rng.randint(100000, 999999)}", "drives",
                              f"{rng.choice('ABDEFGHKLMNY')}{rng.choice('ABCDEFGHJKLMN')}{rng.randint(10, 74)}",
                              "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3)),
                              f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/2025"]
            p = " ".join(words).capitalize() + "."
            paras.append(p)
            size += len(p) + 2
        name = f"doc-{i:06d}.txt"
        if i in plant:
            paras.insert(rng.randrange(len(paras)), f"{rng.choice(PLANT).capitalize()}, round the back of the flats.")
            planted.add(name)
        if i in decoy:
            paras.insert(rng.randrange(len(paras)), f"{rng.choice(DECOY).capitalize()}.")
        docs.append((name, "\n\n".join(paras)))
    return docs, planted


def models() -> None:
    from leds.documents import embed, evaluate, judged, minilm
    from leds.documents.ingest import chunks

    print("# command: .venv/bin/python bench/bench_documents.py --models")
    docs, _ = judged.generate()
    sample = [c for d in docs[:40] for c in chunks(d.text)]
    static = (embed.embed, embed.table, embed.DIMS)
    for name in ("static (leds)", "full MiniLM"):
        if name == "full MiniLM":
            embed.embed = lambda texts, home=None: minilm.encode(list(texts))  # type: ignore[assignment]
            embed.table = lambda home=None: None  # type: ignore[assignment,return-value]
            embed.DIMS = 384
        embed.embed(sample[:2])  # loads the model
        t = time.perf_counter()
        embed.embed(sample)
        rate = len(sample) / (time.perf_counter() - t)
        scores, _ = evaluate.run()
        by = {s.mode: s for s in scores}
        print(f"{name}: {rate:,.0f} chunks/s; embeddings alone nDCG@10 {by['vector'].ndcg10:.3f} recall@10 "
              f"{by['vector'].recall10:.3f}; hybrid nDCG@10 {by['hybrid'].ndcg10:.3f} recall@10 "
              f"{by['hybrid'].recall10:.3f}; BM25 nDCG@10 {by['bm25'].ndcg10:.3f}")
    embed.embed, embed.table, embed.DIMS = static


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--models", action="store_true", help="Compare the embedding models on the judged collection.")
    args = ap.parse_args()
    if args.models:
        models()
        return

    from sqlalchemy import func, select

    from leds.config import Settings
    from leds.db.engine import get_engine
    from leds.documents import cases, embed, judged, process, search, triage
    from leds.documents.ingest import ingest
    from leds.documents.tables import doc_chunks, documents

    print(f"# bench_documents: {args.docs:,} documents, {args.queries} queries")
    print(f"# command: .venv/bin/python bench/bench_documents.py --docs {args.docs} --queries {args.queries}")
    t = time.perf_counter()
    docs, planted = make_docs(args.docs)
    total_bytes = sum(len(d) for _, d in docs)
    print(f"generated {len(docs):,} documents, {total_bytes / 1e6:.1f} MB, in {time.perf_counter() - t:.1f} s")
    with tempfile.TemporaryDirectory(prefix="leds-bench-docs-") as tmp:
        folder = Path(tmp) / "files"
        folder.mkdir()
        for name, text in docs:
            (folder / name).write_text(text)
        settings = Settings(home=Path(tmp) / "home")
        engine = get_engine(settings)
        embed.table(settings.home)
        with engine.begin() as conn:
            c = cases.create(conn, "bench", title="bench", case_ref="BENCH", handling="OFFICIAL", team=[], by="bench")
        t = time.perf_counter()
        rep = ingest(engine, c, [str(folder)], batch=500)
        s1 = time.perf_counter() - t
        with engine.connect() as conn:
            n_chunks = conn.execute(select(func.count()).select_from(doc_chunks)).scalar_one()
        print(f"stage 1 (searchable by words): {rep.added:,} docs, {rep.words:,} words, {n_chunks:,} chunks in {s1:.1f} s"
              f" = {rep.added / s1:,.0f} docs/s, {rep.words / s1:,.0f} words/s, {total_bytes / s1 / 1e6:.2f} MB/s"
              f" -> 100,000 docs in {TARGET / (rep.added / s1) / 60:.1f} min")
        t = time.perf_counter()
        process.process(engine, c, settings.home, batch=200)
        s2 = time.perf_counter() - t
        print(f"stage 2 (embeddings, entities, links): {n_chunks:,} chunks in {s2:.1f} s = {n_chunks / s2:,.0f} chunks/s,"
              f" {rep.added / s2:,.1f} docs/s -> 100,000 docs in {TARGET / (rep.added / s2) / 60:.1f} min")
        t = time.perf_counter()
        texts = [x for _, x in docs[:200]]
        from leds.documents.ingest import chunks as chunker

        parts = [p for x in texts for p in chunker(x)]
        t = time.perf_counter()
        embed.embed(parts, settings.home)
        emb_rate = len(parts) / (time.perf_counter() - t)
        print(f"embedding alone: {emb_rate:,.0f} chunks/s")
        t = time.perf_counter()
        triage.define(engine, c, "child exploitation", ["groomed", "youngers", "county lines", "schoolboy"],
                      ["using children to carry drugs", "sending kids out of town with packages of drugs"], True,
                      settings.home)
        s3 = time.perf_counter() - t
        with engine.connect() as conn:
            q = triage.queue(conn, c, per_category=max(1, args.docs // 100), reveal=True)
        top = {i["document"] for i in q[0]["items"]}
        recall = len(top & planted) / len(planted)
        print(f"triage: category scored over {args.docs:,} docs in {s3:.1f} s; recall of the {len(planted)} planted "
              f"documents in the queue's top 1% ({len(top)}): {recall:.2f}")
        _, questions = judged.generate()
        qs = [questions[i % len(questions)].text for i in range(args.queries)]
        times, btimes = [], []
        with engine.connect() as conn:
            search.rank(conn, c.id, "warm up", home=settings.home)
            for qtext in qs:
                t = time.perf_counter()
                search.rank(conn, c.id, qtext, limit=10, home=settings.home)
                times.append(time.perf_counter() - t)
                t = time.perf_counter()
                search.bm25(conn, c.id, qtext)
                btimes.append(time.perf_counter() - t)
            per_doc = n_chunks / rep.added
        p50, p95 = statistics.median(times), sorted(times)[int(0.95 * len(times)) - 1]
        b95 = sorted(btimes)[int(0.95 * len(btimes)) - 1]
        print(f"query (hybrid) at {args.docs:,} docs: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
              f"(BM25 part p95 {b95 * 1000:.1f} ms)")
        big = int(per_doc * TARGET)
        m = np.random.default_rng(1).standard_normal((big, embed.DIMS), dtype=np.float32)
        qv = embed.embed(["getting rid of a knife"], settings.home)[0]
        vt = []
        for _ in range(20):
            t = time.perf_counter()
            s = m @ qv
            top = np.argpartition(-s, 199)[:200]
            top[np.argsort(-s[top])]
            vt.append(time.perf_counter() - t)
        v95 = sorted(vt)[18]
        b_scaled = b95 * TARGET / args.docs
        print(f"extrapolated to 100,000 docs ({big:,} chunks, {big * embed.DIMS * 4 / 1e9:.1f} GB of vectors in memory):"
              f" embedding scan p95 {v95 * 1000:.0f} ms (measured), BM25 p95 <= {b_scaled * 1000:.0f} ms (scaled "
              f"linearly), hybrid p95 <= {(v95 + b_scaled) * 1000:.0f} ms")
        del m
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == args.docs
        from leds.db.engine import dispose_all

        dispose_all()


if __name__ == "__main__":
    main()
