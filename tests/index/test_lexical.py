"""The in-memory BM25 index: scores, term counts, contents pages, saving and read-only homes."""

from __future__ import annotations

import numpy as np
import pytest

from scrkb.index.lexical import LEXICAL_DIR, STEMMER, LexicalIndex, sync_lexical_index
from scrkb.index.store import Store
from tests.factories import embed, embedding_form, make_passage, make_report

pytestmark = pytest.mark.slow

# Fictional passages in the register of published reviews.
TEXTS = [
    "The health visitor saw a bruise on the baby's ear and accepted the mother's account.",
    "Bruising to a baby who is not independently mobile must always be referred.",
    "The school nurse was not invited to the strategy discussion about the older sister.",
    "1 Introduction .......... 3 2 Bruising in babies .......... 7 3 Learning .......... 12",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    home = tmp_path_factory.mktemp("lexical")
    path = home / "scrkb.sqlite"
    passages = [
        make_passage("rl", i, t, themes=["non_mobile_injury"] if i == 1 else [])
        for i, t in enumerate(TEXTS)
    ]
    with Store(path) as store:
        store.replace_report(make_report("rl"), passages, embed(TEXTS), form=embedding_form())
    return path


def test_lexical_scores_every_passage_and_counts_query_terms(db):
    with Store(db) as store:
        index = LexicalIndex.build(store)
    stems = list(STEMMER.stems(["bruising", "baby", "referred"]).values())
    scores = index.score(stems)
    assert scores.terms == 3
    # "bruise"/"bruising" and "baby"/"babies" share stems; "referred" only in the second
    assert scores.matched.tolist() == [2, 3, 0, 2]
    assert int(np.argmax(scores.bm25)) == 1
    assert scores.bm25[2] == 0
    tokens = [index.bm25.vocab_dict[s] for s in stems]
    assert np.allclose(scores.bm25, index.bm25.get_scores(tokens))  # bm25s's own sums


def test_lexical_contents_page_is_hidden_and_themes_are_kept(db):
    with Store(db) as store:
        index = LexicalIndex.build(store)
    assert index.hidden.tolist() == [False, False, False, True]
    column = index.theme_ids.index("non_mobile_injury")
    assert index.theme_conf[:, column].astype(bool).tolist() == [False, True, False, False]
    assert index.report_ids == ["rl"] and index.report_of.tolist() == [0, 0, 0, 0]


def test_lexical_index_saved_for_the_generation_and_rebuilt_after_a_write(db):
    directory = db.parent / LEXICAL_DIR
    with Store(db) as store:
        first = sync_lexical_index(store, directory)
        assert LexicalIndex.load(directory).generation == first.generation
        extra = make_passage("rm", 0, "The GP was not told about the bruise.")
        store.replace_report(make_report("rm"), [extra], embed([extra.text]), form=embedding_form())
        second = sync_lexical_index(store, directory)
    assert second.generation > first.generation and second.size == first.size + 1
    assert LexicalIndex.load(directory).size == second.size
    assert not [p for p in directory.parent.iterdir() if p.name.startswith(f".{LEXICAL_DIR}")]


def test_lexical_read_only_store_builds_in_memory_and_writes_nothing(db, tmp_path):
    with Store(db, readonly=True) as store:
        index = sync_lexical_index(store, tmp_path / LEXICAL_DIR)
    assert index.size >= len(TEXTS)
    assert not (tmp_path / LEXICAL_DIR).exists()


def test_lexical_build_a_chunk_at_a_time_scores_as_one_whole_build(tmp_path, monkeypatch):
    """The build holds one chunk's words (and tags) at a time, the memory a national store
    needs; chunking must not change a single score, position, flag or theme."""
    import bm25s

    from scrkb.index import lexical

    themes = [
        ["domestic_abuse", "non_mobile_injury", "information_sharing"],
        [],
        ["parental_mental_health", "domestic_abuse", "neglect"],
        ["neglect"],
        [],
        [],
    ]
    texts = [*TEXTS, "It was and is, as it had been.", "The review thanks the family."]
    passages = [
        make_passage(
            "rc",
            i,
            t,
            themes=themes[i] if i < len(themes) else [],
            heading_path=["3. Practice"] if i % 2 else None,
        )
        for i, t in enumerate(texts)
    ]
    with Store(tmp_path / "scrkb.sqlite") as store:
        store.replace_report(make_report("rc"), passages, embed(texts), form=embedding_form())
        monkeypatch.setattr(lexical, "BUILD_CHUNK", 1)  # every passage a chunk of its own
        monkeypatch.setattr(lexical, "TAG_CHUNK", 2)  # chunks end inside a passage's tags
        chunked = LexicalIndex.build(store)
        monkeypatch.setattr(lexical, "BUILD_CHUNK", 10_000)
        monkeypatch.setattr(lexical, "TAG_CHUNK", 10_000)
        at_once = LexicalIndex.build(store)
    # the same text bm25s would index from whole token lists: heading, then passage text
    whole = bm25s.BM25(k1=1.2, b=0.75)
    whole.index(
        lexical.passage_tokens([" ".join([p.heading_path[-1], p.text]) for p in passages]),
        show_progress=False,
    )
    stems = [s for s in whole.vocab_dict if s]
    assert sorted(stems) == sorted(s for s in chunked.bm25.vocab_dict if s)
    for stem in stems:
        assert np.allclose(chunked.score([stem]).bm25, whole.get_scores([whole.vocab_dict[stem]]))
    assert chunked.score(["and"]).bm25.sum() == 0  # a passage of stopwords has no terms
    assert np.array_equal(chunked.theme_conf, at_once.theme_conf)
    tagged = [{chunked.theme_ids[j] for j in np.flatnonzero(row)} for row in chunked.theme_conf]
    assert tagged == [set(t) for t in themes]  # every tag, past each chunk boundary
    assert np.array_equal(chunked.hidden, at_once.hidden)
    assert np.array_equal(chunked.rowids, at_once.rowids)


def test_lexical_store_without_indexable_words_still_builds(tmp_path):
    words = ["It was and is, as it had been.", "The 2 of them."]
    with Store(tmp_path / "scrkb.sqlite") as store:
        store.replace_report(
            make_report("rs"),
            [make_passage("rs", i, t, heading_path=["-"]) for i, t in enumerate(words)],
            embed(words),
            form=embedding_form(),
        )
        index = LexicalIndex.build(store)
    assert index.size == 2 and not index.score(["abuse"]).bm25.any()


def test_lexical_index_follows_a_retag_without_a_new_generation(tmp_path):
    """A retag swaps tags but keeps passages (and the store generation, so the vector
    index stays); the BM25 index holds the tags, so it must be rebuilt all the same."""
    from scrkb.models import ReportMetadata, ThemeTag

    passages = [make_passage("rt", i, t) for i, t in enumerate(TEXTS)]
    directory = tmp_path / LEXICAL_DIR
    with Store(tmp_path / "scrkb.sqlite") as store:
        store.replace_report(make_report("rt"), passages, embed(TEXTS), form=embedding_form())
        before = sync_lexical_index(store, directory)
        column = before.theme_ids.index("non_mobile_injury")
        assert not before.theme_conf[:, column].any()
        tag = ThemeTag(
            theme_id="non_mobile_injury", confidence=0.8, evidence=TEXTS[1][:40], start=0, end=40
        )
        store.replace_annotations("rt", ReportMetadata(), [], {passages[1].id: [tag]})
        after = sync_lexical_index(store, directory)
        assert after.generation == before.generation  # the vector index need not move
        assert after.theme_conf[:, column].astype(bool).tolist() == [False, True, False, False]
        assert LexicalIndex.load(directory).current_for(store)


def test_lexical_two_threads_finding_it_stale_build_it_once(tmp_path, monkeypatch):
    """Two requests that both find the saved index out of date: the second waits for the
    first's build and loads it, rather than spending minutes building it again."""
    import threading

    passages = [make_passage("rs", i, t) for i, t in enumerate(TEXTS)]
    directory = tmp_path / LEXICAL_DIR
    with Store(tmp_path / "scrkb.sqlite") as store:
        store.replace_report(make_report("rs"), passages, embed(TEXTS), form=embedding_form())
        sync_lexical_index(store, directory)  # saved, then made stale by a write
        store.replace_report(
            make_report("rs"), passages[:2], embed(TEXTS[:2]), form=embedding_form()
        )
        builds, real_build = [], LexicalIndex.build
        started = threading.Barrier(2)

        def counted(store_: Store) -> LexicalIndex:
            builds.append(1)
            return real_build(store_)

        monkeypatch.setattr(LexicalIndex, "build", staticmethod(counted))
        found: list[LexicalIndex] = []

        def search() -> None:
            started.wait()
            found.append(sync_lexical_index(store, directory))

        threads = [threading.Thread(target=search) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(builds) == 1
    assert [index.size for index in found] == [2, 2]
