"""Search latency (p50/p95) for hybrid search and each arm, on the sample corpus and on
generated corpora of 10k and 100k passages; peak memory.

The generated corpora recombine sentences of the sample corpus into ~120-word passages,
so BM25 sees report-like vocabulary. Their vectors are random unit vectors: exact FAISS
search costs the same whatever the vectors hold, and embedding 100k passages for real
would take most of an hour on 2 cores. Query embedding is always real and included.

    .venv/bin/python bench/search_latency.py [--sizes 10000 100000] [--json]
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

from bench.retrieval_quality import load_queries  # noqa: E402
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


def sentences_from(home: Path) -> list[str]:
    with Store(home / "scrkb.sqlite") as store:
        texts = [r[0] for r in store.execute("SELECT text FROM passages")]
    out = []
    for text in texts:
        out.extend(text[s:e] for s, e in split_sentences(text) if len(text[s:e].split()) > 5)
    return out


def generated_home(size: int, sentences: list[str]) -> Path:
    home = BENCH_HOMES / f"{size}"
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
            for i in range(per_report):
                words = 0
                parts = []
                while words < 120:
                    s = rng.choice(sentences)
                    parts.append(s)
                    words += len(s.split())
                text = " ".join(parts)
                passages.append(Passage(
                    id=f"{report_id}-{i:04d}", report_id=report_id, ordinal=i, text=text,
                    heading_path=["4. Analysis"], page_start=1 + i // 3, page_end=1 + i // 3,
                    char_start=0, char_end=len(text)))
            vecs = vec_rng.normal(size=(per_report, 384)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            report = Report(
                id=report_id, title=f"Generated review {r}", source=f"/generated/{report_id}",
                sha256=f"{r:064d}", format="pdf", size_bytes=1, page_count=per_report // 3,
                metadata=ReportMetadata(year=rng.choice(years), nation=rng.choice(nations),
                                        review_type=rng.choice(["scr", "lcspr", "cpr"])))
            # random unit vectors, filed as the configured form (queries are embedded in it)
            store.replace_report(report, passages, vecs, form=Settings().embedding_form_for(None))
    return home


def measure(home: Path, queries: list[str], repeats: int = 3) -> dict:
    searcher = Searcher(Settings(home=home))
    searcher.warm()
    out = {}
    for mode in ("bm25", "dense", "hybrid"):
        times = []
        for _ in range(repeats):
            for q in queries:
                # a new query each time: no cache hit on the embedding
                searcher.embedder._query_cache.clear()
                t = time.perf_counter()
                searcher.search(SearchQuery(text=q, k=10), mode=mode)
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[mode] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "n": len(times),
        }
    with Store(home / "scrkb.sqlite") as store:
        out["passages"] = store.stats()["passages"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    queries = [q["query"] for q in load_queries()]
    home = sample_home()
    results = {"sample corpus": measure(home, queries)}
    sentences = sentences_from(home)
    for size in args.sizes:
        results[f"generated {size // 1000}k"] = measure(generated_home(size, sentences), queries)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'corpus':16} {'passages':>8}  {'hybrid p50/p95':>15}  {'bm25 p50/p95':>14}  "
          f"{'dense p50/p95':>14}   (ms, {len(queries)} queries x 3)")
    for name, r in results.items():
        if not isinstance(r, dict):
            continue
        cells = [f"{r[m]['p50_ms']:6.1f}/{r[m]['p95_ms']:6.1f}" for m in ("hybrid", "bm25", "dense")]
        print(f"{name:16} {r['passages']:8d}  {cells[0]:>15}  {cells[1]:>14}  {cells[2]:>14}")
    print(f"peak RSS: {results['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
