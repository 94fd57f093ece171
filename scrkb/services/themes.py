"""A theme in depth: counts, trend by year, co-occurring themes, the strongest passages
and the recommendations tagged with it (the API's /api/themes/{id} and the theme page)."""

from __future__ import annotations

from scrkb.index.catalog import Catalog
from scrkb.index.search import Searcher
from scrkb.models import SearchFilters, SearchQuery, ThemeDetail


def theme_detail(
    catalog: Catalog,
    searcher: Searcher,
    theme_id: str,
    *,
    passages: int = 10,
    recommendations: int = 20,
    co_themes: int = 10,
) -> ThemeDetail:
    theme = catalog.theme(theme_id)  # NotFound, listing the valid ids
    recs, total = catalog.recommendations_for_theme(theme_id, limit=recommendations)
    hits = []
    if passages:
        hits = searcher.search(
            SearchQuery(text="", k=passages, filters=SearchFilters(themes=[theme_id]))
        ).hits
    return ThemeDetail(
        **theme.model_dump(),
        trend=catalog.theme_trend(theme_id),
        co_occurring=catalog.co_occurring(theme_id, limit=co_themes),
        strongest_passages=hits,
        recommendations=recs,
        recommendations_total=total,
    )
