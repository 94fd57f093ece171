"""How well the tagger does on writers it has never seen, beside two keyword baselines.

``scrkb eval`` runs **leave-one-writer-out**: for each writer, a tagger is trained (weights
and thresholds, exactly as ``scrkb train-tagger`` does) on every other writer and scores
the held-out one; the pooled predictions give micro/macro and per-theme precision, recall
and F1 with 95% bootstrap intervals, the share of no-theme passages that get any tag, and
how often negated mentions and keyword traps are tagged. ``--holdout`` instead trains once
without the named writers and scores only them; ``--file`` scores the shipped model on a
labelled file it was not trained on (anyone's new data).

Baselines: ``typical wording`` tags a theme when any phrase of the coding frame's
"typical wording" column occurs (the plain keyword match of the frame); ``taxonomy
keywords`` does the same with the taxonomy's phrases and weak terms.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from scrkb.nlp.gold import GOLD_DIR, GoldPassage, load_gold, load_labelled
from scrkb.nlp.taxonomy import Taxonomy
from scrkb.nlp.themes import Tagger
from scrkb.nlp.train import TrainConfig, TrainingSet, fit, predict, prepare

BOOTSTRAP_SAMPLES = 1000


class KeywordBaseline:
    """Tag a theme when any of its phrases occurs in the passage (word boundaries)."""

    def __init__(self, taxonomy: Taxonomy, source: str = "typical_wording") -> None:
        self.patterns = []
        for theme in taxonomy.themes:
            if source == "typical_wording":
                terms = theme.typical_wording or theme.phrases
            else:
                terms = [*theme.phrases, *theme.weak_terms]
            terms = sorted(set(terms), key=len, reverse=True)
            alternation = "|".join(re.escape(t.lower()) for t in terms)
            self.patterns.append(re.compile(rf"(?<!\w)(?:{alternation})(?!\w)"))

    def predict(self, texts: list[str]) -> np.ndarray:
        return np.array(
            [[bool(p.search(text.lower())) for p in self.patterns] for text in texts], dtype=bool
        ).reshape(len(texts), len(self.patterns))


def _counts(pred: np.ndarray, y: np.ndarray) -> tuple[int, int, int]:
    return (
        int((pred & (y == 1)).sum()),
        int((pred & (y == 0)).sum()),
        int((~pred & (y == 1)).sum()),
    )


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def scores(
    pred: np.ndarray,
    y: np.ndarray,
    theme_ids: list[str],
    *,
    bootstrap: int = BOOTSTRAP_SAMPLES,
    seed: int = 7,
) -> dict:
    """Micro/macro/per-theme P/R/F1, no-theme tag rate, and 95% intervals by bootstrap."""
    pred = pred.astype(bool)
    per_counts = [_counts(pred[:, j], y[:, j]) for j in range(len(theme_ids))]
    per = {}
    for j, theme in enumerate(theme_ids):
        p, r, f = _prf(*per_counts[j])
        per[theme] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "support": int(y[:, j].sum()),
        }
    present = [j for j in range(len(theme_ids)) if y[:, j].any()]
    micro = _prf(*_counts(pred, y))
    macro_f1 = float(np.mean([per[theme_ids[j]]["f1"] for j in present])) if present else 0.0
    none = y.sum(axis=1) == 0
    none_rate = float(pred[none].any(axis=1).mean()) if none.any() else 0.0

    rng = np.random.default_rng(seed)
    boot_micro, boot_macro, boot_none = [], [], []
    boot_theme = np.zeros((bootstrap, len(theme_ids)))
    for b in range(bootstrap):
        idx = rng.integers(0, len(y), len(y))
        pb, yb = pred[idx], y[idx]
        boot_micro.append(_prf(*_counts(pb, yb))[2])
        fs = [_prf(*_counts(pb[:, j], yb[:, j]))[2] for j in range(len(theme_ids))]
        boot_theme[b] = fs
        kept = [fs[j] for j in present if yb[:, j].any()]
        boot_macro.append(float(np.mean(kept)) if kept else 0.0)
        nb = yb.sum(axis=1) == 0
        boot_none.append(float(pb[nb].any(axis=1).mean()) if nb.any() else 0.0)

    def ci(values) -> list[float]:  # noqa: ANN001
        return [
            round(float(np.percentile(values, 2.5)), 4),
            round(float(np.percentile(values, 97.5)), 4),
        ]

    for j, theme in enumerate(theme_ids):
        per[theme]["f1_ci"] = ci(boot_theme[:, j])
    return {
        "micro": {
            "precision": round(micro[0], 4),
            "recall": round(micro[1], 4),
            "f1": round(micro[2], 4),
            "f1_ci": ci(boot_micro),
        },
        "macro": {"f1": round(macro_f1, 4), "f1_ci": ci(boot_macro)},
        "no_theme_passages": int(none.sum()),
        "no_theme_tagged_rate": round(none_rate, 4),
        "no_theme_tagged_ci": ci(boot_none),
        "per_theme": per,
    }


def trap_rates(
    items: list[GoldPassage],
    pred: np.ndarray,
    y: np.ndarray,
    data: TrainingSet,
    baseline: np.ndarray,
    theme_ids: list[str],
) -> dict:
    """How often a theme the passage does NOT carry is tagged although its words appear.

    A negated mention: the rule stage saw the theme only in negated or hypothetical form.
    A keyword trap: the typical-wording baseline fires on a theme the passage lacks.
    """
    neg_total = neg_tagged = 0
    for i in range(len(items)):
        for j, theme in enumerate(theme_ids):
            hit = data.analyses[i].hits.get(theme)
            if not y[i, j] and hit is not None and hit.negated and not hit.strong:
                neg_total += 1
                neg_tagged += int(pred[i, j])
    traps = baseline & (y == 0)
    return {
        "negated_mentions": neg_total,
        "negated_tagged_rate": round(neg_tagged / neg_total, 4) if neg_total else 0.0,
        "keyword_traps": int(traps.sum()),
        "keyword_traps_tagged_rate": round(float(pred[traps].mean()), 4) if traps.any() else 0.0,
    }


def _report(
    name: str,
    items: list[GoldPassage],
    pred: np.ndarray,
    data: TrainingSet,
    tagger: Tagger,
    per_writer: dict | None = None,
) -> dict:
    theme_ids = tagger.theme_ids
    y = data.labels
    texts = [g.text for g in items]
    typical = KeywordBaseline(tagger.taxonomy, "typical_wording").predict(texts)
    taxonomy_kw = KeywordBaseline(tagger.taxonomy, "taxonomy").predict(texts)
    return {
        "evaluation": name,
        "passages": len(items),
        "writers": sorted({g.writer for g in items}),
        "tagger": scores(pred, y, theme_ids),
        "baseline_typical_wording": scores(typical, y, theme_ids, bootstrap=200),
        "baseline_taxonomy_keywords": scores(taxonomy_kw, y, theme_ids, bootstrap=200),
        "traps": trap_rates(items, pred, y, data, typical, theme_ids),
        "per_writer": per_writer or {},
    }


def label_figures(pred: np.ndarray, y: np.ndarray) -> dict:
    """Micro precision, recall and F1 of ``pred`` against ``y``, and the share of no-theme
    passages given any theme: one row of a per-writer table, or of a bench."""
    p, r, f = _prf(*_counts(pred, y))
    none = y.sum(axis=1) == 0
    return {
        "passages": len(y),
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "no_theme_tagged_rate": round(float(pred[none].any(axis=1).mean()), 4)
        if none.any()
        else None,
    }


def _prepared(gold_dir: Path, tagger: Tagger) -> tuple[list[GoldPassage], TrainingSet]:
    items = load_gold(gold_dir, valid_themes=set(tagger.theme_ids))
    return items, prepare(items, tagger)


def leave_one_writer_out(
    gold_dir: Path = GOLD_DIR,
    config: TrainConfig | None = None,
    writers: list[str] | None = None,
    tagger: Tagger | None = None,
) -> dict:
    """Train without each writer in turn (``writers``: only these as held-out folds)."""
    tagger = tagger or Tagger(model_path=None)
    items, data = _prepared(gold_dir, tagger)
    held = writers or sorted(set(data.writers.tolist()))
    pred = np.zeros(data.labels.shape, dtype=bool)
    mask = np.zeros(len(items), dtype=bool)
    per_writer = {}
    for writer in held:
        test_idx = np.flatnonzero(data.writers == writer)
        train_idx = np.flatnonzero(data.writers != writer)
        if not len(test_idx):
            raise ValueError(f"no passages by writer {writer!r}")
        model = fit(data.subset(train_idx), tagger.theme_ids, config)
        part = predict(model, data.subset(test_idx)) >= model.thresholds[None, :]
        pred[test_idx] = part
        mask[test_idx] = True
        per_writer[writer] = label_figures(part, data.labels[test_idx])
    idx = np.flatnonzero(mask)
    return _report(
        "leave-one-writer-out",
        [items[i] for i in idx],
        pred[idx],
        data.subset(idx),
        tagger,
        per_writer,
    )


def holdout(
    gold_dir: Path = GOLD_DIR,
    held_out: list[str] | None = None,
    config: TrainConfig | None = None,
    tagger: Tagger | None = None,
) -> dict:
    """Train once without ``held_out`` writers (never used to choose anything); score them."""
    tagger = tagger or Tagger(model_path=None)
    _, data = _prepared(gold_dir, tagger)
    held_out = held_out or []
    test_mask = np.isin(data.writers, held_out)
    if not test_mask.any():
        raise ValueError(f"no passages by {held_out}")
    model = fit(data.subset(np.flatnonzero(~test_mask)), tagger.theme_ids, config)
    test = data.subset(np.flatnonzero(test_mask))
    pred = predict(model, test) >= model.thresholds[None, :]
    per_writer = {
        w: label_figures(pred[test.writers == w], test.labels[test.writers == w]) for w in held_out
    }
    return _report(
        f"held-out writers {', '.join(held_out)}", test.items, pred, test, tagger, per_writer
    )


def evaluate_file(
    path: Path, tagger: Tagger | None = None, *, model_path: Path | None = None
) -> dict:
    """A model on a labelled JSONL file (``{"id","text","themes",...}`` lines): the shipped
    one, or the weights at ``model_path`` (an earlier release's ``themes.npz``), so a
    change of model can be compared on the same passages with one command."""
    if model_path is not None:
        if not model_path.is_file():
            raise OSError(2, "not a file", str(model_path))
        tagger = Tagger(model_path=None)  # the file read once, its problem said in one line
        tagger.use_model(tagger.read_model(model_path))
    tagger = tagger or Tagger()
    if tagger.model is None:
        raise ValueError("no trained tagger model: run `scrkb train-tagger`")
    items = load_labelled(path, valid_themes=set(tagger.theme_ids))
    data = prepare(items, tagger, processes=1)
    pred = predict(tagger.model, data) >= tagger.thresholds()[None, :]
    which = f"model {model_path.name}" if model_path is not None else "shipped model"
    return _report(f"{which} on {path.name}", items, pred, data, tagger)


def agreement(gold_dir: Path = GOLD_DIR, theme_ids: list[str] | None = None) -> dict:
    """Inter-annotator agreement (writer vs independent annotator) per theme: Cohen's kappa."""
    items = [g for g in load_gold(gold_dir) if g.annotations.get("annotator") is not None]
    theme_ids = theme_ids or sorted({t for g in items for t in g.themes})
    out: dict = {
        "passages": len(items),
        "adjudicated": sum(1 for g in items if g.annotations.get("adjudicator") is not None),
        "per_theme": {},
    }
    a_all, b_all = [], []
    for theme in theme_ids:
        a = np.array([theme in (g.annotations.get("writer") or []) for g in items])
        b = np.array([theme in (g.annotations.get("annotator") or []) for g in items])
        a_all.append(a)
        b_all.append(b)
        out["per_theme"][theme] = {
            "kappa": round(_kappa(a, b), 3),
            "positives_final": sum(theme in g.themes for g in items),
        }
    out["micro_kappa"] = round(_kappa(np.concatenate(a_all), np.concatenate(b_all)), 3)
    out["passage_exact_agreement"] = round(1 - out["adjudicated"] / len(items), 3) if items else 0.0
    return out


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    po = float((a == b).mean())
    pe = float(a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean()))
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def format_report(result: dict) -> str:
    tag = result["tagger"]
    base = result["baseline_typical_wording"]
    kw = result["baseline_taxonomy_keywords"]
    lines = [
        f"{result['evaluation']}: {result['passages']} passages, writers "
        f"{', '.join(result['writers'])}"
    ]
    lines.append(f"{'theme':30} {'P':>6} {'R':>6} {'F1':>6} {'95% CI':>13} {'n':>5} | {'kw F1':>6}")
    for theme, s in tag["per_theme"].items():
        lo, hi = s["f1_ci"]
        lines.append(
            f"{theme:30} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} "
            f"[{lo:.2f}, {hi:.2f}] {s['support']:5d} | "
            f"{base['per_theme'][theme]['f1']:6.3f}"
        )
    m = tag["micro"]
    lines.append(
        f"{'MICRO':30} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} "
        f"[{m['f1_ci'][0]:.2f}, {m['f1_ci'][1]:.2f}]       | {base['micro']['f1']:6.3f}"
    )
    lines.append(
        f"{'MACRO':30} {'':6} {'':6} {tag['macro']['f1']:6.3f} "
        f"[{tag['macro']['f1_ci'][0]:.2f}, {tag['macro']['f1_ci'][1]:.2f}]       | "
        f"{base['macro']['f1']:6.3f}"
    )
    lines.append(
        f"micro-F1: tagger {m['f1']:.3f}; coding-frame typical wording "
        f"{base['micro']['f1']:.3f} ({m['f1'] - base['micro']['f1']:+.3f}); "
        f"taxonomy keywords {kw['micro']['f1']:.3f}"
    )
    lines.append(
        f"no-theme passages tagged: {tag['no_theme_tagged_rate']:.1%} "
        f"[{tag['no_theme_tagged_ci'][0]:.1%}, {tag['no_theme_tagged_ci'][1]:.1%}] of "
        f"{tag['no_theme_passages']} (typical wording: "
        f"{base['no_theme_tagged_rate']:.1%})"
    )
    traps = result["traps"]
    lines.append(
        f"negated mentions tagged: {traps['negated_tagged_rate']:.1%} of "
        f"{traps['negated_mentions']}; keyword traps tagged: "
        f"{traps['keyword_traps_tagged_rate']:.1%} of {traps['keyword_traps']}"
    )
    for writer, row in result.get("per_writer", {}).items():
        nt = row["no_theme_tagged_rate"]
        lines.append(
            f"  {writer:10} n={row['passages']:5d} P {row['precision']:.3f} "
            f"R {row['recall']:.3f} F1 {row['f1']:.3f}"
            + (f"  no-theme tagged {nt:.1%}" if nt is not None else "")
        )
    return "\n".join(lines)


def to_json(result: dict) -> str:
    return json.dumps(result, indent=2)
