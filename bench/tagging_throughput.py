"""Tagging throughput in passages/s, on the sample corpus's passages.

Two figures: as ingest runs it (the passage embeddings already exist, computed for the
index) and as ``scrkb tag`` runs it (embedding included).

    .venv/bin/python bench/tagging_throughput.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_latency import sample_home  # noqa: E402
from scrkb.index.store import Store  # noqa: E402
from scrkb.nlp.themes import get_tagger  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    home = sample_home()
    with Store(home / "scrkb.sqlite") as store:
        passages = [p for rid in store.report_ids() for p in store.passages_for_report(rid)]
        _, vectors = next(store.iter_embeddings(batch=100_000))
    texts = [p.text for p in passages]
    sections = [p.section_kind for p in passages]
    words = sum(len(t.split()) for t in texts) / len(texts)
    tagger = get_tagger()
    tagger.tag_texts(texts[:16], vectors[:16])  # warm up
    t = time.perf_counter()
    tagger.tag_texts(texts, vectors, sections)
    with_vectors = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    tagger.tag_texts(texts)
    with_embedding = len(texts) / (time.perf_counter() - t)
    result = {
        "passages": len(texts),
        "mean_words": round(words, 1),
        "passages_per_s_in_ingest": round(with_vectors, 1),
        "passages_per_s_including_embedding": round(with_embedding, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{len(texts)} passages ({words:.0f} words on average)")
        print(f"  as in ingest (vectors given): {with_vectors:.1f} passages/s")
        print(f"  as `scrkb tag` (embedding too): {with_embedding:.1f} passages/s")


if __name__ == "__main__":
    main()
