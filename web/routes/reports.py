"""Report pages: metadata with evidence, themes, recommendations and the text (the same
``ReportDetail`` the API returns at /api/reports/{id})."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from scrkb.errors import ScrkbError
from scrkb.web.deps import WebDep
from scrkb.web.errors import WebRoute
from scrkb.web.views import metadata_fields

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.api_route(
    "/reports/{report_id}", methods=["GET", "HEAD"], response_class=HTMLResponse, name="web_report"
)
async def report_page(request: Request, web: WebDep, report_id: str) -> HTMLResponse:
    catalog = web.services.catalog
    detail = await run_in_threadpool(catalog.report_detail, report_id)
    try:
        similar = (await run_in_threadpool(catalog.similar_reports, report_id, k=5)).data
    except ScrkbError:  # similarity needs embeddings; the page works without it
        similar = []
    return web.render(
        request,
        "report.html",
        detail=detail,
        fields=metadata_fields(detail),
        profile_max=max((p.passages for p in detail.theme_profile), default=1),
        similar=similar,
    )


@router.get("/reports/{report_id}/original", name="web_report_original")
def report_original(report_id: str) -> RedirectResponse:
    """Originals are served in one place, /api/reports/{id}/original: older links land there."""
    return RedirectResponse(f"/api/reports/{quote(report_id, safe='')}/original", status_code=308)
