"""Retrieval quality on the sample corpus: nDCG@10, recall@5 and MRR for BM25, dense, hybrid.

Queries and their expected passages are in samples/queries/*.yaml (a quote from the passage
each query should find). Relevance is binary: a hit is relevant when it contains the quote.

    .venv/bin/python bench/retrieval_quality.py [--home data/demo] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrkb.config import settings_for  # noqa: E402
from scrkb.index.search import Searcher  # noqa: E402
from scrkb.models import SearchQuery  # noqa: E402


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'").replace("“", '"').replace("”", '"')).strip()


def load_queries(directory: Path = ROOT / "samples" / "queries") -> list[dict]:
    queries = []
    for path in sorted(directory.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            queries.append({**item, "slug": path.stem})
    return queries


def rank_of(hits, expect: str) -> int | None:
    want = _norm(expect)
    for hit in hits:
        if want in _norm(hit.text):
            return hit.rank
    return None


def evaluate(searcher: Searcher, queries: list[dict], mode: str, k: int = 10) -> dict:
    ndcg = recall5 = mrr = 0.0
    ranks = []
    for q in queries:
        hits = searcher.search(SearchQuery(text=q["query"], k=k), mode=mode).hits
        r = rank_of(hits, q["expect"])
        ranks.append(r)
        if r is not None:
            ndcg += 1 / math.log2(r + 1)
            mrr += 1 / r
            recall5 += r <= 5
    n = len(queries) or 1
    return {"ndcg@10": round(ndcg / n, 4), "recall@5": round(recall5 / n, 4),
            "mrr": round(mrr / n, 4), "queries": len(queries), "ranks": ranks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / "data" / "demo")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    searcher = Searcher(settings_for(args.home))
    queries = load_queries()
    results = {}
    for subset, qs in (("all", queries), ("paraphrase", [q for q in queries if q.get("paraphrase")])):
        for mode in ("bm25", "dense", "hybrid"):
            results[f"{subset}/{mode}"] = evaluate(searcher, qs, mode)
    if args.json:
        print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "ranks"}
                          for k, v in results.items()}, indent=2))
        return
    print(f"{'queries/mode':22} {'n':>4} {'nDCG@10':>8} {'R@5':>6} {'MRR':>6}")
    for key, r in results.items():
        print(f"{key:22} {r['queries']:4d} {r['ndcg@10']:8.3f} {r['recall@5']:6.3f} {r['mrr']:6.3f}")


if __name__ == "__main__":
    main()
