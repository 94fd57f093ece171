"""The labelled corpus, training and leave-one-writer-out evaluation, on real data and models."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from scrkb.nlp.gold import GOLD_DIR, load_gold
from scrkb.nlp.rules import reads_like_contents, reads_like_passing
from scrkb.nlp.taxonomy import load_taxonomy


def test_gold_corpus_has_many_independent_writers_and_two_annotations_per_label():
    items = load_gold(valid_themes=set(load_taxonomy().ids))
    writers = Counter(g.writer for g in items)
    independent = {w: n for w, n in writers.items() if w != "team"}
    assert len(independent) >= 6, writers
    assert sum(independent.values()) >= 5000
    corpus = [g for g in items if g.writer != "team"]
    for g in corpus:
        first, second = g.annotations["writer"], g.annotations["annotator"]
        assert first is not None and second is not None, g.id
        if set(first) != set(second):
            # every disagreement went to a third reader, whose labels are final
            assert g.annotations["adjudicator"] is not None, g.id
            assert set(g.themes) == set(g.annotations["adjudicator"]), g.id
        else:
            assert set(g.themes) == set(first), g.id
    none_share = sum(1 for g in corpus if not g.themes) / len(corpus)
    assert 0.25 < none_share < 0.5  # plenty of contents, methodology and traps
    carried = Counter(t for g in corpus for t in g.themes)
    assert set(carried) == set(load_taxonomy().ids)
    assert min(carried.values()) >= 50


def test_gold_loader_names_the_line_of_bad_data(tmp_path):
    from scrkb.errors import ConfigError

    (tmp_path / "writers").mkdir()
    (tmp_path / "writers" / "w9.jsonl").write_text(
        '{"id": "w9-1", "text": "x", "themes": ["neglect"], "writer": "w9"}\n'
        '{"id": "w9-2", "text": "y", "themes": ["not_a_theme"]}\n'
    )
    with pytest.raises(ConfigError, match=r"w9.jsonl line 2: unknown theme"):
        load_gold(tmp_path, valid_themes=set(load_taxonomy().ids))
    (tmp_path / "writers" / "w9.jsonl").write_text('{"id": "w9-1", "text": "x"}\n{"text": "y"}\n')
    with pytest.raises(ConfigError, match=r"line 2: missing 'id'"):
        load_gold(tmp_path)


def test_contents_detection_never_vetoes_a_labelled_theme_passage():
    items = load_gold()
    flagged = [g for g in items if reads_like_passing(g.text)]
    assert len(flagged) > 100  # contents, glossaries and scope lists are recognised...
    assert [g.id for g in flagged if g.themes] == []  # ...and no theme-bearing text is
    assert reads_like_contents(
        "Contents: 1. Introduction; 2. The family; 3. Findings; 4. Recommendations"
    )
    assert not reads_like_contents(
        "1. Where is the baby sleeping?\n2. Who else lives there?\n"
        "3. Has anything changed?\n4. Who needs to know?"
    )


@pytest.fixture(scope="module")
def small_set():
    """Two writers' first passages plus the team's: enough to train and score quickly."""
    from scrkb.nlp.themes import Tagger
    from scrkb.nlp.train import prepare

    tagger = Tagger(model_path=None)
    items = load_gold(GOLD_DIR)
    picked = []
    for writer in ("team", "w1", "w5"):
        picked += [g for g in items if g.writer == writer][:150]
    return tagger, prepare(picked, tagger, processes=1)


@pytest.mark.slow
def test_training_fits_thresholds_on_unseen_writers_and_round_trips(small_set, tmp_path):
    from scrkb.nlp.themes import TaggerModel
    from scrkb.nlp.train import TrainConfig, fit, predict

    tagger, data = small_set
    train_idx = np.flatnonzero(data.writers != "w5")
    config = TrainConfig(threshold_folds=2, gate=True)  # shipped training, two groups, a gate
    model = fit(data.subset(train_idx), tagger.theme_ids, config)
    assert model.info["writers"] == ["team", "w1"]  # the held-out writer was never seen
    # each threshold is the scale times a grid point or the midpoint of two (the shrink)
    unscaled = model.thresholds / config.threshold_scale
    assert ((unscaled >= 0.1 - 1e-6) & (unscaled <= 0.9 + 1e-6)).all()
    steps = unscaled / 0.0125
    assert np.allclose(steps, np.round(steps), atol=1e-3)
    held = data.subset(np.flatnonzero(data.writers == "w5"))
    probs = predict(model, held)
    path = tmp_path / "themes.npz"
    model.save(path)
    again = predict(TaggerModel.load(path), held)
    assert np.allclose(probs, again, atol=2e-3)  # float16 wording weights
    # it learned something transferable: better than chance on a writer it never saw
    pred = probs >= model.thresholds
    tp = int((pred & (held.labels == 1)).sum())
    assert tp / max(1, int(pred.sum())) > 0.3
    # the "any theme?" gate was trained, its threshold read off unseen writers, and saved
    assert model.gate_threshold is not None and 0.0 <= model.gate_threshold <= 0.95
    assert TaggerModel.load(path).gate_threshold == pytest.approx(model.gate_threshold)


@pytest.mark.slow
def test_gate_keeps_no_theme_passages_of_unseen_writers_untagged(small_set):
    """The gate's threshold holds no-theme passages of writers outside each fold to the
    target share; without it, more of them carry some theme."""
    from scrkb.nlp.train import TrainConfig, choose_gate_threshold, fit, scores

    tagger, data = small_set
    model = fit(data, tagger.theme_ids, TrainConfig(epochs=40, threshold_folds=3, gate=True))
    probs, gate = scores(model, data)
    assert gate is not None and gate.shape == (len(data.labels),)
    none = data.labels.sum(1) == 0
    tagged = (probs >= model.thresholds).any(1)
    # the gate scores passages that carry themes higher than those that carry none
    assert gate[~none].mean() > gate[none].mean() + 0.2
    strict = choose_gate_threshold(probs, gate, data.labels, model.thresholds, 0.05)
    loose = choose_gate_threshold(probs, gate, data.labels, model.thresholds, 0.5)
    assert strict >= loose
    assert (tagged & (gate >= strict))[none].mean() <= 0.05


@pytest.mark.slow
def test_scores_and_baselines_are_computed_as_documented(small_set):
    from scrkb.nlp.evaluate import KeywordBaseline, scores

    tagger, data = small_set
    y = data.labels
    perfect = scores(y.astype(bool), y, tagger.theme_ids, bootstrap=50)
    assert perfect["micro"]["f1"] == 1.0 and perfect["no_theme_tagged_rate"] == 0.0
    everything = scores(np.ones_like(y, dtype=bool), y, tagger.theme_ids, bootstrap=50)
    assert everything["no_theme_tagged_rate"] == 1.0
    assert everything["micro"]["recall"] == 1.0 and everything["micro"]["precision"] < 0.2
    lo, hi = everything["micro"]["f1_ci"]
    assert lo <= everything["micro"]["f1"] <= hi
    baseline = KeywordBaseline(tagger.taxonomy).predict(
        ["The referral did not meet the threshold.", "Nothing here at all."]
    )
    j = tagger.theme_ids.index("threshold_disputes")
    assert baseline[0, j] and not baseline[1].any()


def test_mini_batches_cover_every_row_once_per_epoch():
    from scrkb.nlp.train import _batches

    rng = np.random.default_rng(0)
    assert _batches(10, 0, rng) == [None]  # the full-batch regime: one step of every row
    assert _batches(10, 64, rng) == [None]
    batches = _batches(300, 128, rng)
    assert [len(b) for b in batches] == [128, 128, 44]
    assert sorted(np.concatenate(batches).tolist()) == list(range(300))


@pytest.mark.slow
def test_mini_batch_regime_learns_what_transfers_to_an_unseen_writer(small_set):
    from scrkb.nlp.train import TrainConfig, fit, predict

    tagger, data = small_set
    train_idx = np.flatnonzero(data.writers != "w5")
    config = TrainConfig(epochs=8, batch_size=64, threshold_folds=2)
    model = fit(data.subset(train_idx), tagger.theme_ids, config)
    held = data.subset(np.flatnonzero(data.writers == "w5"))
    pred = predict(model, held) >= model.thresholds
    tp = int((pred & (held.labels == 1)).sum())
    assert tp / max(1, int(pred.sum())) > 0.3
    assert tp / max(1, int(held.labels.sum())) > 0.2


@pytest.mark.slow
def test_threshold_scale_moves_only_the_thresholds(small_set):
    """Real reviews score lower than the writers' text: the scale lowers every threshold
    by the same factor and leaves the weights as they were."""
    from scrkb.nlp.train import TrainConfig, fit

    tagger, data = small_set
    scale = TrainConfig().threshold_scale
    assert 0 < scale < 1  # the shipped setting lowers thresholds
    plain = fit(data, tagger.theme_ids, TrainConfig(epochs=4, threshold_folds=2, threshold_scale=1))
    scaled = fit(data, tagger.theme_ids, TrainConfig(epochs=4, threshold_folds=2))
    assert scaled.info["config"]["threshold_scale"] == scale
    assert np.allclose(scaled.thresholds, scale * plain.thresholds, atol=1e-6)
    assert np.array_equal(scaled.w_lexical, plain.w_lexical)
    assert np.array_equal(scaled.w_dense, plain.w_dense)


@pytest.mark.slow
def test_full_batch_regime_is_still_available(small_set, monkeypatch):
    """batch_size=0 is the earlier regime (one step of every row per epoch), kept to
    reproduce the figures measured with it."""
    from scrkb.nlp import train as training
    from scrkb.nlp.train import TrainConfig, fit, predict

    steps: list[list] = []
    real_batches = training._batches
    monkeypatch.setattr(
        training,
        "_batches",
        lambda n, size, rng: steps.append(real_batches(n, size, rng)) or steps[-1],
    )
    tagger, data = small_set
    train_idx = np.flatnonzero(data.writers != "w5")
    config = TrainConfig(
        epochs=40, batch_size=0, learning_rate=0.02, threshold_folds=2, threshold_scale=1
    )
    model = fit(data.subset(train_idx), tagger.theme_ids, config)
    assert len(steps) == 3 * 40  # two group fits and the final one, 40 epochs each...
    assert all(epoch == [None] for epoch in steps)  # ...each one step of every row
    held = data.subset(np.flatnonzero(data.writers == "w5"))
    pred = predict(model, held) >= model.thresholds
    tp = int((pred & (held.labels == 1)).sum())
    assert tp / max(1, int(pred.sum())) > 0.3


def test_threshold_scale_that_would_let_vetoed_themes_through_is_refused():
    from scrkb.nlp.themes import VETO_CAP
    from scrkb.nlp.train import THRESHOLD_GRID, TrainConfig

    with pytest.raises(ValueError, match="vetoed theme"):
        TrainConfig(threshold_scale=VETO_CAP / THRESHOLD_GRID.min())
    with pytest.raises(ValueError, match="outside"):
        TrainConfig(threshold_scale=0)
    assert TrainConfig(threshold_scale=1).threshold_scale == 1
