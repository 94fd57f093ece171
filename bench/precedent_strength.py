"""Where the precedent finder's "strong" and "moderate" bands begin, measured.

The finder labels each match by cosine similarity (``scrkb.models.STRONG_MATCH``,
``MODERATE_MATCH``). This checks what a band promises against labelled text that no
one tuned the embedding on: the writers' corpus (``samples/gold/writers``, seven
independent writers, every passage's themes from two annotators and a third reader).

Each theme-bearing passage of one writer plays a draft passage; its nearest 50 passages
by other writers (as the finder fetches 50 per draft passage) are its matches, and a
match is judged by the themes the two passages share:

- "same concern": the passages share at least half their themes (Jaccard >= 0.5);
- "related": they share at least one theme.

A band's promise is its precision: of the matches it labels, the share that are related
(at least 80% for strong, 60% for moderate, by default); the share of the same concern is
shown beside it. The thresholds are chosen leave-one-writer-out: for each writer, the
lowest threshold whose band reaches the target on pairs with neither passage by that
writer, measured on that writer's drafts only. Results are at passage level; a report's
band comes from the mean of its three best passages, which this does not measure.

    .venv/bin/python bench/precedent_strength.py [--strong-target 0.8]
        [--moderate-target 0.6] [--json]
        per held-out writer: the thresholds chosen without it and each band's precision
        on it; the shipped thresholds on all writers; the thresholds chosen on all writers

Themes are a proxy for "the same issue": two passages about a bruised baby's missed
referral share themes, but so may two passages that only both mention neglect. The
figure is a floor on how often a band is right, not a measure of precedent quality.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrkb.config import get_settings  # noqa: E402
from scrkb.models import MODERATE_MATCH, STRONG_MATCH  # noqa: E402
from scrkb.nlp.embedding import embedding_text, get_embedder  # noqa: E402
from scrkb.nlp.gold import load_gold  # noqa: E402

DEPTH = 50  # scrkb.services.precedent.PER_PASSAGE_DEPTH
GRID = np.round(np.arange(0.30, 0.96, 0.01), 2)


def _pairs(passages: list, vectors: np.ndarray) -> dict[str, np.ndarray]:
    """Every (draft, match) pair: the draft's writer, the similarity, and the judgments."""
    writers = np.array([p.writer for p in passages])
    themes = [set(p.themes) for p in passages]
    sims = vectors @ vectors.T
    rows = {"writer": [], "match_writer": [], "sim": [], "same": [], "related": []}
    for i, p in enumerate(passages):
        if not themes[i]:
            continue  # a draft's findings carry themes; contents pages are not drafts
        s = np.where(writers == writers[i], -np.inf, sims[i])
        top = np.argpartition(-s, DEPTH)[:DEPTH]
        for j in top:
            shared = len(themes[i] & themes[j])
            union = len(themes[i] | themes[j]) or 1
            rows["writer"].append(p.writer)
            rows["match_writer"].append(writers[j])
            rows["sim"].append(float(sims[i, j]))
            rows["same"].append(shared / union >= 0.5)
            rows["related"].append(shared > 0)
    return {k: np.asarray(v) for k, v in rows.items()}


def _precision(
    pairs: dict[str, np.ndarray], mask: np.ndarray, lo: float, hi: float, outcome: str
) -> tuple[float, int]:
    band = mask & (pairs["sim"] >= lo) & (pairs["sim"] < hi)
    n = int(band.sum())
    return (float(pairs[outcome][band].mean()) if n else float("nan")), n


