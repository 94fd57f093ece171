"""Theme pages: the coding frame with counts, and one theme in depth (the same
``Theme`` and ``ThemeDetail`` the API returns at /api/themes)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from scrkb.services.themes import theme_detail
from scrkb.web.deps import WebDep
from scrkb.web.errors import WebRoute
from scrkb.web.views import trend_chart

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.api_route(
    "/themes", methods=["GET", "HEAD"], response_class=HTMLResponse, name="web_themes"
)
async def themes_page(request: Request, web: WebDep) -> HTMLResponse:
    themes = await run_in_threadpool(web.services.catalog.themes)
    return web.render(request, "themes.html", themes=themes)


@router.api_route(
    "/themes/{theme_id}", methods=["GET", "HEAD"], response_class=HTMLResponse, name="web_theme"
)
async def theme_page(request: Request, web: WebDep, theme_id: str) -> HTMLResponse:
    services = web.services
    detail = await run_in_threadpool(
        theme_detail,
        services.catalog,
        services.searcher,
        theme_id,
        passages=6,
        recommendations=10,
        co_themes=8,
    )
    return web.render(request, "theme.html", theme=detail, chart=trend_chart(detail.trend))
