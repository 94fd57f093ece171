"""Errors on the pages are answered as pages (the API answers them in JSON).

``WebRoute`` is the route class of every page: what a page route raises, a named error,
a form that fails validation, an HTTP error (a body over its limit) or a bug, is shown
as the GOV.UK error page with its own status, and a POST is first checked to come from
this site (``csrf.check_origin``, before its body is read). ``install`` does the same
for what happens before any route is chosen (no such page, a method a page does not
take), for every path that is not the API's, leaving the API's JSON handler the rest.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from scrkb.errors import ScrkbError
from scrkb.web.csrf import check_origin

log = logging.getLogger("scrkb.web")

NOT_PAGES = ("/api/", "/static/", "/docs", "/openapi.json", "/healthz", "/readyz")
MESSAGES = {
    404: "There is no page at this address",
    405: "There is no page at this address for this kind of request",
    413: "What was sent is too large",
}


def is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def page_for(request: Request, exc: Exception) -> Response:
    """Any exception as the error page."""
    web = request.app.state.web
    if isinstance(exc, ScrkbError):
        return web.error(request, exc)
    if isinstance(exc, RequestValidationError):
        problems = exc.errors()
        first = problems[0] if problems else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "the form"
        return web.error_page(request, 422, f"{where}: {first.get('msg', 'not valid')}")
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        message = MESSAGES.get(status) if status in (404, 405) else None
        if message is None:
            message = exc.detail if isinstance(exc.detail, str) else "the request was refused"
        return web.error_page(request, status, message)
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return web.error_page(request, 500, "something went wrong on our side; try again later")


class WebRoute(APIRoute):
    """A page route: whatever it raises is shown as the error page, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                if request.method == "POST":
                    check_origin(request)
                return await handler(request)
            except Exception as exc:
                return page_for(request, exc)

        return route


def install(app: FastAPI) -> None:
    """Answer errors on page paths (no such page, wrong method) as pages; other paths
    keep the handler the app already had (the API's JSON)."""
    for exc_type in (StarletteHTTPException, RequestValidationError):
        fallback = app.exception_handlers.get(exc_type)

        async def handler(request: Request, exc: Exception, fallback=fallback) -> Response:  # noqa: ANN001
            if is_page(request.url.path) or fallback is None:
                return page_for(request, exc)
            answer = fallback(request, exc)
            return await answer if inspect.isawaitable(answer) else answer

        app.add_exception_handler(exc_type, handler)
