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


class Clock:
    """Wall and CPU time of a stage (this process and its finished worker processes), and the load."""

    def __enter__(self) -> Clock:
        import resource

        self.load = _load().split()[0]
        self.t = time.perf_counter()
        self.cpu = time.process_time()
        self.kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *exc: object) -> None:
        import resource

        k = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.wall = time.perf_counter() - self.t
        self.cpu_s = time.process_time() - self.cpu
        self.kids_s = k.ru_utime + k.ru_stime - self.kids.ru_utime - self.kids.ru_stime

    def __str__(self) -> str:
        kids = f" + {self.kids_s:.1f} s in workers" if self.kids_s > 0.05 else ""
        return f"wall {self.wall:.1f} s, CPU {self.cpu_s:.1f} s{kids}, load {self.load}"


def _load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(0.95 * len(xs)) - 1)]


def ann(big: int, real: np.ndarray, seed: int = 1) -> None:
    """The vector half at the target's size: ``big`` vectors made from the real ones (each a real
    chunk vector plus noise, renormalised, so they cluster as real ones do), through the IVF index,
    against the exact scan; queries are real vectors, jittered."""
    from leds.documents import vectors

    rng = np.random.default_rng(seed)
    with Clock() as ck:
        m = real[rng.integers(0, len(real), big)].astype(np.float32)
        m += rng.standard_normal(m.shape, dtype=np.float32) * 0.04
        m = vectors._unit(m).astype(np.float16)
    print(f"vectors at 100,000 docs: {big:,} x {m.shape[1]} float16 ({m.nbytes / 1e9:.2f} GB) made, {ck}")
    ids = np.arange(1, big + 1, dtype=np.int64)
    with Clock() as ck:
        ix = vectors.Index(ids, ids // 23, m)
    print(f"IVF built ({len(ix.offsets) - 1:,} cells): {ck}")
    m32 = m.astype(np.float32)
    qs = vectors._unit(real[rng.integers(0, len(real), 40)].astype(np.float32)
                       + rng.standard_normal((40, m.shape[1]), dtype=np.float32) * 0.05)
    it, et, rec = [], [], []
    for q in qs:
        t = time.perf_counter()
        got = ix.search(q, 200)
        it.append(time.perf_counter() - t)
        t = time.perf_counter()
        s = m32 @ q
        top = np.argpartition(-s, 199)[:200]
        et.append(time.perf_counter() - t)
        rec.append(len({c for c, _, _ in got} & set(ids[top].tolist())) / 200)
    print(f"vector query at {big:,} vectors: IVF p95 {p95(it) * 1000:.1f} ms (probe {vectors.PROBE} cells), "
          f"exact scan p95 {p95(et) * 1000:.0f} ms; IVF recall of the exact top 200: {statistics.mean(rec):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--words-only", action="store_true", help="Stage one and BM25 queries only (for 100,000 docs).")
    ap.add_argument("--dir", default=None, help="Where the files and the store go (default: a temporary folder).")
    ap.add_argument("--models", action="store_true", help="Compare the embedding models on the judged collection.")
    args = ap.parse_args()
    if args.models:
        models()
        return

    from sqlalchemy import func, select

    from leds.config import Settings
    from leds.db.engine import dispose_all, get_engine
    from leds.documents import cases, embed, judged, process, search, triage, vectors
    from leds.documents.ingest import ingest
    from leds.documents.tables import doc_chunks, documents

    flags = " --words-only" if args.words_only else ""
    print(f"# command: .venv/bin/python bench/bench_documents.py --docs {args.docs} --queries {args.queries}{flags}")
    with Clock() as ck:
        docs, planted = make_docs(args.docs)
    total_bytes = sum(len(d.encode()) for _, d in docs)
    print(f"generated {len(docs):,} documents, {total_bytes / 1e6:.1f} MB ({ck})")
    with tempfile.TemporaryDirectory(prefix="leds-bench-docs-", dir=args.dir) as tmp:
        folder = Path(tmp) / "files"
        folder.mkdir()
        for name, text in docs:
            (folder / name).write_text(text)
        del docs
        settings = Settings(home=Path(tmp) / "home")
        engine = get_engine(settings)
        embed.table(settings.home)
        with engine.begin() as conn:
            c = cases.create(conn, "bench", title="bench", case_ref="BENCH", handling="OFFICIAL", team=[], by="bench")
        with Clock() as s1:
            rep = ingest(engine, c, [str(folder)])
        with engine.connect() as conn:
            n_chunks = conn.execute(select(func.count()).select_from(doc_chunks)).scalar_one()
        per_doc = n_chunks / rep.added
        print(f"stage 1 (searchable by words): {rep.added:,} docs, {rep.words:,} words, {n_chunks:,} chunks: {s1}"
              f" = {rep.added / s1.wall:,.0f} docs/s, {rep.words / s1.wall:,.0f} words/s,"
              f" {total_bytes / s1.wall / 1e6:.1f} MB/s -> 100,000 docs in {TARGET / (rep.added / s1.wall) / 60:.1f} min"
              " (target 3)")
        _, questions = judged.generate()
        qs = [questions[i % len(questions)].text for i in range(args.queries)]
        with engine.connect() as conn:
            search.bm25(conn, c.id, "warm up")
            bt = []
            cpu = time.process_time()
            for qtext in qs:
                t = time.perf_counter()
                search.bm25(conn, c.id, qtext)
                bt.append(time.perf_counter() - t)
            cpu = time.process_time() - cpu
        print(f"BM25 query at {args.docs:,} docs: p50 {statistics.median(bt) * 1000:.1f} ms, "
              f"p95 {p95(bt) * 1000:.1f} ms; mean wall {statistics.mean(bt) * 1000:.1f} ms, "
              f"CPU {cpu / len(qs) * 1000:.1f} ms a query, load {_load()}")
        if args.words_only:
            dispose_all()
            return
        with Clock() as s2:
            process.process(engine, c, settings.home, batch=200)
        print(f"stage 2 (embeddings, entities, links): {n_chunks:,} chunks: {s2} = {n_chunks / s2.wall:,.0f} chunks/s,"
              f" {rep.added / s2.wall:,.1f} docs/s -> 100,000 docs ({per_doc * TARGET:,.0f} chunks) fully embedded"
              f" in {TARGET / (rep.added / s2.wall) / 60:.1f} min (target 30)")
        with Clock() as s3:
            triage.define(engine, c, "child exploitation", ["groomed", "youngers", "county lines", "schoolboy"],
                          ["using children to carry drugs", "sending kids out of town with packages of drugs"], True,
                          settings.home)
            with engine.connect() as conn:
                q = triage.queue(conn, c, per_category=max(1, args.docs // 100), reveal=True)
        top = {i["document"] for i in q[0]["items"]}
        recall = len(top & planted) / len(planted)
        whole = s1.wall + s2.wall + s3.wall
        print(f"triage: category scored and queue read: {s3}; recall of the {len(planted)} planted documents in the "
              f"queue's top 1% ({len(top)}): {recall:.2f}")
        print(f"triaged (ingested, categorised, queue ready) in {whole:.0f} s -> 100,000 docs in "
              f"{whole * TARGET / args.docs / 60:.0f} min (target 120)")
        with engine.connect() as conn:
            with Clock() as ck:
                ix = vectors.index(conn, c.id)
            print(f"vector index read and built ({len(ix):,} vectors, {len(ix.offsets) - 1:,} cells): {ck}")
            times, vt, rec = [], [], []
            cpu = 0.0
            for qtext in qs:
                t, t_cpu = time.perf_counter(), time.process_time()
                search.rank(conn, c.id, qtext, limit=10, home=settings.home)
                times.append(time.perf_counter() - t)
                cpu += time.process_time() - t_cpu
                qv = embed.embed([qtext], settings.home)[0]
                t = time.perf_counter()
                got = {x for x, _, _ in ix.search(qv, 200)}
                vt.append(time.perf_counter() - t)
                exact = ix.vecs.astype(np.float32) @ qv
                rec.append(len(got & set(ix.ids[np.argpartition(-exact, 199)[:200]].tolist())) / 200)
        print(f"query (hybrid, top 10) at {args.docs:,} docs: p50 {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {p95(times) * 1000:.1f} ms (target 150 at 100,000); vector part p95 {p95(vt) * 1000:.1f} ms, "
              f"its recall of the exact top 200: {statistics.mean(rec):.3f}; mean wall {statistics.mean(times) * 1000:.1f} ms, "
              f"CPU {cpu / len(qs) * 1000:.1f} ms a query, load {_load()}")
        real = ix.vecs[np.random.default_rng(2).choice(len(ix.vecs), min(len(ix.vecs), 200_000), replace=False)]
        ann(int(per_doc * TARGET), real)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == args.docs
        dispose_all()


if __name__ == "__main__":
    main()
