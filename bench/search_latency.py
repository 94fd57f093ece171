"""Search latency beside a reference stack, at national scale: p50/p95 and their ratio.

The reference is what a user could assemble in an afternoon: bm25s in-memory BM25 (its
own tokenizer, English stopwords), a FAISS ``IndexFlatIP`` and the same MiniLM, the two
top-100 lists fused by reciprocal rank (k = 60). scrkb answers the same queries over the
same passages with everything it does (the match floor and exact count, three arms,
hydrating the page of hits). Query embedding is included on both sides and never cached;
both embed on one thread. Queries alternate between the two stacks, so both see the same
load from other processes.

The corpora recombine sentences of the sample corpus into ~120-word passages, 100 to a
report, so BM25 sees report-like vocabulary. Each takes most of its sentences from one
sample passage and that passage's vector, plus a little noise:
embedding 300k passages for real would take hours on 2 cores, and random vectors (used
before) let no passage pass the dense similarity floor, so the queries matched nothing
and only that path was timed. The median number of matches is printed beside each row.

    .venv/bin/python bench/search_latency.py [--sizes 100000 300000] [--queries 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.retrieval_quality import load_judged  # noqa: E402
from scrkb.config import Settings  # noqa: E402
from scrkb.index.search import Searcher  # noqa: E402
from scrkb.index.store import Store  # noqa: E402
from scrkb.models import Passage, Report, ReportMetadata, SearchQuery  # noqa: E402
from scrkb.nlp.passages import split_sentences  # noqa: E402

BENCH_HOMES = ROOT / "data" / "bench"


def sample_home() -> Path:
    home = ROOT / "data" / "demo"
    if not (home / "scrkb.sqlite").exists():
        from scrkb.cli import demo

        demo(home=home, host="127.0.0.1", port=0, no_serve=True)
    return home


def sentences_from(home: Path) -> list[tuple[list[str], np.ndarray]]:
    """Each sample passage's sentences, with the passage's vector."""
    with Store(home / "scrkb.sqlite") as store:
        rows = store.execute("SELECT rowid, text FROM passages ORDER BY rowid")
        vectors: dict[int, np.ndarray] = {}
        for ids, vecs in store.iter_embeddings():
            vectors.update(zip(ids.tolist(), vecs, strict=True))
    out = []
    for rowid, text in rows:
        sentences = [text[s:e] for s, e in split_sentences(text) if len(text[s:e].split()) > 5]
        if sentences and rowid in vectors:
            out.append((sentences, vectors[rowid]))
    return out


def generated_home(size: int, sources: list[tuple[list[str], np.ndarray]]) -> Path:
    home = BENCH_HOMES / f"{size}-v2"
    db = home / "scrkb.sqlite"
    if db.exists():
        return home
    rng = random.Random(size)
    vec_rng = np.random.default_rng(size)
    years = list(range(2008, 2026))
    nations = ["England"] * 6 + ["Wales", "Scotland", "Northern Ireland"]
    with Store(db) as store:
        per_report = 100
        for r in range(size // per_report):
            report_id = f"g{r:06d}"
            passages = []
            vecs = np.zeros((per_report, 384), dtype=np.float32)
            for i in range(per_report):
                # most sentences from one sample passage, whose vector it takes; some from
                # anywhere, as a real passage strays from its subject
                own, vecs[i] = rng.choice(sources)
                words = 0
                parts = []
                while words < 120:
                    s = rng.choice(own if rng.random() < 0.7 else rng.choice(sources)[0])
                    parts.append(s)
                    words += len(s.split())
                text = " ".join(parts)
                passages.append(
                    Passage(
                        id=f"{report_id}-{i:04d}",
                        report_id=report_id,
                        ordinal=i,
                        text=text,
                        heading_path=["4. Analysis"],
                        page_start=1 + i // 3,
                        page_end=1 + i // 3,
                        char_start=0,
                        char_end=len(text),
                    )
                )
            # its sample passage's vector with a little noise (cosine about 0.98 to it), so
            # queries match as they do in the sample corpus (random vectors matched
            # nothing, and timed only that path)
            vecs += vec_rng.normal(scale=0.01, size=vecs.shape).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            report = Report(
                id=report_id,
                title=f"Generated review {r}",
                source=f"/generated/{report_id}",
                sha256=f"{r:064d}",
                format="pdf",
                size_bytes=1,
                page_count=per_report // 3,
                metadata=ReportMetadata(
                    year=rng.choice(years),
                    nation=rng.choice(nations),
                    review_type=rng.choice(["scr", "lcspr", "cpr"]),
                ),
            )
            # filed as the configured form (queries are embedded in it)
            store.replace_report(report, passages, vecs, form=Settings().embedding_form_for(None))
    return home


class Reference:
    """bm25s + FAISS flat + MiniLM, fused by RRF: the stack scrkb must not be slower than."""

    def __init__(self, home: Path, embedder) -> None:  # noqa: ANN001
        import bm25s
        import faiss

        faiss.omp_set_num_threads(1)  # one query at a time: no thread team to wake
        with Store(home / "scrkb.sqlite") as store:
            rows = store.execute("SELECT rowid, text FROM passages ORDER BY rowid")
            self.rowids = np.asarray([r[0] for r in rows], dtype=np.int64)
            tokens = bm25s.tokenize([r[1] for r in rows], stopwords="en", show_progress=False)
            self.bm25 = bm25s.BM25()
            self.bm25.index(tokens, show_progress=False)
            self.faiss = faiss.IndexIDMap2(faiss.IndexFlatIP(384))
            for ids, vecs in store.iter_embeddings():
                self.faiss.add_with_ids(vecs, ids)
        self.embedder = embedder

    def search(self, text: str, k: int = 10, depth: int = 100) -> list[int]:
        import bm25s

        vec = self.embedder.encode([text])[0]
        query = bm25s.tokenize([text], stopwords="en", return_ids=False, show_progress=False)
        query = [[w for w in query[0] if w in self.bm25.vocab_dict]]
        fused: dict[int, float] = {}
        if query[0]:
            docs, _ = self.bm25.retrieve(
                query, k=min(depth, len(self.rowids)), show_progress=False, n_threads=1
            )
            for rank, doc in enumerate(docs[0], start=1):
                rowid = int(self.rowids[doc])
                fused[rowid] = fused.get(rowid, 0.0) + 1 / (60 + rank)
        _, ids = self.faiss.search(vec.reshape(1, -1), depth)
        for rank, rowid in enumerate(ids[0], start=1):
            fused[int(rowid)] = fused.get(int(rowid), 0.0) + 1 / (60 + rank)
        return [r for r, _ in sorted(fused.items(), key=lambda kv: -kv[1])[:k]]


def latency_stats(times: list[float]) -> dict:
    """Median and 95th percentile of one stack's latencies (ms), and how many."""
    times = sorted(times)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "n": len(times),
    }


