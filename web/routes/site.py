"""The site's own pages: support for readers affected by what they read, and the
content notice that every page shows until it is dismissed."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from scrkb.web.deps import CW_COOKIE, CsrfDep, WebDep, redirect, remember, safe_next, wants_json
from scrkb.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.post("/content-notice", name="web_content_notice")
def dismiss_notice(
    request: Request,
    _csrf: CsrfDep,
    next: str = Form("/", max_length=2000),  # noqa: A002
) -> Response:
    if wants_json(request):
        response: Response = Response(status_code=204)
    else:
        response = redirect(request, safe_next(next), flash="notice")
    remember(request, response, CW_COOKIE, "1")
    return response


@router.api_route(
    "/support", methods=["GET", "HEAD"], response_class=HTMLResponse, name="web_support"
)
def support_page(request: Request, web: WebDep) -> HTMLResponse:
    return web.render(request, "support.html")
