"""Hybrid search over a real store, real FAISS index and the real MiniLM model."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from scrkb.errors import InvalidQuery
from scrkb.index.lexical import LEXICAL_DIR, LexicalIndex
from scrkb.index.search import MARK_END, MARK_START, Searcher, query_terms
from scrkb.index.store import Store
from scrkb.index.vectors import INDEX_FILE, MANIFEST_FILE, VectorIndex
from scrkb.models import SearchFilters, SearchQuery
from tests.factories import embed, embedding_form, make_passage, make_report, make_settings

FORM = embedding_form()

pytestmark = pytest.mark.slow

# Fictional passages in the register of published reviews.
PASSAGES = {
    "bruise": "5.3 When the baby was eleven weeks old the health visitor noticed a small bruise on "
    "his cheek. The mother said his older sister had caught him with a toy. The explanation was "
    "accepted and no referral was made to children's social care.",
    "doorstep": "6.1 On each of the four home visits the social worker spoke to the mother on the "
    "doorstep. The children were said to be asleep or at their grandmother's, and nobody went "
    "inside the house.",
    "marac": "4.8 The police attended three incidents of domestic abuse at the address. The case "
    "was heard at MARAC in June, but the GP practice and the school were not told of the plan.",
    "transfer": "7.2 When the family moved to Eastvale the child protection plan was not "
    "transferred, and no transfer-in conference was held for eleven weeks.",
    "sleep": "3.4 The baby died while sharing a sofa with his father, who had been drinking. Safer "
    "sleep advice had been given at birth but was not revisited when the family's circumstances "
    "changed.",
    "exclusion": "8.1 Following his permanent exclusion from school at fourteen, the boy spent "
    "most days with older youths and was arrested carrying drugs in another county.",
}
# A contents page that slipped through structuring: it names every theme, and is never a hit.
CONTENTS = (
    "1 Introduction .......... 3 2 Domestic abuse and MARAC .......... 5 "
    "3 Bruising in babies .......... 9 4 Safer sleep .......... 12"
)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    # A shallow candidate list: a filter must act inside each arm, not on a short top list.
    settings = make_settings(home).model_copy(update={"candidates": 2})
    keys = list(PASSAGES)
    with Store(settings.db_path) as store:
        # Two reports: an older Welsh one holds only the last two passages.
        a = [
            make_passage("ra", i, PASSAGES[k], themes=["neglect"] if k == "doorstep" else [])
            for i, k in enumerate(keys[:4])
        ]
        store.replace_report(
            make_report("ra", year=2019, review_type="lcspr"),
            a,
            embed([p.text for p in a]),
            form=FORM,
        )
        b = [make_passage("rb", i, PASSAGES[k]) for i, k in enumerate(keys[4:])]
        b.append(make_passage("rb", len(b), CONTENTS))
        store.replace_report(
            make_report("rb", year=2012, nation="Wales", review_type="cpr"),
            b,
            embed([p.text for p in b]),
            form=FORM,
        )
    return settings


@pytest.fixture(scope="module")
def searcher(home):
    return Searcher(home)


def _first_text(results) -> str:
    return results.hits[0].text


def test_search_query_terms_drop_stopwords_and_quote_input():
    assert query_terms("What did the school do about the child's absence?") == [
        "school",
        "child",
        "absence",
    ]
    # operators in user input are just words
    assert query_terms('neglect" OR NEAR(x') == ["neglect", "near"]


def test_search_dense_arm_finds_paraphrase_without_shared_words(searcher):
    # none of these words occur in the doorstep passage
    results = searcher.search(
        SearchQuery(text="practitioner never got past the front door", k=3), mode="dense"
    )
    assert _first_text(results) == PASSAGES["doorstep"]


def test_search_bm25_arm_matches_exact_terms(searcher):
    results = searcher.search(SearchQuery(text="MARAC", k=3), mode="bm25")
    assert [h.text for h in results.hits] == [PASSAGES["marac"]]
    assert results.total == 1 and results.hits[0].matched_terms == ["marac"]


def test_search_hybrid_reports_both_arms_and_fuses(searcher, home):
    results = searcher.search(
        SearchQuery(text="bruise on a baby's cheek explanation accepted", k=3)
    )
    top = results.hits[0]
    assert top.text == PASSAGES["bruise"]
    assert top.score_parts.bm25_rank == 1 and top.score_parts.dense_rank == 1
    # every query term matched (coverage 1), so both arms count in full at rank 1
    expected = (home.bm25_weight + home.dense_weight) / (home.rrf_k + 1)
    assert top.score == pytest.approx(expected, rel=1e-3)
    assert top.page == 1 and top.title.startswith("Serious Case Review")


def test_search_partial_bm25_match_counts_by_coverage(searcher, home):
    # "cheek" and "explanation" match; "zebra" matches nothing: coverage 2/3
    results = searcher.search(SearchQuery(text="cheek explanation zebra", k=6))
    hit = next(h for h in results.hits if h.text == PASSAGES["bruise"])
    p = hit.score_parts
    assert p.bm25_rank == 1 and hit.matched_terms == ["cheek", "explanation"]
    expected = home.bm25_weight * (2 / 3) ** home.coverage_power / (home.rrf_k + 1)
    if p.dense_rank is not None:
        expected += home.dense_weight / (home.rrf_k + p.dense_rank)
    assert p.fused == pytest.approx(expected, rel=1e-3)


def test_search_one_shared_word_of_three_is_not_a_match(searcher):
    # "cheek" alone is a third of the query: not enough words, and the meaning is far off
    results = searcher.search(SearchQuery(text="cheek zebra trampoline", k=6))
    assert PASSAGES["bruise"] not in [h.text for h in results.hits]
    assert results.total == len(results.hits)


@pytest.mark.parametrize(
    "query",
    [
        "xqzvbnmplk",
        "asdfgh jkl qwertyu",
        "!!! ??? ***",
        "premier league results saturday",
        "Who won the FA Cup final last season?",
    ],
)
def test_search_nonsense_and_off_domain_queries_match_nothing(searcher, query):
    results = searcher.search(SearchQuery(text=query, k=10), with_facets=True)
    assert results.total == 0 and results.hits == []
    assert all(not counts for counts in results.facets.values())


def test_search_related_floor_widens_only_a_query_in_scope(searcher):
    """A query some passage matches strictly is in scope, and its floor relaxes to passages
    within the gap of the best (never under the related minimum); a query no passage
    matches strictly matches nothing, however near its passages are to each other."""
    arms = searcher.arms("a baby with a bruise on his cheek that nobody explained")
    cosine = np.where(arms.allowed, arms.cosine, -np.inf)
    ordered = np.sort(cosine[np.isfinite(cosine)])[::-1]
    best, second, third = (float(v) for v in ordered[:3])
    assert best > second > third  # real cosines of distinct passages
    words_off = {"min_coverage": 2.0, "related_min_coverage": 2.0}  # cosine alone decides
    strict = dataclasses.replace(
        searcher.fusion,
        min_similarity=best,
        related_gap=0.0,
        related_min_similarity=2.0,
        **words_off,
    )
    assert searcher.rank(arms, strict).total == 1
    near = dataclasses.replace(strict, related_gap=best - second + 1e-6, related_min_similarity=0.0)
    assert sorted(cosine[searcher.rank(arms, near).cand].tolist()) == sorted([best, second])
    bounded = dataclasses.replace(near, related_gap=1.0, related_min_similarity=third)
    assert searcher.rank(arms, bounded).total == 3
    out_of_scope = dataclasses.replace(bounded, min_similarity=best + 1e-6)
    assert searcher.rank(arms, out_of_scope).total == 0


def test_search_total_is_the_same_on_every_page(searcher):
    q = "baby bruise health visitor"
    pages = [searcher.search(SearchQuery(text=q, k=2, offset=o)) for o in (0, 2, 4)]
    assert len({p.total for p in pages}) == 1
    seen = [h.passage_id for p in pages for h in p.hits]
    assert len(seen) == len(set(seen)) == min(6, pages[0].total)


def test_search_contents_page_is_never_a_hit(searcher):
    for query in ("domestic abuse MARAC", "bruising in babies", "safer sleep", "introduction"):
        for mode in ("hybrid", "bm25", "dense"):
            hits = searcher.search(SearchQuery(text=query, k=10), mode=mode).hits
            assert CONTENTS not in [h.text for h in hits], (query, mode)


def test_search_query_naming_a_theme_reports_it_and_the_hits_carrying_it(searcher):
    results = searcher.search(SearchQuery(text="neglect of the children's basic needs", k=6))
    assert "neglect" in [t.id for t in results.query_themes]
    doorstep = next(h for h in results.hits if h.text == PASSAGES["doorstep"])
    assert doorstep.matched_themes == ["neglect"]
    assert doorstep.score_parts.theme_rank == 1


def test_search_snippet_marks_stemmed_terms(searcher):
    hit = searcher.search(SearchQuery(text="transferring plans", k=1)).hits[0]
    assert f"{MARK_START}transferred{MARK_END}" in hit.snippet
    assert hit.snippet.replace(MARK_START, "").replace(MARK_END, "") == hit.text


def test_search_filters_still_return_k_hits(searcher):
    # English passages share words with this query too; the filter acts inside each arm
    # (depth 2 here), not on a short top list, so the Welsh 2012 match is still found.
    q = SearchQuery(
        text="police baby sofa father drinking", k=2, filters=SearchFilters(nations=["Wales"])
    )
    results = searcher.search(q)
    assert [h.text for h in results.hits] == [PASSAGES["sleep"]] and results.total == 1
    assert all(h.nation == "Wales" and h.year == 2012 for h in results.hits)


def test_search_year_and_type_filters(searcher):
    q = SearchQuery(
        text="baby", k=10, filters=SearchFilters(year_from=2015, review_types=["lcspr"])
    )
    assert {h.report_id for h in searcher.search(q).hits} == {"ra"}


def test_search_empty_query_with_theme_browses_strongest(searcher):
    results = searcher.search(SearchQuery(text="", k=5, filters=SearchFilters(themes=["neglect"])))
    assert [h.text for h in results.hits] == [PASSAGES["doorstep"]]


def test_search_paging_is_consistent(searcher):
    full = searcher.search(SearchQuery(text="child protection plan", k=4))
    page2 = searcher.search(SearchQuery(text="child protection plan", k=2, offset=2))
    assert [h.passage_id for h in page2.hits] == [h.passage_id for h in full.hits[2:4]]
    assert [h.rank for h in page2.hits] == [3, 4]


def test_search_facets_count_the_result_set_and_say_their_unit(searcher):
    results = searcher.search(SearchQuery(text="children", k=2), with_facets=True)
    assert results.facets is not None
    assert results.facets["nation"] == {"England": 1, "Wales": 1}  # reports, not passages
    assert results.facets["theme"] == {"neglect": 1}
    assert results.facet_units["theme"] == "passages"
    assert {results.facet_units[f] for f in ("year", "nation", "review_type")} == {"reports"}


def test_search_overlong_query_is_refused(searcher):
    with pytest.raises(InvalidQuery, match="limit is 1000"):
        searcher.search(SearchQuery(text="neglect " * 200))


def test_search_vector_index_is_saved_atomically_and_rebuilt_when_stale(home, searcher):
    searcher.search(SearchQuery(text="sofa", k=1))
    assert LexicalIndex.load(home.home / LEXICAL_DIR).size == len(PASSAGES) + 1
    manifest = json.loads((home.vectors_dir / MANIFEST_FILE).read_text())
    assert (home.vectors_dir / INDEX_FILE).exists()
    assert not [p for p in home.vectors_dir.iterdir() if p.suffix == ".tmp"]
    with Store(home.db_path) as store:
        assert manifest["generation"] == store.generation()
        assert manifest["count"] == len(PASSAGES) + 1
        extra = make_passage("rc", 0, "The nursery reported the child's weight loss to the GP.")
        store.replace_report(make_report("rc"), [extra], embed([extra.text]), form=FORM)
        generation = store.generation()
    # the long-lived searcher notices the new generation and picks up the new passage
    results = searcher.search(SearchQuery(text="nursery weight loss", k=1))
    assert results.hits[0].report_id == "rc"
    assert VectorIndex.load(home.vectors_dir).generation == generation
    assert LexicalIndex.load(home.home / LEXICAL_DIR).generation == generation


def test_search_uses_one_lexical_index_even_when_it_is_swapped_mid_query(home, tmp_path):
    """A job's end (or a write) swaps the searcher's index between a query's steps: every
    position the query holds must still be read against the index it was scored on."""
    import shutil

    # the swapped-in index lacks report ra, so its positions mean other passages
    copy = tmp_path / "scrkb.sqlite"
    shutil.copy(home.db_path, copy)
    with Store(copy) as store:
        store.delete_report("ra")
        smaller = LexicalIndex.build(store)

    class Swapping(Searcher):
        calls = 0

        def lexical_index(self) -> LexicalIndex:
            Swapping.calls += 1
            return super().lexical_index() if Swapping.calls == 1 else smaller

    query = SearchQuery(text="bruise on the baby's cheek", k=3, per_report=0)
    expected = Searcher(home).search(query)
    got = Swapping(home).search(query)
    assert expected.hits and expected.hits[0].report_id == "ra"
    assert [h.passage_id for h in got.hits] == [h.passage_id for h in expected.hits]
    assert got.total == expected.total


def test_search_shorthand_matches_the_words_reviews_spell_out(searcher, home):
    # "hv" and "cp plan" are not in any passage; the reviews say "health visitor" and
    # "child protection plan"
    results = searcher.search(SearchQuery(text="hv bruise", k=3), mode="bm25")
    assert _first_text(results) == PASSAGES["bruise"]
    assert {"health", "visitor", "bruise"} <= set(results.hits[0].matched_terms)
    results = searcher.search(SearchQuery(text="cp plan transferred", k=3), mode="bm25")
    assert _first_text(results) == PASSAGES["transfer"]
    plain = Searcher(home.model_copy(update={"query_glossary": False}))
    results = plain.search(SearchQuery(text="hv bruise", k=3), mode="bm25")
    assert results.total == 0  # without it "hv" is a word no passage holds: half the query


def test_search_everyday_kin_words_match_the_reviews_words(searcher):
    # the passage says "grandmother's" and "mother"; the query says "nan" and "mum"
    results = searcher.search(SearchQuery(text="nan mum doorstep", k=3), mode="bm25")
    assert _first_text(results) == PASSAGES["doorstep"]
    assert results.hits[0].score_parts.bm25_rank == 1
    arms = searcher.arms("nan mum doorstep", mode="bm25")
    position = int(np.argmax(arms.bm25))
    assert arms.terms == 3 and int(arms.matched[position]) == 3  # each group held once


def test_search_shorthand_alone_is_not_nonsense(searcher):
    # "nqsw" is in no passage and rare in English, but it is shorthand, not keyboard mash
    index = searcher.lexical_index()
    assert not searcher.is_nonsense("nqsw", index)
    assert searcher.is_nonsense("xqzv bpltk wmrrn", index)


def test_search_everyday_kin_words_are_cut_when_common_like_any_word(home):
    # "mother" is in 2 of 7 passages: above a 0.2 cut, so "mum" is left out as "mother" is
    strict = Searcher(home.model_copy(update={"bm25_max_df": 0.2}))
    assert strict.arms("mum doorstep", mode="bm25").terms == 1
    assert strict.arms("mother doorstep", mode="bm25").terms == 1


def test_search_a_word_typed_twice_or_beside_its_abbreviation_counts_once(searcher):
    assert searcher.arms("mum mother doorstep", mode="bm25").terms == 2
    # "domestic violence DV" is one request: a passage saying "domestic abuse" holds it all
    arms = searcher.arms("domestic violence DV", mode="bm25")
    position = int(np.argmax(arms.bm25))
    assert arms.terms == 1 and int(arms.matched[position]) == 1


def test_search_query_expansions_only_when_the_word_search_ran(searcher, home):
    hybrid = searcher.search(SearchQuery(text="hv bruise", k=3))
    assert hybrid.query_expansions == {"hv": ["health visitor"]}
    assert searcher.search(SearchQuery(text="hv bruise", k=3), mode="dense").query_expansions == {}
    plain = Searcher(home.model_copy(update={"query_glossary": False}))
    assert plain.search(SearchQuery(text="hv bruise", k=3)).query_expansions == {}
