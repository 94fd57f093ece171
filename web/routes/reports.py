"""Report pages: the list of reports (the same ``ReportList`` the API returns at
/api/reports, with the same filters and sorts) and each report's page: metadata with
evidence, themes, recommendations and the text (``ReportDetail``, /api/reports/{id})."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from scrkb.errors import ScrkbError
from scrkb.web.deps import WebDep
from scrkb.web.errors import WebRoute
from scrkb.web.render import page_range, query_string
from scrkb.web.views import filter_groups, metadata_fields, parse_search, selected_filters

router = APIRouter(route_class=WebRoute, include_in_schema=False)
REPORTS_PER_PAGE = 20
FILTER_KEYS = ("theme", "type", "nation", "age", "from", "to")
REPORT_SORT_LABELS = {
    "-year": "Newest first",
    "year": "Oldest first",
    "title": "Title (A to Z)",
}


@router.api_route(
    "/reports", methods=["GET", "HEAD"], response_class=HTMLResponse, name="web_reports"
)
async def reports_page(request: Request, web: WebDep) -> Response:
    """Every report, newest first, with its summary, facts and themes; filters first."""
    catalog = web.services.catalog
    form = parse_search(request)
    sort = request.query_params.get("sort") or "-year"
    sort = sort if sort in REPORT_SORT_LABELS else "-year"
    form["params"] = [(k, v) for k, v in form["params"] if k != "q"]
    partnerships = await run_in_threadpool(catalog.partnerships)
    known = {name for name, _ in partnerships}
    chosen = [p for p in request.query_params.getlist("partnership") if p in known]
    form["filters"] = form["filters"].model_copy(update={"partnerships": chosen})
    form["params"] += [("partnership", p) for p in chosen]
    if sort != "-year":
        form["params"].append(("sort", sort))
    reports = None
    if not form["errors"]:
        reports = await run_in_threadpool(
            catalog.list_reports,
            form["filters"],
            sort=sort,
            limit=REPORTS_PER_PAGE,
            offset=(form["page"] - 1) * REPORTS_PER_PAGE,
        )
    last = max(1, -(-(reports.count if reports else 0) // REPORTS_PER_PAGE))
    if form["page"] > last:  # past the end (an old link, a typed number): go to the last page
        return RedirectResponse(_url(form["params"], last), status_code=303)
    context: dict[str, Any] = {"form": form, "reports": reports, "sort": sort}
    context["theme_choices"] = await run_in_threadpool(catalog.themes)
    groups = filter_groups(form, None, context)
    for g in groups:
        if g["id"] == "theme":
            g["hint"] = "Reports must carry every theme you tick"
            reports_with = {t.id: t.reports for t in context["theme_choices"]}
            for option in g["options"]:
                option["count"] = reports_with.get(option["value"], 0)
    groups.insert(
        1,
        {
            "legend": "Partnership",
            "id": "partnership",
            "name": "partnership",
            "scroll": len(partnerships) > 8,
            "options": [
                {"value": name, "label": name, "count": n, "checked": name in chosen}
                for name, n in partnerships
            ],
        },
    )
    context["filter_groups"] = groups
    context["selected_filters"] = [
        f | {"href": f["href"].replace("/?", "/reports?", 1)}
        for f in selected_filters(
            form | {"params": [(k, v) for k, v in form["params"] if k in FILTER_KEYS]}, context
        )
    ] + [
        {
            "label": f"Partnership: {p}",
            "href": _url([(k, v) for k, v in form["params"] if (k, v) != ("partnership", p)], 1),
        }
        for p in chosen
    ]
    context.update(
        sorts=REPORT_SORT_LABELS,
        pages=page_range(form["page"], last),
        last_page=last,
        page_url=lambda n: _url(form["params"], n),
    )
    return web.render(
        request, "reports.html", status_code=422 if form["errors"] else 200, **context
    )


def _url(params: list[tuple[str, str]], page: int) -> str:
    query = query_string(params, page=page if page > 1 else None)
    return "/reports" + (f"?{query}" if query else "")


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
