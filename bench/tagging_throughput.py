"""Tagging throughput in passages/s, on the sample corpus's passages.

Three figures: with the passage embeddings given (ingest and retag already have them, from
the index), on both cores and on one, and as ``scrkb tag --jsonl`` runs it (embedding
included).

    .venv/bin/python bench/tagging_throughput.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
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
    processes = os.cpu_count() or 1
    t = time.perf_counter()
    tagger.tag_texts(texts, vectors, sections, processes=processes)
    with_vectors = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    tagger.tag_texts(texts, vectors, sections)
    one_process = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    tagger.tag_texts(texts, processes=processes)
    with_embedding = len(texts) / (time.perf_counter() - t)
    result = {
        "passages": len(texts),
        "mean_words": round(words, 1),
        "processes": processes,
        "passages_per_s_vectors_given": round(with_vectors, 1),
        "passages_per_s_vectors_given_one_process": round(one_process, 1),
        "passages_per_s_including_embedding": round(with_embedding, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{len(texts)} passages ({words:.0f} words on average)")
        print(
            f"  vectors given (as ingest and retag have them), {processes} processes: "
            f"{with_vectors:.1f} passages/s"
        )
        print(f"  vectors given, one process (as in a server): {one_process:.1f} passages/s")
        print(
            f"  embedding too (as `scrkb tag --jsonl`), {processes} processes: "
            f"{with_embedding:.1f} passages/s"
        )


if __name__ == "__main__":
    main()
