"""The corpus vocabulary on the sample corpus: which words passages hold, and "did you mean"."""

from __future__ import annotations

import pytest

from scrkb.index.store import Store
from scrkb.index.vocabulary import Vocabulary, porter_stems

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def vocabulary(sample_home) -> Vocabulary:
    return Vocabulary(Store(sample_home.db_path, readonly=True))


def test_vocabulary_counts_passages_with_any_form_of_a_word(vocabulary: Vocabulary) -> None:
    counts = vocabulary.passages_with(["neglect", "neglected", "xqzvbnmplk"])
    fts = vocabulary.store.execute(
        "SELECT COUNT(*) FROM passages_fts WHERE passages_fts MATCH 'neglect'"
    )[0][0]
    assert counts == {"neglect": fts, "neglected": fts, "xqzvbnmplk": 0} and fts > 10
    assert porter_stems(["bruised", "bruising"]) == {"bruised": "bruis", "bruising": "bruis"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("neglekt", "neglect"),
        ("helth vistor", "health visitor"),
        ("Sefguarding partnrship", "safeguarding partnership"),
        ("mother's new partnr", "mother's new partner"),
    ],
)
def test_vocabulary_corrects_words_no_passage_holds(
    vocabulary: Vocabulary, query: str, expected: str
) -> None:
    assert vocabulary.correct(query) == expected
    assert all(vocabulary.passages_with(expected.replace("'s", "").split()).values())


@pytest.mark.parametrize(
    "query",
    [
        "neglect of a baby",  # every word is in the corpus
        "xqzvbnmplk",  # nothing near it
        "trampoline",  # a real word the reviews do not use: not a typo
        "GP",  # too short to correct
        "",
    ],
)
def test_vocabulary_leaves_words_alone(vocabulary: Vocabulary, query: str) -> None:
    assert vocabulary.correct(query) is None


def test_vocabulary_leaves_shorthand_alone_when_search_reads_it(vocabulary: Vocabulary) -> None:
    from scrkb.index.glossary import glossary

    reading = Vocabulary(vocabulary.store, glossary())
    # "ICPC" is in no passage and rare in English, and two edits from "CPC", which some
    # passages hold: without the glossary it reads as a misspelling of it
    assert vocabulary.correct("ICPC neglekt") == "cpc neglect"
    assert reading.correct("ICPC neglekt") == "ICPC neglect"
