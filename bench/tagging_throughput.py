"""Tagging throughput in passages/s, on the sample corpus's passages.

Four figures: with the passage embeddings given (ingest and retag already have them, from
the index) — on two warm worker processes as ingest and retag run the tag stage
(``services.pipeline``: models loaded beforehand, batches of ``TAG_BATCH`` passages, both
cores), through ``tag_texts(processes=2)`` (spaCy's own multiprocessing, which starts its
processes on each call), and in one process as a server tags — and as ``scrkb tag
--jsonl`` runs it (embedding included).

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
from scrkb.config import Settings  # noqa: E402
from scrkb.index.store import Store  # noqa: E402
from scrkb.models import Passage  # noqa: E402
from scrkb.nlp.themes import get_tagger  # noqa: E402
from scrkb.services.pipeline import TAG_BATCH, TagJob, Workers, tag_stage  # noqa: E402


def worker_throughput(passages: list[Passage], vectors, processes: int) -> float:  # noqa: ANN001
    """Passages/s through the pipeline's tag stage on ``processes`` warm workers."""
    workers = Workers(Settings(ingest_workers=processes), processes)
    workers.warm()
    try:
        executor = workers.executor()
        jobs = [
            TagJob(passages[i : i + TAG_BATCH], vectors[i : i + TAG_BATCH], [], None)
            for i in range(0, len(passages), TAG_BATCH)
        ]
        warm = TagJob(passages[:TAG_BATCH], vectors[:TAG_BATCH], [], None)
        for future in [executor.submit(tag_stage, [warm]) for _ in range(processes)]:
            future.result()  # each worker's first texts fill its caches, as a long run's have
        t = time.perf_counter()
        futures = [executor.submit(tag_stage, [job]) for job in jobs]
        for future in futures:
            future.result()
        return len(passages) / (time.perf_counter() - t)
    finally:
        workers.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    home = sample_home()
    with Store(home / "scrkb.sqlite") as store:
        rowids, vectors = next(store.iter_embeddings(batch=100_000))
        by_rowid = store.passages_by_rowid(rowids.tolist())
        passages = [by_rowid[int(r)] for r in rowids]  # in the vectors' order
    texts = [p.text for p in passages]
    sections = [p.section_kind for p in passages]
    words = sum(len(t.split()) for t in texts) / len(texts)
    tagger = get_tagger()
    tagger.tag_texts(texts[:16], vectors[:16])  # warm up
    processes = os.cpu_count() or 1
    workers = worker_throughput(passages, vectors, processes)
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
        "passages_per_s_vectors_given_workers": round(workers, 1),
        "passages_per_s_vectors_given": round(with_vectors, 1),
        "passages_per_s_vectors_given_one_process": round(one_process, 1),
        "passages_per_s_including_embedding": round(with_embedding, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{len(texts)} passages ({words:.0f} words on average)")
        print(
            f"  vectors given (as ingest and retag have them), {processes} warm workers "
            f"(the pipeline's tag stage): {workers:.1f} passages/s"
        )
        print(
            f"  vectors given, tag_texts(processes={processes}) (spaCy starts its processes "
            f"on each call): {with_vectors:.1f} passages/s"
        )
        print(f"  vectors given, one process (as in a server): {one_process:.1f} passages/s")
        print(
            f"  embedding too (as `scrkb tag --jsonl`), {processes} processes: "
            f"{with_embedding:.1f} passages/s"
        )


if __name__ == "__main__":
    main()
