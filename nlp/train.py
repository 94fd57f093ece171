"""Train the tagger's semantic stage, combiner and thresholds on the gold DEV split only.

The test split is never read here: ``scrkb eval`` reports on it afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from scrkb.nlp.gold import GOLD_DIR, GoldPassage, load_gold, section_for
from scrkb.nlp.themes import (
    FEATURES,
    MODEL_PATH,
    LexicalStage,
    Tagger,
    TaggerModel,
    apply_vetoes,
    feature_matrix,
    lemma_text,
)

FOLDS = 5


def embedding_inputs(items: list[GoldPassage], *, with_heading: bool) -> list[str]:
    from scrkb.nlp.embedding import embedding_text

    return [embedding_text(g.text, g.heading_path if with_heading else []) for g in items]


def label_matrix(items: list[GoldPassage], theme_ids: list[str]) -> np.ndarray:
    index = {t: j for j, t in enumerate(theme_ids)}
    y = np.zeros((len(items), len(theme_ids)), dtype=np.int8)
    for i, g in enumerate(items):
        for t in g.themes:
            y[i, index[t]] = 1
    return y


def _fit_semantic(
    x: np.ndarray, y: np.ndarray, ex_x: np.ndarray, ex_theme: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per theme; exemplars are extra positives (and negatives)."""

    return _per_theme_logistic(np.vstack([x, ex_x]), y, ex_theme, c)


def _per_theme_logistic(
    x, y: np.ndarray, ex_theme: np.ndarray, c: float  # noqa: ANN001 - dense or sparse rows
) -> tuple[np.ndarray, np.ndarray]:
    """One balanced logistic regression per theme over passage rows then exemplar rows."""
    from sklearn.linear_model import LogisticRegression

    n_themes = y.shape[1]
    weights = np.zeros((n_themes, x.shape[1]), dtype=np.float32)
    bias = np.zeros(n_themes, dtype=np.float32)
    for t in range(n_themes):
        yy = np.concatenate([y[:, t], (ex_theme == t).astype(np.int8)])
        if yy.sum() == 0:
            bias[t] = -10.0
            continue
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        clf.fit(x, yy)
        weights[t] = clf.coef_[0]
        bias[t] = clf.intercept_[0]
    return weights, bias


