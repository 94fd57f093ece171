"""GET /api/reports, /api/reports/{report_id}, .../similar and .../original."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import ServicesDep, check_themes
from scrkb.api.schemas import (
    ErrorPublic,
    ReportDetailPublic,
    ReportsPublic,
    SimilarReportsPublic,
)
from scrkb.models import SearchFilters
from scrkb.services.reports import original_file

router = APIRouter(prefix="/api/reports", tags=["reports"])

ReportId = Annotated[str, Path(max_length=100, description="Report id, as search returns it.")]
Many = Annotated[list[str] | None, Query(max_length=50)]
Year = Annotated[int | None, Query(ge=1900, le=2100)]


@router.get("", response_model=ReportsPublic, responses={422: {"model": ErrorPublic}})
async def list_reports(
    services: ServicesDep,
    theme: Annotated[list[str] | None, Query(max_length=10, description="Theme id(s).")] = None,
    year_from: Year = None,
    year_to: Year = None,
    review_type: Many = None,
    nation: Many = None,
    age_band: Many = None,
    partnership: Many = None,
    title: Annotated[str | None, Query(max_length=200, description="Title contains.")] = None,
    sort: Annotated[Literal["year", "-year", "title", "-title"], Query()] = "-year",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ReportsPublic:
    """Reports passing the filters, a page at a time, newest first by default."""
    filters = SearchFilters(
        year_from=year_from,
        year_to=year_to,
        review_types=review_type,
        nations=nation,
        partnerships=partnership,
        age_bands=age_band,
        themes=check_themes(theme or []),
    )
    reports = await run_in_threadpool(
        services.catalog.list_reports,
        filters,
        title_contains=title,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return ReportsPublic.of(reports)


@router.get(
    "/{report_id}", response_model=ReportDetailPublic, responses={404: {"model": ErrorPublic}}
)
async def get_report(services: ServicesDep, report_id: ReportId) -> ReportDetailPublic:
    """Metadata with the evidence for each value, theme profile, recommendations,
    passages grouped by section, and where the report came from."""
    detail = await run_in_threadpool(services.catalog.report_detail, report_id)
    return ReportDetailPublic.of(detail)


@router.get(
    "/{report_id}/similar",
    response_model=SimilarReportsPublic,
    responses={404: {"model": ErrorPublic}},
)
async def similar_reports(
    services: ServicesDep,
    report_id: ReportId,
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SimilarReportsPublic:
    """Reports closest in content (mean passage embeddings), with the themes they share."""
    similar = await run_in_threadpool(services.catalog.similar_reports, report_id, k=k)
    return SimilarReportsPublic.of(similar)


@router.get(
    "/{report_id}/original",
    response_model=None,
    response_class=FileResponse,
    responses={
        200: {"description": "The report file as ingested.", "content": {"application/pdf": {}}},
        307: {"description": "Redirect to the original online."},
        404: {"model": ErrorPublic},
    },
)
async def original(services: ServicesDep, report_id: ReportId) -> Response:
    """The copy of the file kept at ingest, or a redirect to the original online.

    The web pages link here too: this is the one place an original is served. A web page
    comes as a download, sandboxed: it is never shown from this site's own origin.
    """
    found = await run_in_threadpool(original_file, services, report_id)
    if found.path is None:
        assert found.url is not None
        return RedirectResponse(found.url, status_code=307)
    if found.media_type.startswith("text/html"):
        # A kept web page is someone else's markup: never rendered from this origin.
        return FileResponse(
            found.path,
            media_type=found.media_type,
            filename=found.filename,
            content_disposition_type="attachment",
            headers={"Content-Security-Policy": "sandbox; default-src 'none'"},
        )
    return FileResponse(
        found.path,
        media_type=found.media_type,
        filename=found.filename,
        content_disposition_type="inline",
    )
