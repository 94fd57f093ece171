"""GET /api/search: ranked passages and facets; an empty query browses by filters."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import ServicesDep, check_themes
from scrkb.api.schemas import ErrorPublic, SearchResultsPublic
from scrkb.index.search import MAX_QUERY_CHARS
from scrkb.models import ResultView, SearchFilters, SearchQuery, SortOrder
from scrkb.services.search import search as search_use_case

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
    request: Request,
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
    k: Annotated[
        int,
        Query(ge=1, le=100, description="Results per page (reports per page when view=reports)."),
    ] = 10,
    offset: Annotated[
        int, Query(ge=0, le=1000, description="Results (or, when view=reports, reports) to skip.")
    ] = 0,
    mode: Annotated[Literal["hybrid", "bm25", "dense"], Query()] = "hybrid",
    facets: Annotated[bool, Query(description="Count facets over the whole result set.")] = True,
    sort: Annotated[
        SortOrder,
        Query(description="relevance, or newest / oldest report first (then relevance)."),
    ] = "relevance",
    view: Annotated[
        ResultView,
        Query(description="passages: a ranked list; reports: the hits grouped report by report."),
    ] = "passages",
    per_report: Annotated[
        int | None,
        Query(
            ge=0,
            le=100,
            description="Most passages shown from one report, 0 for all (default: "
            "SCRKB_HITS_PER_REPORT, or all when report_id is given).",
        ),
    ] = None,
) -> SearchResultsPublic:
    """Passages ranked by BM25 and embeddings fused (reciprocal rank fusion).

    Each hit carries the passage text, a highlighted snippet, its report, page, themes
    with confidence, why it matched and a link to the original; at most ``per_report``
    hits come from one report, each with ``more_url`` when its report has more. ``total``
    counts every matching passage on every page; ``page_total`` is what ``k`` and
    ``offset`` page through. ``suggestions`` offers a spelling the corpus knows and the
    themes the query names. Facets count the whole result set (``facet_units``).
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
    query = SearchQuery(
        text=q, k=k, offset=offset, filters=filters, sort=sort, view=view, per_report=per_report
    )
    # Search is CPU and SQLite work: run it off the event loop so health checks stay live.
    results = await run_in_threadpool(
        search_use_case,
        services.searcher,
        query,
        mode=mode,
        with_facets=facets,
        catalog=services.catalog,
    )
    data = results.model_dump()
    shown = results.per_report
    for item in [*data["hits"], *(data["groups"] or [])]:
        matches = item.get("report_matches", item.get("matches")) or 0
        if shown and matches > shown:
            more = [
                (name, value)
                for name, value in request.query_params.multi_items()
                if name not in ("report_id", "offset", "per_report")
            ]
            item["more_url"] = "/api/search?" + urlencode([*more, ("report_id", item["report_id"])])
    return SearchResultsPublic.model_validate(
        {**data, "k": k, "offset": offset, "facets": results.facets or {}}
    )
