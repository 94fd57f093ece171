"""Embedding forms side by side: passages per CPU-second of each, on the same passages.

The fp32 and int8 ONNX graphs (``scrkb export-embedder``) and plain torch (fp32,
sentence-transformers, batches of 32) embed the same ~120-word passages of the sample
corpus, one after the other in one process, each on one thread so that CPU seconds
(``time.process_time``) measure the form and not the machine's load. Each form is run
``--rounds`` times (alternating) and its best round kept. Also printed: how far each
form's vectors are from torch's (largest cosine distance).

    .venv/bin/python bench/embedding_forms.py [--passages 120] [--rounds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrkb.config import default_model_path  # noqa: E402
from scrkb.nlp.embedding import get_embedder  # noqa: E402


def sample_passages(count: int) -> list[str]:
    """Paragraphs of more than 30 words from the fictional sample reviews, in file order."""
    out: list[str] = []
    for path in sorted((ROOT / "samples" / "reviews").glob("*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        for para in body.split("\n\n"):
            text = " ".join(para.split())
            if len(text.split()) > 30 and not text.startswith("#"):
                out.append(text)
    return out[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = sample_passages(args.passages)
    model = default_model_path()
    embedders = {
        "torch fp32": get_embedder(model, 32, form="fp32", runtime="torch-cpu"),
        "onnx fp32": get_embedder(model, 32, form="fp32"),
        "onnx int8": get_embedder(model, 32, form="int8"),
    }
    for embedder in embedders.values():
        embedder.encode(texts[:4], threads=1)  # load and warm outside the clock
    best: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, embedder in embedders.items():
            start = time.process_time()
            vectors[name] = embedder.encode(texts, threads=1)
            cpu = time.process_time() - start
            best[name] = min(best.get(name, cpu), cpu)
    reference = vectors["torch fp32"]
    results = {
        name: {
            "passages": len(texts),
            "cpu_seconds": round(best[name], 2),
            "passages_per_cpu_second": round(len(texts) / best[name], 1),
            "max_cosine_distance_to_torch": float(
                np.max(1 - np.sum(vectors[name] * reference, axis=1))
            ),
        }
        for name in embedders
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, r in results.items():
        print(f"{name}: {r['passages_per_cpu_second']:.1f} passages per CPU-second "
              f"({r['passages']} passages, {r['cpu_seconds']:.2f} CPU-s, best of {args.rounds}); "
              f"largest cosine distance to torch {r['max_cosine_distance_to_torch']:.1e}")  # fmt: skip


if __name__ == "__main__":
    main()
