"""The home page: search passages in your own words or browse by theme, with filters."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from scrkb.errors import InvalidQuery
from scrkb.models import SearchQuery
from scrkb.reference import EXAMPLE_QUERIES
from scrkb.services.search import search
from scrkb.web.deps import WebDep
from scrkb.web.errors import WebRoute
from scrkb.web.render import page_range, query_string
from scrkb.web.views import (
    PER_PAGE,
    REPORTS_PER_PAGE,
    SORTS,
    VIEWS,
    filter_groups,
    parse_search,
    selected_filters,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, name="web_search")
async def search_page(request: Request, web: WebDep) -> Response:
    started = time.perf_counter()
    services = web.services
    form = parse_search(request)
    context: dict[str, Any] = {"form": form, "examples": EXAMPLE_QUERIES}
    context["theme_choices"] = await run_in_threadpool(services.catalog.themes)
    results = None
    per_page = REPORTS_PER_PAGE if form["view"] == "reports" else PER_PAGE
    if form["active"] and not form["errors"]:
        query = SearchQuery(
            text=form["q"],
            k=per_page,
            offset=(form["page"] - 1) * per_page,
            filters=form["filters"],
            sort=form["sort"],
            view=form["view"],
            per_report=form["per_report"],
        )
        try:
            results = await run_in_threadpool(
                search, services.searcher, query, with_facets=True, catalog=services.catalog
            )
        except InvalidQuery as exc:
            form["errors"]["q"] = exc.message
    context["results"] = results
    context["facets"] = results.facets if results else None
    if results:
        last = max(1, -(-(results.page_total or 0) // per_page))
        context["pages"] = page_range(min(form["page"], last), last)
        context["last_page"] = last
    context["filter_groups"] = filter_groups(form, context["facets"], context)
    context["selected_filters"] = selected_filters(form, context)
    params = form["params"]
    context["page_url"] = lambda n: "/?" + query_string(params, page=n if n > 1 else None)
    context["report_url"] = lambda report_id: (
        "/?" + query_string(params, page=None, view=None, per_report=None, report=report_id)
    )
    context["fold_url"] = lambda n: "/?" + query_string(params, page=None, per_report=n)
    context["all_reports_url"] = "/?" + query_string(params, page=None, report=None)
    context["spelling_url"] = lambda text: "/?" + query_string(params, page=None, q=text)
    context["sorts"], context["views"] = SORTS, VIEWS
    status = 422 if form["errors"] else 200
    response = web.render(request, "search.html", status_code=status, **context)
    timing = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    if results is not None and results.timings_ms.get("total") is not None:
        timing += f", search;dur={results.timings_ms['total']:.1f}"
    response.headers["Server-Timing"] = timing
    return response
