"""The search use case on the sample corpus: a few hits per report, date order, the
reports view, honest counts, "why this matched", spelling and theme suggestions.

Every query runs through the real pipeline's store, FAISS index and MiniLM model over
the 27 fictional sample reviews (``samples/``); assertions are about behaviour (no report
shows more than its share, every match stays counted), never about a fixed ranking.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from scrkb.index.search import MARK_END, MARK_START, Searcher
from scrkb.models import SearchFilters, SearchQuery
from scrkb.services.explain import matched_words, unmark_names
from scrkb.services.query_themes import QueryThemes, query_themes
from scrkb.services.search import search

pytestmark = pytest.mark.slow

QUERY = "bruise on a baby not referred"


@pytest.fixture(scope="module")
def searcher(sample_home) -> Searcher:
    # Candidates deeper than any page asked for here: each page is cut from the same
    # ranked list, so these tests see the arrangement alone, whatever the ranking's depth.
    return Searcher(sample_home.model_copy(update={"candidates": 1000}))


def every_page(searcher: Searcher, query: SearchQuery, k: int = 10) -> list:
    """All hits of a query, page by page, as a reader paging through would see them."""
    hits, offset = [], 0
    while True:
        page = search(searcher, query.model_copy(update={"k": k, "offset": offset}))
        hits += page.hits
        offset += k
        if offset >= (page.page_total or 0):
            return hits


def test_search_limits_each_report_and_keeps_every_match_counted(searcher: Searcher) -> None:
    everything = search(searcher, SearchQuery(text=QUERY, k=10, per_report=0))
    crowded = Counter(h.report_id for h in everything.hits).most_common(1)[0][1]
    assert crowded > 2  # without the limit one report fills the first page

    folded = search(searcher, SearchQuery(text=QUERY, k=10))  # the setting's default: 2
    assert folded.per_report == searcher.settings.hits_per_report == 2
    assert folded.total == everything.total  # folding hides nothing from the count
    assert folded.reports == everything.reports
    assert max(Counter(h.report_id for h in folded.hits).values()) <= 2
    shown = every_page(searcher, SearchQuery(text=QUERY))
    assert len(shown) == folded.page_total < folded.total
    assert max(Counter(h.report_id for h in shown).values()) <= 2
    assert [h.rank for h in shown] == list(range(1, len(shown) + 1))
    assert len({h.passage_id for h in shown}) == len(shown)  # no hit on two pages
    # each report's shown hits are its best ones, in the ranking's order
    first_two: dict[str, list[str]] = {}
    for hit in every_page(searcher, SearchQuery(text=QUERY, per_report=0)):
        if len(first_two.setdefault(hit.report_id, [])) < 2:
            first_two[hit.report_id].append(hit.passage_id)
    by_report: dict[str, list[str]] = {}
    for hit in shown:
        by_report.setdefault(hit.report_id, []).append(hit.passage_id)
    assert by_report == first_two


def test_search_more_from_this_report_shows_all_its_matches(searcher: Searcher) -> None:
    folded = search(searcher, SearchQuery(text=QUERY, k=10))
    hit = next(h for h in folded.hits if (h.report_matches or 0) > 2)
    narrowed = SearchQuery(text=QUERY, k=100, filters=SearchFilters(report_ids=[hit.report_id]))
    more = search(searcher, narrowed)
    assert more.per_report == 0  # narrowed to one report: nothing is folded away
    assert more.total == len(more.hits) == hit.report_matches
    assert {h.report_id for h in more.hits} == {hit.report_id}
    assert hit.passage_id in {h.passage_id for h in more.hits}


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_search_sorts_by_report_year_then_relevance(searcher: Searcher, sort: str) -> None:
    relevance = every_page(searcher, SearchQuery(text="neglect", per_report=0))
    dated = every_page(searcher, SearchQuery(text="neglect", sort=sort, per_report=0))
    assert {h.passage_id for h in dated} == {h.passage_id for h in relevance}
    years = [h.year for h in dated if h.year is not None]
    assert years == sorted(years, reverse=sort == "newest") and len(set(years)) > 3
    assert all(h.year is not None for h in dated[: len(years)])  # no year: last
    order = {h.passage_id: i for i, h in enumerate(relevance)}
    for a, b in zip(dated, dated[1:], strict=False):
        if a.year == b.year:
            assert order[a.passage_id] < order[b.passage_id]


def test_search_reports_view_pages_over_reports(searcher: Searcher) -> None:
    first = search(searcher, SearchQuery(text=QUERY, k=3, view="reports"))
    assert first.page_total == first.reports and len(first.groups) == 3
    assert [h.passage_id for g in first.groups for h in g.hits] == [
        h.passage_id for h in first.hits
    ]
    for group in first.groups:
        assert 1 <= len(group.hits) <= 2 and group.matches >= len(group.hits)
        assert {h.report_id for h in group.hits} == {group.report_id}
    second = search(searcher, SearchQuery(text=QUERY, k=3, offset=3, view="reports"))
    assert second.total == first.total and second.reports == first.reports
    assert not {g.report_id for g in first.groups} & {g.report_id for g in second.groups}
    assert second.hits[0].rank == len(first.hits) + 1
    # reports come in the order of their best passage
    best = search(searcher, SearchQuery(text=QUERY, k=10, per_report=1))
    assert [g.report_id for g in first.groups] == [h.report_id for h in best.hits[:3]]


def test_search_past_the_last_page_is_empty_with_the_same_total(searcher: Searcher) -> None:
    first = search(searcher, SearchQuery(text=QUERY, k=10))
    beyond = search(searcher, SearchQuery(text=QUERY, k=10, offset=1000))
    assert beyond.hits == [] and beyond.total == first.total
    assert beyond.page_total == first.page_total


def test_search_why_names_words_themes_and_meaning(searcher: Searcher) -> None:
    results = search(searcher, SearchQuery(text="domestic abuse and MARAC", k=10))
    assert results.hits
    for hit in results.hits:
        plain = hit.text.lower()
        assert all(term in plain for term in hit.why.terms)
        assert {t.id for t in hit.why.themes} <= {"domestic_abuse"}
        assert hit.why.meaning == (hit.score_parts.dense_rank is not None)
    assert any("marac" in h.why.terms for h in results.hits)
    assert any(t.id == "domestic_abuse" for h in results.hits for t in h.why.themes)
    # a theme ticked as a filter is one the search asks for, whatever the words
    filtered = search(
        searcher,
        SearchQuery(text="what the school knew", k=5, filters=SearchFilters(themes=["neglect"])),
    )
    assert filtered.hits and all("neglect" in {t.id for t in h.why.themes} for h in filtered.hits)
    lexical = search(searcher, SearchQuery(text="MARAC", k=5), mode="bm25")
    assert lexical.hits and not any(h.why.meaning for h in lexical.hits)


def test_search_never_marks_a_childs_code_name(searcher: Searcher) -> None:
    results = search(searcher, SearchQuery(text="baby", k=20))
    coded = [h for h in results.hits if re.search(r"\bBaby [A-Z]\b", h.text)]
    assert len(coded) >= 3
    for hit in coded:
        assert not re.search(f"{MARK_START}Baby{MARK_END} [A-Z]\\b", hit.snippet)
        uncoded = re.sub(r"\bBaby [A-Z]\b", "", hit.text).lower()
        if "baby" not in uncoded:
            assert "baby" not in hit.why.terms
    # ... while the word itself, used as a word, is marked and counted
    assert any(
        "baby" in h.why.terms and re.search(f"{MARK_START}[Bb]aby{MARK_END}", h.snippet)
        for h in results.hits
    )


def test_search_suggests_a_spelling_the_corpus_knows(searcher: Searcher) -> None:
    results = search(searcher, SearchQuery(text="neglekt of the helth of a baby"))
    assert results.suggestions.spelling == "neglect of the health of a baby"
    assert "neglect" in {t.id for t in results.suggestions.themes}  # named once corrected
    assert search(searcher, SearchQuery(text="neglect")).suggestions.spelling is None
    assert search(searcher, SearchQuery(text="xqzvbnmplk")).suggestions.spelling is None


def test_search_with_nothing_found_offers_themes(searcher: Searcher) -> None:
    nowhere = SearchFilters(year_from=1971, year_to=1972)  # no sample review is that old
    results = search(searcher, SearchQuery(text="domestic abuse", filters=nowhere))
    assert results.total == 0 and results.hits == [] and results.reports == 0
    (theme,) = results.suggestions.themes
    assert (theme.id, theme.by) == ("domestic_abuse", "words")
    assert (
        theme.passages
        == searcher.store.execute(
            "SELECT COUNT(*) FROM passage_themes WHERE theme_id = 'domestic_abuse'"
        )[0][0]
    )


def test_query_themes_by_words_and_by_meaning(searcher: Searcher) -> None:
    themes = query_themes()
    embedder = searcher.embedder

    def named(text: str) -> list[tuple[str, str]]:
        vector = embedder.encode_query(text)
        return [(m.id, m.by) for m in themes.match(text, query_vector=vector, embedder=embedder)]

    assert named("domestic abuse") == [("domestic_abuse", "words")]
    assert named("unseen men")[0] == ("unseen_men", "words")
    assert "unseen_child" not in dict(named("unseen men"))  # the longer phrase wins
    by_meaning = named("nobody spoke to the child alone")
    assert by_meaning and all(by == "meaning" for _, by in by_meaning)
    assert by_meaning[0][0] in {"unseen_child", "voice_of_child"}
    for text in ["xqzvbnmplk", "council tax", "car parking", "how to bake bread"]:
        assert named(text) == [], text


def test_query_themes_common_words_alone_name_no_theme() -> None:
    themes = QueryThemes()
    assert themes.by_words("school") == {}  # "school" is in a phrase list, but common
    assert themes.by_words("missing") == {}
    assert "parental_substance_misuse" in themes.by_words("cannabis")
    assert "education_attendance" in themes.by_words("permanent exclusion from school")


@pytest.mark.parametrize(
    ("snippet", "title", "expected"),
    [
        (  # the code name is unmarked, the word stays marked
            "\x02Baby\x03 R was seen. The \x02baby\x03 had a bruise.",
            "Serious Case Review: Baby R",
            "Baby R was seen. The \x02baby\x03 had a bruise.",
        ),
        (
            "\x02Child\x03 T's mother said the \x02child\x03 was at school.",
            "Child Practice Review: Child T",
            "Child T's mother said the \x02child\x03 was at school.",
        ),
        (  # a name given in the title counts as the child's name
            "\x02Arthur\x03 was three. \x02Family\x03 X moved twice.",
            "Child Safeguarding Practice Review: Arthur",
            "Arthur was three. Family X moved twice.",
        ),
        (  # "Child Protection" is not a code name
            "The \x02Child\x03 Protection conference met.",
            "Serious Case Review: Baby R",
            "The \x02Child\x03 Protection conference met.",
        ),
    ],
)
def test_explain_unmarks_code_names(snippet: str, title: str, expected: str) -> None:
    assert unmark_names(snippet, title) == expected


def test_explain_matched_words_are_the_marked_ones() -> None:
    snippet = "The \x02bruise\x03 was not \x02referred\x03; a second \x02Bruise\x03 was."
    assert matched_words(snippet) == ["bruise", "referred"]