def measure(home: Path, queries: list[str]) -> dict:
    import torch

    torch.set_num_threads(1)  # both stacks embed on one thread (the same model object)
    t = time.perf_counter()
    searcher = Searcher(Settings(home=home))
    searcher.warm()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    reference = Reference(home, searcher.embedder)
    reference_load_s = time.perf_counter() - t
    ours: list[float] = []
    theirs: list[float] = []
    matches: list[int] = []
    for i, q in enumerate(queries):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for side in order:
            if side == 0:
                searcher.embedder._query_cache.clear()  # a new query each time
                t = time.perf_counter()
                results = searcher.search(SearchQuery(text=q, k=10))
                ours.append((time.perf_counter() - t) * 1000)
                matches.append(results.total)
            else:
                t = time.perf_counter()
                reference.search(q)
                theirs.append((time.perf_counter() - t) * 1000)
    out = {"scrkb": latency_stats(ours), "reference": latency_stats(theirs)}
    out["p95_ratio"] = round(out["scrkb"]["p95_ms"] / out["reference"]["p95_ms"], 2)
    out["median_total"] = int(statistics.median(matches))
    out["load_s"] = {"scrkb": round(load_s, 1), "reference": round(reference_load_s, 1)}
    with Store(home / "scrkb.sqlite") as store:
        out["passages"] = store.stats()["passages"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 300_000])
    parser.add_argument("--queries", type=int, default=200, help="queries per corpus")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    judged = load_judged()
    rng = random.Random(0)
    queries = [q["query"] for q in rng.sample(judged, min(args.queries, len(judged)))]
    home = sample_home()
    results = {"sample corpus": measure(home, queries)}
    sentences = sentences_from(home)
    for size in args.sizes:
        results[f"generated {size // 1000}k"] = measure(generated_home(size, sentences), queries)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{'corpus':16} {'passages':>8}  {'scrkb p50/p95':>14}  {'reference p50/p95':>18}  "
        f"{'p95 ratio':>9}  {'matches':>8}  (ms, {len(queries)} queries, embedding included)"
    )
    for name, r in results.items():
        if not isinstance(r, dict):
            continue
        a, b = r["scrkb"], r["reference"]
        print(
            f"{name:16} {r['passages']:8d}  {a['p50_ms']:6.1f}/{a['p95_ms']:6.1f}  "
            f"{b['p50_ms']:9.1f}/{b['p95_ms']:6.1f}  {r['p95_ratio']:8.2f}x  {r['median_total']:8d}"
        )
    print(f"peak RSS: {results['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
