"""Search as people read it: the searcher's matches, a few per report, explained, and
suggestions when there is nothing (or a misspelt word) to show.

Written once for the API (``GET /api/search``), the web page (``/``) and the CLI
(``scrkb search``), so all three show the same hits, counts, reasons and suggestions.
The searcher (``index/search.py``) decides what matches and ``total``; the arrangement
(``index/arrange.py``) orders and folds the matches into pages; this adds what a reader
needs to trust and use them.
"""

from __future__ import annotations

from scrkb.index.catalog import Catalog
from scrkb.index.glossary import glossary
from scrkb.index.search import Mode, Searcher
from scrkb.index.vocabulary import Vocabulary
from scrkb.models import (
    ReportGroup,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchSuggestions,
    ThemeSuggestion,
)
from scrkb.services.explain import explain_hit
from scrkb.services.query_themes import ThemeMatch, query_themes


def resolve(query: SearchQuery, default_per_report: int) -> SearchQuery:
    """The query with its per-report limit filled in: the setting, or every passage when
    the search is already narrowed to some reports ("more from this report")."""
    if query.per_report is not None:
        return query
    limit = 0 if query.filters.report_ids else default_per_report
    return query.model_copy(update={"per_report": limit})


def search(
    searcher: Searcher,
    query: SearchQuery,
    *,
    mode: Mode = "hybrid",
    with_facets: bool = False,
    catalog: Catalog | None = None,
    vocabulary: Vocabulary | None = None,
) -> SearchResults:
    """Run ``query`` and explain it: ``why`` on every hit, ``groups`` in the reports view,
    ``suggestions`` (a corrected spelling, the themes the query names) for any query."""
    query = resolve(query, searcher.settings.hits_per_report)
    results = searcher.search(query, mode=mode, with_facets=with_facets)
    text = results.query
    embedder = None
    vector = None
    if text and mode != "bm25":
        embedder = searcher.embedder
        vector = embedder.encode_query(text)  # cached: the dense arm just encoded it
    named = query_themes().match(text, query_vector=vector, embedder=embedder)
    asked = set(query.filters.themes) | {m.id for m in named}
    meaning = bool(text) and mode != "bm25"
    for hit in results.hits:
        hit.snippet, hit.why = explain_hit(hit, asked_themes=asked, meaning=meaning)
    if query.view == "reports":
        results.groups = group_by_report(results.hits)
    if text:
        results.suggestions = suggest(
            text,
            named,
            catalog or Catalog(searcher.store),
            vocabulary
            or Vocabulary(searcher.store, glossary() if searcher.settings.query_glossary else None),
        )
    return results


def group_by_report(hits: list[SearchHit]) -> list[ReportGroup]:
    """The reports view's blocks: consecutive hits of one report (the arrangement already
    put each report's hits together)."""
    groups: list[ReportGroup] = []
    for hit in hits:
        if not groups or groups[-1].report_id != hit.report_id:
            groups.append(
                ReportGroup(
                    report_id=hit.report_id,
                    title=hit.title,
                    year=hit.year,
                    partnership=hit.partnership,
                    review_type=hit.review_type,
                    nation=hit.nation,
                    matches=hit.report_matches or 0,
                    hits=[],
                )
            )
        groups[-1].hits.append(hit)
    return groups


def suggest(
    text: str, named: list[ThemeMatch], catalog: Catalog, vocabulary: Vocabulary
) -> SearchSuggestions:
    """A spelling the corpus knows (only when some word of the query is in no passage)
    and the themes the query names, each with how many passages carry it; themes named
    by the corrected spelling count too ("neglekt" -> Neglect)."""
    spelling = vocabulary.correct(text)
    if spelling:
        seen = {m.id for m in named}
        named = named + [m for m in query_themes().match(spelling) if m.id not in seen]
    if not named:
        return SearchSuggestions(spelling=spelling)
    counts = catalog.theme_counts()
    themes = [
        ThemeSuggestion(id=m.id, name=m.name, by=m.by, passages=counts.get(m.id, (0, 0))[1])
        for m in named
    ]
    return SearchSuggestions(spelling=spelling, themes=[t for t in themes if t.passages])
