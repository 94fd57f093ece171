"""Would fine-tuning MiniLM end to end make a better tagger on text nobody wrote for it?

Issue 10 suggests a fine-tuned MiniLM classifier in place of the shipped model (one layer
over the frozen vector, TF-IDF of lemmas and the rule stage). This bench trains one the
way that holds up best out of distribution: a linear probe on the frozen vectors first,
then the whole encoder and the 35-way sigmoid head together (LP-FT), for ``--epochs``
passes over every writer but ``--holdout``, 128 tokens, on the CPU (about 15 minutes).
Per-theme thresholds are chosen on the held-out writer, which trains nothing, and the
shipped hard vetoes (negation, contents, scope sections) are applied as in the tagger.
Each labelled ``--file`` (JSONL as `scrkb eval --file` reads) is then scored with those
thresholds, times each ``--scale``, beside the shipped model on the same passages.

    .venv/bin/python bench/tagger_finetune.py --holdout w7 --file real.jsonl [--epochs 2]
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

from scrkb.config import get_settings  # noqa: E402
from scrkb.nlp.evaluate import label_figures  # noqa: E402
from scrkb.nlp.gold import load_gold, load_labelled  # noqa: E402
from scrkb.nlp.themes import Tagger, apply_vetoes  # noqa: E402
from scrkb.nlp.train import (  # noqa: E402
    TrainConfig,
    TrainingSet,
    choose_thresholds,
    embedding_inputs,
    predict,
    prepare,
)

MAX_TOKENS = 128
BATCH = 16


def fine_tune(train: TrainingSet, epochs: float, seed: int = 0):  # noqa: ANN201
    """The encoder and a sigmoid head, the head first fitted alone on the frozen vectors
    (so fine-tuning starts from a working classifier and moves the encoder less)."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    model = SentenceTransformer(str(get_settings().resolved_model_path()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    labels = train.labels.astype(np.float32)
    head = torch.nn.Linear(train.vectors.shape[1], labels.shape[1])
    positive = labels.mean(0).clip(1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor(np.sqrt((1 - positive) / positive), dtype=torch.float32)
    )
    vectors = torch.from_numpy(np.asarray(train.vectors, dtype=np.float32))
    target = torch.from_numpy(labels)
    probe = torch.optim.Adam(head.parameters(), lr=0.01)
    for _ in range(400):
        probe.zero_grad()
        loss_fn(head(vectors), target).backward()
        probe.step()
    texts = embedding_inputs(train.items)
    optimiser = torch.optim.AdamW(
        [{"params": model.parameters(), "lr": 3e-5}, {"params": head.parameters(), "lr": 1e-3}],
        weight_decay=0.01,
    )
    steps = int(epochs * len(texts) / BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / (0.06 * steps)) * max(0.0, (steps - s) / steps)
    )
    rng = np.random.default_rng(seed)
    model.train()
    step = 0
    while step < steps:
        order = rng.permutation(len(texts))
        for start in range(0, len(order) - BATCH + 1, BATCH):
            idx = order[start : start + BATCH]
            features = model.tokenize([texts[i] for i in idx])
            logits = head(model(features)["sentence_embedding"])
            optimiser.zero_grad()
            loss_fn(logits, target[idx]).backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step >= steps:
                break
    model.eval()
    return model, head


def probabilities(model, head, data: TrainingSet) -> np.ndarray:  # noqa: ANN001
    """Vetoed theme probabilities, as the tagger vetoes its own."""
    import torch

    texts = embedding_inputs(data.items)
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            features = model.tokenize(texts[start : start + 64])
            out.append(torch.sigmoid(head(model(features)["sentence_embedding"])).numpy())
    return apply_vetoes(np.vstack(out), data.rules, data.analyses, data.sections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdout", default="w7", help="writer that chooses the thresholds")
    parser.add_argument("--file", type=Path, action="append", default=[], required=True)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--scale", type=float, action="append", default=None)
    args = parser.parse_args()
    scales = args.scale or [1.0, 0.8, 0.7]
    tagger = Tagger()
    if tagger.model is None:
        raise SystemExit("no shipped tagger model: run `scrkb train-tagger`")
    themes = set(tagger.theme_ids)
    data = prepare(load_gold(valid_themes=themes), tagger)
    held = data.writers == args.holdout
    if not held.any():
        raise SystemExit(f"no passages by writer {args.holdout!r}")
    started = time.perf_counter()
    model, head = fine_tune(data.subset(np.flatnonzero(~held)), args.epochs)
    trained_s = time.perf_counter() - started
    chooser = data.subset(np.flatnonzero(held))
    thresholds = choose_thresholds(
        probabilities(model, head, chooser), chooser.labels, TrainConfig()
    )
    result: dict = {
        "holdout": args.holdout,
        "epochs": args.epochs,
        "training_seconds": round(trained_s),
        "files": {},
    }
    for path in args.file:
        labelled = prepare(load_labelled(path, valid_themes=themes), tagger, processes=1)
        tuned = probabilities(model, head, labelled)
        shipped = predict(tagger.model, labelled) >= tagger.thresholds()[None, :]
        row = {"shipped": label_figures(shipped, labelled.labels)}
        for scale in scales:
            chosen = tuned >= (thresholds * scale)[None, :]
            row[f"fine-tuned x{scale}"] = label_figures(chosen, labelled.labels)
        result["files"][str(path)] = row
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
