"""GET /api/themes and /api/themes/{theme_id}: the coding frame with its evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import ServicesDep, theme_name, theme_names
from scrkb.api.schemas import (
    CoThemePublic,
    ErrorPublic,
    SearchHitPublic,
    ThemeDetailPublic,
    ThemePublic,
    ThemeRecommendationPublic,
    ThemesPublic,
    TrendPoint,
)
from scrkb.errors import NotFound
from scrkb.models import SearchFilters, SearchQuery

router = APIRouter(prefix="/api/themes", tags=["themes"])


def _taxonomy():  # noqa: ANN202 - nlp.taxonomy.Taxonomy
    from scrkb.nlp.taxonomy import default_taxonomy

    return default_taxonomy()


@router.get("", response_model=ThemesPublic, summary="List themes")
async def list_themes(services: ServicesDep) -> ThemesPublic:
    """Every theme of the coding frame with its definition and how often it occurs."""
    counts = await run_in_threadpool(services.catalog.theme_counts)
    data = []
    for t in _taxonomy().themes:
        c = counts.get(t.id)
        data.append(
            ThemePublic(
                id=t.id,
                name=t.name,
                group=t.group,
                definition=t.definition,
                reports=c.reports if c else 0,
                passages=c.passages if c else 0,
            )
        )
    return ThemesPublic(data=data, count=len(data))


@router.get(
    "/{theme_id}",
    response_model=ThemeDetailPublic,
    responses={404: {"model": ErrorPublic}},
    summary="One theme in depth",
)
async def get_theme(
    services: ServicesDep,
    theme_id: Annotated[str, Path(max_length=100)],
    passages: Annotated[int, Query(ge=0, le=50, description="Strongest passages to show.")] = 10,
    recommendations: Annotated[int, Query(ge=0, le=200)] = 20,
) -> ThemeDetailPublic:
    """Definition, trend by publication year, co-occurring themes, strongest passages and
    the recommendations tagged with the theme."""
    taxonomy = _taxonomy()
    try:
        theme = taxonomy.get(theme_id)
    except KeyError:
        exc = NotFound(f"no theme {theme_id!r}. Valid ids: {', '.join(taxonomy.ids)}")
        exc.details = {"valid": taxonomy.ids}  # type: ignore[attr-defined]
        raise exc from None
    catalog, names = services.catalog, theme_names()

    def gather():  # noqa: ANN202 - one thread hop for all the queries
        counts = catalog.theme_counts().get(theme_id)
        trend = catalog.theme_trend(theme_id)
        co = catalog.co_occurring(theme_id)
        recs, recs_total = catalog.recommendations_for_theme(theme_id, limit=recommendations)
        hits = []
        if passages:
            hits = services.searcher.search(
                SearchQuery(text="", k=passages, filters=SearchFilters(themes=[theme_id]))
            ).hits
        return counts, trend, co, recs, recs_total, hits

    counts, trend, co, recs, recs_total, hits = await run_in_threadpool(gather)
    return ThemeDetailPublic(
        id=theme.id,
        name=theme.name,
        group=theme.group,
        definition=theme.definition,
        reports=counts.reports if counts else 0,
        passages=counts.passages if counts else 0,
        trend=[TrendPoint(year=y, reports=n, all_reports=a) for y, n, a in trend],
        co_occurring=[
            CoThemePublic(
                id=c.theme_id,
                name=theme_name(c.theme_id, names),
                passages=c.passages,
                reports=c.reports,
            )
            for c in co
        ],
        strongest_passages=[SearchHitPublic.from_hit(h) for h in hits],
        recommendations=[ThemeRecommendationPublic(**r.__dict__) for r in recs],
        recommendations_total=recs_total,
    )
