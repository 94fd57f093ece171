"""GET /api/search: ranked passages and facets; an empty query browses by filters."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import ServicesDep, check_themes
from scrkb.api.schemas import ErrorPublic, SearchResultsPublic
from scrkb.index.search import MAX_QUERY_CHARS
from scrkb.models import SearchFilters, SearchQuery

router = APIRouter(prefix="/api", tags=["search"])

Year = Annotated[int | None, Query(ge=1900, le=2100)]
Many = Annotated[list[str] | None, Query(max_length=50)]


@router.get(
    "/search",
    response_model=SearchResultsPublic,
    responses={422: {"model": ErrorPublic}, 503: {"model": ErrorPublic}},
    summary="Search passages",
)
async def search(
    services: ServicesDep,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_CHARS,
            description="Plain words. Empty with filters: the strongest passages for them.",
        ),
    ] = "",
    theme: Annotated[
        list[str] | None,
        Query(max_length=10, description="Theme id (repeatable; a passage must carry all)."),
    ] = None,
    year_from: Year = None,
    year_to: Year = None,
    review_type: Many = None,
    nation: Many = None,
    age_band: Many = None,
    partnership: Many = None,
    report_id: Many = None,
    k: Annotated[int, Query(ge=1, le=100, description="Results per page.")] = 10,
    offset: Annotated[int, Query(ge=0, le=1000, description="Results to skip.")] = 0,
    mode: Annotated[Literal["hybrid", "bm25", "dense"], Query()] = "hybrid",
    facets: Annotated[bool, Query(description="Count facets over the whole result set.")] = True,
) -> SearchResultsPublic:
    """Passages ranked by BM25 and embeddings fused (reciprocal rank fusion).

    Each hit carries the passage text, a highlighted snippet, its report, page, themes
    with confidence and a link to the original; facets count the whole result set.
    """
    filters = SearchFilters(
        year_from=year_from,
        year_to=year_to,
        review_types=review_type,
        nations=nation,
        partnerships=partnership,
        age_bands=age_band,
        themes=check_themes(theme or []),
        report_ids=report_id,
    )
    query = SearchQuery(text=q, k=k, offset=offset, filters=filters)
    # Search is CPU and SQLite work: run it off the event loop so health checks stay live.
    results = await run_in_threadpool(
        services.searcher.search, query, mode=mode, with_facets=facets
    )
    return SearchResultsPublic.model_validate(
        {**results.model_dump(), "k": k, "offset": offset, "facets": results.facets or {}}
    )