def _lowest(
    pairs: dict[str, np.ndarray],
    mask: np.ndarray,
    outcome: str,
    target: float,
    hi: float = 9.0,
    min_pairs: int = 30,
) -> float:
    """The lowest threshold below ``hi`` whose band [t, hi) is right at least ``target``
    of the time; ``hi`` itself (an empty band) when none is, with a warning."""
    for t in (g for g in GRID if g < hi):
        p, n = _precision(pairs, mask, t, hi, outcome)
        if n >= min_pairs and p >= target:
            return float(t)
    print(f"warning: no threshold under {hi} reaches {target} {outcome}", file=sys.stderr)
    return float(hi)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--strong-target", type=float, default=0.8)  # share related
    ap.add_argument("--moderate-target", type=float, default=0.6)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    passages = [p for p in load_gold() if p.writer != "team"]
    settings = get_settings()
    embedder = get_embedder(settings.resolved_model_path(), settings.embed_batch_size)
    vectors = embedder.encode([embedding_text(p.text, p.heading_path) for p in passages], threads=2)
    pairs = _pairs(passages, vectors)
    writers = sorted(set(pairs["writer"]))
    everyone = np.ones(len(pairs["sim"]), dtype=bool)

    def bands(mask: np.ndarray, strong: float, moderate: float) -> dict:
        edges = {"strong": (strong, 9.0), "moderate": (moderate, strong), "weak": (-9.0, moderate)}
        return {
            name: {
                "related": _precision(pairs, mask, lo, hi, "related"),
                "same": _precision(pairs, mask, lo, hi, "same")[0],
            }
            for name, (lo, hi) in edges.items()
        }

    held_out = []
    for w in writers:
        # Neither side of a training pair by the held-out writer: similarity and the
        # judgments are symmetric, so a pair seen from the other end would leak.
        train = (pairs["writer"] != w) & (pairs["match_writer"] != w)
        test = pairs["writer"] == w
        strong = _lowest(pairs, train, "related", args.strong_target)
        moderate = _lowest(pairs, train, "related", args.moderate_target, hi=strong)
        held_out.append(
            {
                "writer": w,
                "strong": strong,
                "moderate": moderate,
                "bands": bands(test, strong, moderate),
                "shipped": bands(test, STRONG_MATCH, MODERATE_MATCH),
            }
        )
    pooled = {}  # every held-out writer's pairs together, each under its own thresholds
    for band in ("strong", "moderate", "weak"):
        cells = [row["bands"][band]["related"] for row in held_out]
        n = sum(c[1] for c in cells)
        pooled[band] = (sum(c[0] * c[1] for c in cells if c[1]) / n if n else float("nan"), n)
    strong = _lowest(pairs, everyone, "related", args.strong_target)
    moderate = _lowest(pairs, everyone, "related", args.moderate_target, hi=strong)
    report = {
        "data": f"{len(passages)} passages of {len(writers)} writers, {len(pairs['sim'])} pairs",
        "targets": {"strong": args.strong_target, "moderate": args.moderate_target},
        "shipped": {
            "strong": STRONG_MATCH,
            "moderate": MODERATE_MATCH,
            "bands_all_writers": bands(everyone, STRONG_MATCH, MODERATE_MATCH),
        },
        "chosen_on_all_writers": {"strong": strong, "moderate": moderate},
        "held_out": held_out,
        "held_out_pooled_related": pooled,
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(report["data"])
    print("per band: related = shares a theme with the draft passage (its n); same = shares")
    print("at least half its themes. Thresholds chosen on the other writers, scored on this one.")
    print(
        f"{'writer':7} {'strong':>6} {'moder.':>6}  "
        + "  ".join(f"{b:>8} related (n) same" for b in ("strong", "moderate", "weak"))
    )

    def cells(b: dict) -> str:
        return "  ".join(
            f"{v['related'][0]:16.2f} ({v['related'][1]:6d}) {v['same']:4.2f}" for v in b.values()
        )

    for row in held_out:
        print(
            f"{row['writer']:7} {row['strong']:6.2f} {row['moderate']:6.2f}  {cells(row['bands'])}"
        )
    print(
        "held-out writers pooled (related, n): "
        + ", ".join(f"{band} {p:.2f} ({n})" for band, (p, n) in pooled.items())
    )
    print(
        f"shipped {STRONG_MATCH}/{MODERATE_MATCH}, all writers:    "
        + cells(report["shipped"]["bands_all_writers"])
    )
    print(f"chosen on all writers: strong {strong}, moderate {moderate}")


if __name__ == "__main__":
    main()
