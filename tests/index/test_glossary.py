"""The query glossary: shorthand and everyday words read as the reviews word them."""

from __future__ import annotations

import numpy as np
import pytest

from scrkb.index.glossary import Glossary, glossary
from scrkb.index.lexical import STEMMER, LexicalIndex
from scrkb.index.search import MARK_END, MARK_START, mark_terms
from scrkb.index.store import Store
from tests.factories import embed, embedding_form, make_passage, make_report


def _alternatives(text: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    return {w.word: w.alternatives for w in glossary().words(text)}


def test_glossary_abbreviation_keeps_itself_and_adds_its_expansions():
    words = _alternatives("HV missed visits")
    assert words["hv"] == (("hv",), ("health", "visitor"))
    assert words["missed"] == (("missed",),) and words["visits"] == (("visits",),)
    assert _alternatives("dv")["dv"] == (("dv",), ("domestic", "violence"), ("domestic", "abuse"))


def test_glossary_a_and_e_is_one_word_with_its_spelt_out_forms():
    assert _alternatives("A&E attendance")["a&e"] == (
        ("a&e",),
        ("emergency", "department"),
        ("accident", "emergency"),
    )
    assert [w.word for w in glossary().words("seen in A & E twice")] == ["seen", "a&e", "twice"]


def test_glossary_everyday_words_are_abbreviations_only_in_capitals():
    assert _alternatives("send a referral")["send"] == (("send",),)
    assert ("special", "educational", "needs") in _alternatives("SEND pupil")["send"]


def test_glossary_kin_words_join_the_reviews_words_both_ways():
    assert ("mother",) in _alternatives("mum")["mum"]
    assert ("mum",) in _alternatives("mother")["mother"]
    assert ("grandmother",) in _alternatives("nan")["nan"]


def test_glossary_knows_shorthand_but_not_misspellings():
    assert glossary().knows("NQSW") and glossary().knows("camhs")
    assert not glossary().knows("neglekt")


def test_glossary_from_a_file_of_its_own(tmp_path):
    path = tmp_path / "glossary.yaml"
    path.write_text("abbreviations:\n  iro: [independent reviewing officer]\n", encoding="utf-8")
    mine = Glossary.load(path)
    assert [w.alternatives for w in mine.words("iro mum")] == [
        (("iro",), ("independent", "reviewing", "officer")),
        (("mum",),),
    ]


# Fictional passages in the register of published reviews.
TEXTS = [
    "The health visitor saw the baby at home and noted a bruise.",
    "The HV (health visitor) did not see the baby again.",
    "The health needs of the baby were not reviewed by anyone.",
    "The school nurse was not invited to the strategy meeting.",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = tmp_path_factory.mktemp("glossary") / "scrkb.sqlite"
    passages = [make_passage("rg", i, t) for i, t in enumerate(TEXTS)]
    with Store(path) as store:
        store.replace_report(make_report("rg"), passages, embed(TEXTS), form=embedding_form())
        return LexicalIndex.build(store)


@pytest.mark.slow
def test_score_groups_holds_a_group_by_any_whole_alternative(index):
    s = STEMMER.stems(["hv", "health", "visitor", "baby"])
    hv = ((s["hv"],), (s["health"], s["visitor"]))
    scores = index.score_groups([hv, ((s["baby"],),)])
    assert scores.terms == 2
    # "health" alone (third passage) does not hold "hv"; "health visitor" or "HV" does
    assert scores.matched.tolist() == [2, 2, 1, 0]
    own = index.score([s["hv"]]).bm25
    spelt = index.score([s["health"], s["visitor"]]).bm25
    baby = index.score([s["baby"]]).bm25
    assert scores.bm25[0] == pytest.approx(spelt[0] + baby[0], rel=1e-5)
    # saying it both ways counts once: the better alternative, not the sum
    assert scores.bm25[1] == pytest.approx(max(own[1], spelt[1]) + baby[1], rel=1e-5)
    assert scores.bm25[1] < own[1] + spelt[1] + baby[1]
    assert scores.bm25[2] == pytest.approx(baby[2], rel=1e-5) and scores.bm25[3] == 0


@pytest.mark.slow
def test_score_groups_of_one_word_alternatives_take_the_best_posting(index):
    # "baby" or "school" as one group: a passage holding either holds it, scored by the
    # better of the two, never their sum (the general path, not plain BM25's)
    s = STEMMER.stems(["baby", "school", "bruise"])
    either = ((s["baby"],), (s["school"],))
    scores = index.score_groups([either, ((s["bruise"],),)])
    baby, school = index.score([s["baby"]]).bm25, index.score([s["school"]]).bm25
    bruise = index.score([s["bruise"]]).bm25
    assert scores.terms == 2 and scores.matched.tolist() == [2, 1, 1, 1]
    assert np.allclose(scores.bm25, np.maximum(baby, school) + bruise, rtol=1e-5)
    plain = index.score([s["baby"], s["bruise"]])
    grouped = index.score_groups([((s["baby"],),), ((s["bruise"],),)])
    assert np.array_equal(plain.bm25, grouped.bm25) and plain.terms == grouped.terms


def test_glossary_refuses_an_expansion_that_turns_on_a_negation():
    # the index keeps no "not": "did not attend" would be held by "attended"
    with pytest.raises(ValueError, match="negation"):
        Glossary({"dna": ["did not attend"]}, [], [])
    with pytest.raises(ValueError, match="no content word"):
        Glossary({"xx": ["of the"]}, [], [])
    assert not glossary().knows("DNA") and not glossary().knows("NFA")


def test_glossary_reads_plurals_and_possessives_as_their_abbreviation():
    assert _alternatives("the HV's visits")["hv"][1] == ("health", "visitor")
    assert ("local", "authority", "designated", "officer") in _alternatives("LADOs")["lado"]
    assert "sends" in _alternatives("sends")  # an everyday word's plural stays a word


def test_glossary_a_word_read_both_ways_is_read_as_the_abbreviation():
    for text in ("send SEND", "SEND send"):
        assert ("special", "educational", "needs") in _alternatives(text)["send"]


def test_mark_terms_marks_a_spelt_out_form_only_whole():
    s = STEMMER.stems(["health", "visitor", "baby"])
    wanted = {s["baby"]: "baby"}
    together = [{"health": s["health"], "visitor": s["visitor"]}]
    text, found = mark_terms("The health needs of the baby were not met.", wanted, together)
    assert found == ["baby"] and f"{MARK_START}health" not in text
    text, found = mark_terms("The health visitor saw the baby.", wanted, together)
    assert found == ["baby", "health", "visitor"]
    assert f"{MARK_START}health{MARK_END} {MARK_START}visitor{MARK_END}" in text


# Fictional passages: how reviews write the emergency department.
AE_TEXTS = [
    "He was taken to A&E by his grandmother with a swollen wrist.",
    "The emergency department did not ask who had been caring for him.",
    "The accident happened at nursery and was recorded there.",
]


@pytest.mark.slow
def test_a_and_e_is_one_word_in_passages_and_queries(tmp_path):
    path = tmp_path / "scrkb.sqlite"
    passages = [make_passage("ae", i, t) for i, t in enumerate(AE_TEXTS)]
    with Store(path) as store:
        store.replace_report(make_report("ae"), passages, embed(AE_TEXTS), form=embedding_form())
        index = LexicalIndex.build(store)
    words = glossary().words("A & E")
    assert [w.word for w in words] == ["a&e"]
    stems = STEMMER.stems([w for alt in words[0].alternatives for w in alt])
    group = tuple(tuple(stems[w] for w in alt) for alt in words[0].alternatives)
    # "A&E" and "emergency department" hold it; "accident" alone does not
    assert index.score_groups([group]).matched.tolist() == [1, 1, 0]
    text, found = mark_terms(AE_TEXTS[0], {"a&e": "a&e"})
    assert found == ["a&e"] and f"{MARK_START}A&E{MARK_END}" in text