def _fit_lexical(
    lemma_texts: list[str], y: np.ndarray, ex_lemmas: list[str], ex_theme: np.ndarray, c: float
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """TF-IDF vocabulary, idf and one logistic regression per theme (exemplars included)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=False)
    x = vectoriser.fit_transform(lemma_texts + ex_lemmas)
    vocabulary = [""] * len(vectoriser.vocabulary_)
    for term, j in vectoriser.vocabulary_.items():
        vocabulary[j] = term
    weights, bias = _per_theme_logistic(x, y, ex_theme, c)
    return vocabulary, vectoriser.idf_.astype(np.float32), weights, bias


def _best_threshold(probs: np.ndarray, y: np.ndarray, grid: np.ndarray) -> tuple[float, float]:
    best_t, best_f = 0.5, -1.0
    for t in grid:
        pred = probs >= t
        tp = float((pred & (y == 1)).sum())
        fp = float((pred & (y == 0)).sum())
        fn = float((~pred & (y == 1)).sum())
        f = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f > best_f:
            best_t, best_f = float(t), f
    return best_t, best_f


def train(
    gold_dir: Path = GOLD_DIR, out: Path = MODEL_PATH, *, c: float = 2.0, c_lexical: float = 4.0
) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    tagger = Tagger(model_path=None)
    theme_ids = tagger.theme_ids
    gold = load_gold(gold_dir, valid_themes=set(theme_ids))
    dev = [g for g in gold if g.split == "dev"]
    if not dev:
        raise ValueError(f"no dev passages in {gold_dir}")
    y = label_matrix(dev, theme_ids)
    emb = tagger.embedder
    x_head = emb.encode(embedding_inputs(dev, with_heading=True), batch_size=64)
    x_plain = emb.encode(embedding_inputs(dev, with_heading=False), batch_size=64)
    ex_x = tagger.semantic.exemplar_vectors
    ex_theme = tagger.semantic.exemplar_theme

    nlp = tagger.rules.nlp
    lemmas = [lemma_text(d) for d in nlp.pipe([g.text for g in dev], batch_size=64)]
    ex_texts = [e for t in tagger.taxonomy.themes for e in t.exemplars]
    ex_lemmas = [lemma_text(d) for d in nlp.pipe(ex_texts, batch_size=64)]

    # Out-of-fold probabilities from both learned stages, so the combiner learns how far
    # to trust them on passages they have not seen.
    oof_head = np.zeros(y.shape, dtype=np.float32)
    oof_plain = np.zeros(y.shape, dtype=np.float32)
    oof_lex = np.zeros(y.shape, dtype=np.float32)
    for train_idx, held_idx in KFold(FOLDS, shuffle=True, random_state=13).split(dev):
        lexical = LexicalStage(*_fit_lexical(
            [lemmas[i] for i in train_idx], y[train_idx], ex_lemmas, ex_theme, c_lexical
        ))
        oof_lex[held_idx] = lexical.probability([lemmas[i] for i in held_idx])
        w, b = _fit_semantic(
            np.vstack([x_head[train_idx], x_plain[train_idx]]),
            np.vstack([y[train_idx], y[train_idx]]),
            ex_x, ex_theme, c,
        )
        oof_head[held_idx] = 1 / (1 + np.exp(-(x_head[held_idx] @ w.T + b)))
        oof_plain[held_idx] = 1 / (1 + np.exp(-(x_plain[held_idx] @ w.T + b)))
    weights, bias = _fit_semantic(
        np.vstack([x_head, x_plain]), np.vstack([y, y]), ex_x, ex_theme, c
    )
    lex_vocab, lex_idf, lex_w, lex_b = _fit_lexical(lemmas, y, ex_lemmas, ex_theme, c_lexical)

    texts = [g.text for g in dev]
    sections = [section_for(g.heading_path) if g.heading_path else None for g in dev]
    analyses_sec = tagger.rules.analyse_docs(texts, sections)
    analyses_plain = tagger.rules.analyse_docs(texts, [None] * len(dev))
    sim_head = tagger.semantic.similarity(x_head)
    sim_plain = tagger.semantic.similarity(x_plain)
    f_sec = feature_matrix(analyses_sec, oof_head, sim_head, theme_ids, oof_lex)
    f_plain = feature_matrix(analyses_plain, oof_plain, sim_plain, theme_ids, oof_lex)
    feats = np.concatenate([f_sec, f_plain]).reshape(-1, len(FEATURES))
    labels = np.concatenate([y, y]).reshape(-1)
    combiner = LogisticRegression(C=1.0, max_iter=5000)
    combiner.fit(feats, labels)

    probs_sec = apply_vetoes(
        1 / (1 + np.exp(-(f_sec @ combiner.coef_[0] + combiner.intercept_[0]))), f_sec, sections
    )
    probs_plain = apply_vetoes(
        1 / (1 + np.exp(-(f_plain @ combiner.coef_[0] + combiner.intercept_[0]))),
        f_plain,
        [None] * len(dev),
    )
    probs = np.concatenate([probs_sec, probs_plain])
    yy = np.concatenate([y, y])
    grid = np.round(np.arange(0.15, 0.91, 0.025), 3)
    global_t, global_f = _best_threshold(probs.reshape(-1), yy.reshape(-1), grid)
    thresholds = np.full(len(theme_ids), global_t, dtype=np.float32)
    per_theme: dict[str, float] = {}
    for j, theme in enumerate(theme_ids):
        positives = int(y[:, j].sum())
        if positives < 6:
            continue
        near = grid[(grid >= global_t - 0.15) & (grid <= global_t + 0.15)]
        t, _ = _best_threshold(probs[:, j], yy[:, j], near)
        # Shrink towards the global threshold: a handful of dev positives is noisy.
        thresholds[j] = round((t + global_t) / 2, 3)
        per_theme[theme] = float(thresholds[j])

    info = {
        "trained_at": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        "dev_passages": len(dev),
        "features": FEATURES,
        "global_threshold": global_t,
        "dev_micro_f1_at_global": round(global_f, 4),
        "semantic_c": c,
        "lexical_c": c_lexical,
        "lexical_vocabulary": len(lex_vocab),
        "taxonomy_version": tagger.taxonomy.version,
    }
    model = TaggerModel(
        theme_ids=theme_ids,
        weights=weights,
        bias=bias,
        combiner_coef=combiner.coef_[0].astype(np.float32),
        combiner_intercept=float(combiner.intercept_[0]),
        thresholds=thresholds,
        info=info,
        lexical_vocabulary=lex_vocab,
        lexical_idf=lex_idf,
        lexical_weights=lex_w,
        lexical_bias=lex_b,
    )
    model.save(out)
    info["combiner"] = dict(zip(FEATURES, np.round(combiner.coef_[0], 3).tolist(), strict=True))
    info["thresholds"] = per_theme
    return info
