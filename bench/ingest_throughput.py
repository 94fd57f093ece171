"""Ingest throughput: pages/s and passages/s, with the share of time in each stage.

Two workloads: the bundled sample corpus (27 fictional reviews, rendered to PDF, DOCX,
HTML and text) and one 60-page PDF report. Each runs into a fresh data home, so every
file goes through extraction, structure, embedding, tagging and indexing.

    .venv/bin/python bench/ingest_throughput.py [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from samples.render import build_samples, parse_review, render_pdf  # noqa: E402
from scrkb.config import Settings  # noqa: E402
from scrkb.services.ingest import Ingestor  # noqa: E402


def run(files: list[Path], home: Path) -> dict:
    ingestor = Ingestor(Settings(home=home))
    ingestor.annotator  # noqa: B018 - load spaCy and the tagger outside the timing
    start = time.perf_counter()
    summary = ingestor.ingest(files)
    seconds = time.perf_counter() - start
    ingestor.close()
    stages = summary.seconds
    return {
        "files": len(files),
        "pages": summary.pages,
        "passages": summary.passages,
        "failures": len(summary.failures),
        "seconds": round(seconds, 2),
        "pages_per_s": round(summary.pages / seconds, 2),
        "passages_per_s": round(summary.passages / seconds, 2),
        "stage_share": {k: round(v / seconds, 3) for k, v in stages.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        files = build_samples(ROOT / "samples" / "reviews", tmp_path / "samples")
        # warm the embedding model so model loading is not counted as ingest
        from scrkb.config import get_settings
        from scrkb.nlp.embedding import get_embedder

        get_embedder(get_settings().resolved_model_path()).encode(["warm up"])
        results["sample corpus"] = run(files, tmp_path / "home-samples")
        long_pdf = render_pdf(
            parse_review(ROOT / "samples" / "reviews" / "ivelsham-child-j-2010.md"),
            tmp_path / "long.pdf",
            repeat=8,
        )
        results["60-page PDF"] = run([long_pdf], tmp_path / "home-long")
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'workload':16} {'files':>5} {'pages':>5} {'passages':>8} {'seconds':>8} "
          f"{'pages/s':>8} {'pass/s':>7}  stage shares")
    for name, r in results.items():
        if not isinstance(r, dict):
            continue
        shares = ", ".join(f"{k} {v:.0%}" for k, v in r["stage_share"].items())
        print(f"{name:16} {r['files']:5d} {r['pages']:5d} {r['passages']:8d} {r['seconds']:8.2f} "
              f"{r['pages_per_s']:8.2f} {r['passages_per_s']:7.2f}  {shares}")
    print(f"peak RSS: {results['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
