"""GET /api/reports, /api/reports/{report_id}, .../similar and .../original."""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import ServicesDep, check_themes, theme_name, theme_names
from scrkb.api.schemas import (
    ErrorPublic,
    PassagePublic,
    PassageThemePublic,
    ReportDetailPublic,
    ReportMetadataPublic,
    ReportsPublic,
    ReportSummaryPublic,
    SectionPublic,
    SimilarReportPublic,
    SimilarReportsPublic,
    SourcePublic,
    ThemeCountPublic,
    ThemeProfilePublic,
)
from scrkb.errors import NotFound
from scrkb.index.catalog import ReportSummary
from scrkb.models import SearchFilters

router = APIRouter(prefix="/api/reports", tags=["reports"])

ReportId = Annotated[str, Path(max_length=100, description="Report id, as search returns it.")]
Many = Annotated[list[str] | None, Query(max_length=50)]
Year = Annotated[int | None, Query(ge=1900, le=2100)]
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
# Provenance keys that describe the server's disk, not the report: not for the public.
_PRIVATE_PROVENANCE = {"ingested_from", "original", "path", "file"}


def summary_public(s: ReportSummary, names: dict[str, str]) -> ReportSummaryPublic:
    return ReportSummaryPublic(
        id=s.id,
        title=s.title,
        year=s.year,
        partnership=s.partnership,
        review_type=s.review_type,
        nation=s.nation,
        age_band=s.age_band,
        child_code=s.child_code,
        outcome=s.outcome,
        status=s.status,
        page_count=s.page_count,
        passages=s.passages,
        source_url=s.source_url,
        url=f"/api/reports/{s.id}",
        top_themes=[
            ThemeCountPublic(id=t, name=theme_name(t, names), passages=n) for t, n in s.top_themes
        ],
    )


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
    rows, total = await run_in_threadpool(
        services.catalog.list_reports,
        filters,
        title_contains=title,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    names = theme_names()
    return ReportsPublic(
        data=[summary_public(s, names) for s in rows], count=total, limit=limit, offset=offset
    )


@router.get(
    "/{report_id}", response_model=ReportDetailPublic, responses={404: {"model": ErrorPublic}}
)
async def get_report(services: ServicesDep, report_id: ReportId) -> ReportDetailPublic:
    """Metadata with the evidence for each value, theme profile, recommendations,
    passages grouped by section, and where the report came from."""
    detail = await run_in_threadpool(services.catalog.report_detail, report_id)
    names = theme_names()
    report, meta = detail.report, detail.report.metadata
    original = report.provenance.get("original")
    return ReportDetailPublic(
        id=report.id,
        title=report.title,
        status=report.status,
        status_reason=report.status_reason,
        metadata=ReportMetadataPublic(**meta.model_dump(exclude={"age_years"})),
        passages=detail.passages,
        theme_profile=[
            ThemeProfilePublic(
                id=e.theme_id,
                name=theme_name(e.theme_id, names),
                passages=e.passages,
                max_confidence=e.max_confidence,
            )
            for e in detail.theme_profile
        ],
        recommendations=report.recommendations,
        sections=[
            SectionPublic(
                heading=s.heading,
                section_kind=s.section_kind,
                passages=[
                    PassagePublic(
                        id=p.id,
                        ordinal=p.ordinal,
                        text=p.text,
                        heading_path=p.heading_path,
                        section_kind=p.section_kind,
                        page=p.page_start,
                        page_end=p.page_end,
                        themes=[
                            PassageThemePublic(
                                id=t.theme_id,
                                name=theme_name(t.theme_id, names),
                                confidence=round(t.confidence, 3),
                                evidence=t.evidence,
                                stage=t.stage,
                            )
                            for t in p.themes
                        ],
                    )
                    for p in s.passages
                ],
            )
            for s in detail.sections
        ],
        source=SourcePublic(
            source_url=report.source_url,
            original_url=report.source_url or f"/api/reports/{report.id}/original",
            format=report.format,
            sha256=report.sha256,
            size_bytes=report.size_bytes,
            page_count=report.page_count,
            file_name=_file_name(report.source, report.provenance.get("ingested_from"))
            if original or report.source
            else None,
        ),
        provenance={
            k: v
            for k, v in report.provenance.items()
            if k not in _PRIVATE_PROVENANCE and isinstance(v, str | int | float | bool | None)
        },
        ingested_at=report.ingested_at,
    )


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
    names = theme_names()
    return SimilarReportsPublic(
        report_id=report_id,
        data=[
            SimilarReportPublic(
                report=summary_public(s.summary, names),
                score=s.score,
                shared_themes=s.shared_themes,
            )
            for s in similar
        ],
    )


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
    """The copy of the file kept at ingest, or a redirect to the original online."""
    report = await run_in_threadpool(services.store.get_report, report_id)
    name = report.provenance.get("original")
    files = (services.settings.home / "files").resolve()
    if isinstance(name, str) and re.fullmatch(r"[0-9a-f]{64}\.[a-z0-9]{1,8}", name):
        path = files / name
        if path.is_file():
            download = _file_name(report.source, report.provenance.get("ingested_from"))
            return FileResponse(
                path,
                media_type=MEDIA_TYPES.get(report.format, "application/octet-stream"),
                filename=download or name,
                content_disposition_type="inline",
            )
    if report.source_url and report.source_url.startswith(("https://", "http://")):
        return RedirectResponse(report.source_url, status_code=307)
    raise NotFound(f"the original of report {report_id!r} is not kept on this server")


def _file_name(source: str, ingested_from: object) -> str | None:
    """The file's own name (never the server's folders)."""
    candidate = ingested_from if isinstance(ingested_from, str) else source
    if candidate.startswith(("http://", "https://")):
        candidate = candidate.rstrip("/").rsplit("/", 1)[-1]
    name = FsPath(candidate).name
    return name or None
