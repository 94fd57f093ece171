"""Evaluate the tagger on the gold TEST split, beside a keyword-substring baseline.

The baseline is the naive approach the tagger must beat: any of a theme's phrases or
weak terms present anywhere in the passage → tag it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scrkb.nlp.gold import GOLD_DIR, GoldPassage, load_gold, section_for
from scrkb.nlp.taxonomy import Taxonomy
from scrkb.nlp.themes import Tagger
from scrkb.nlp.train import embedding_inputs, label_matrix


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    support: int
    tp: int
    fp: int
    fn: int


def prf(pred: np.ndarray, gold: np.ndarray) -> Scores:
    tp = int((pred & (gold == 1)).sum())
    fp = int((pred & (gold == 0)).sum())
    fn = int((~pred & (gold == 1)).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return Scores(round(p, 4), round(r, 4), round(f, 4), int(gold.sum()), tp, fp, fn)


class KeywordBaseline:
    def __init__(self, taxonomy: Taxonomy) -> None:
        self.patterns = []
        for theme in taxonomy.themes:
            terms = sorted({*theme.phrases, *theme.weak_terms}, key=len, reverse=True)
            alternation = "|".join(re.escape(t.lower()) for t in terms)
            self.patterns.append(re.compile(rf"\b(?:{alternation})\b"))

    def predict(self, texts: list[str]) -> np.ndarray:
        return np.array(
            [[bool(p.search(text.lower())) for p in self.patterns] for text in texts], dtype=bool
        )


def evaluate(tagger: Tagger | None = None, gold_dir: Path = GOLD_DIR, split: str = "test") -> dict:
    tagger = tagger or Tagger()
    theme_ids = tagger.theme_ids
    items = [g for g in load_gold(gold_dir, valid_themes=set(theme_ids)) if g.split == split]
    y = label_matrix(items, theme_ids)
    vectors = tagger.embedder.encode(embedding_inputs(items, with_heading=True), batch_size=64)
    sections = [section_for(g.heading_path) if g.heading_path else None for g in items]
    probs, analyses = tagger.score([g.text for g in items], vectors, sections)
    pred = probs >= tagger.thresholds()[None, :]
    base = KeywordBaseline(tagger.taxonomy).predict([g.text for g in items])
    return {
        "split": split,
        "passages": len(items),
        "tagger": _report(pred, y, theme_ids),
        "baseline": _report(base, y, theme_ids),
        "confusions": _confusions(pred, y, theme_ids),
        "traps": _trap_rates(items, pred, base, y, analyses, theme_ids),
        "tagger_version": tagger.version,
    }


def _report(pred: np.ndarray, y: np.ndarray, theme_ids: list[str]) -> dict:
    per = {t: prf(pred[:, j], y[:, j]).__dict__ for j, t in enumerate(theme_ids)}
    micro = prf(pred.reshape(-1), y.reshape(-1)).__dict__
    macro = {
        k: round(float(np.mean([per[t][k] for t in theme_ids])), 4)
        for k in ("precision", "recall", "f1")
    }
    return {"per_theme": per, "micro": micro, "macro": macro}


def _confusions(pred: np.ndarray, y: np.ndarray, theme_ids: list[str], top: int = 12) -> list:
    """(gold theme, wrongly added theme, count): which related themes get mixed up."""
    counts: dict[tuple[str, str], int] = {}
    for i in range(len(y)):
        gold = np.flatnonzero(y[i])
        wrong = np.flatnonzero(pred[i] & (y[i] == 0))
        for g in gold:
            for w in wrong:
                key = (theme_ids[g], theme_ids[w])
                counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    return [{"gold": g, "predicted": w, "count": c} for (g, w), c in ranked]


def _trap_rates(
    items: list[GoldPassage],
    pred: np.ndarray,
    base: np.ndarray,
    y: np.ndarray,
    analyses: list,
    theme_ids: list[str],
) -> dict:
    """How often a theme whose words appear but which the passage does NOT carry is tagged.

    A "negated trap" is a theme the rule stage saw only in negated or hypothetical form
    (there was no evidence of …); a "keyword trap" is any theme whose keywords appear in a
    hard negative without the theme being carried.
    """
    neg_total = neg_tagged = kw_total = kw_tagged = kw_base = 0
    for i, item in enumerate(items):
        for j, theme in enumerate(theme_ids):
            if y[i, j]:
                continue
            hit = analyses[i].hits.get(theme)
            if hit is not None and hit.negated and not hit.strong:
                neg_total += 1
                neg_tagged += int(pred[i, j])
            if item.kind == "hard_negative" and base[i, j]:
                kw_total += 1
                kw_tagged += int(pred[i, j])
                kw_base += 1
    return {
        "negated_mentions": neg_total,
        "negated_tagged_rate": round(neg_tagged / neg_total, 4) if neg_total else 0.0,
        "hard_negative_keyword_traps": kw_total,
        "hard_negative_traps_tagged_rate": round(kw_tagged / kw_total, 4) if kw_total else 0.0,
        "baseline_traps_tagged_rate": round(kw_base / kw_total, 4) if kw_total else 0.0,
    }


def format_report(result: dict) -> str:
    lines = [f"Gold {result['split']} split: {result['passages']} passages"]
    lines.append(f"{'theme':32} {'P':>6} {'R':>6} {'F1':>6} {'n':>4} | {'base F1':>7}")
    tag, base = result["tagger"], result["baseline"]
    for theme, s in tag["per_theme"].items():
        b = base["per_theme"][theme]
        lines.append(
            f"{theme:32} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} "
            f"{s['support']:4d} | {b['f1']:7.3f}"
        )
    for name in ("micro", "macro"):
        t, b = tag[name], base[name]
        lines.append(
            f"{name.upper():32} {t['precision']:6.3f} {t['recall']:6.3f} {t['f1']:6.3f}      "
            f"| {b['f1']:7.3f}"
        )
    gain = tag["micro"]["f1"] - base["micro"]["f1"]
    lines.append(f"micro-F1 gain over keyword baseline: {gain:+.3f}")
    traps = result["traps"]
    lines.append(
        f"negated mentions tagged: {traps['negated_tagged_rate']:.1%} of "
        f"{traps['negated_mentions']}; hard-negative keyword traps tagged: "
        f"{traps['hard_negative_traps_tagged_rate']:.1%} (baseline "
        f"{traps['baseline_traps_tagged_rate']:.1%}) of {traps['hard_negative_keyword_traps']}"
    )
    lines.append("most frequent confusions (gold theme → wrongly added theme):")
    for c in result["confusions"][:8]:
        lines.append(f"  {c['gold']} → {c['predicted']}: {c['count']}")
    lines.append(f"tagger: {result['tagger_version']}")
    return "\n".join(lines)
