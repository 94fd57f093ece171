"""Named errors on web routes become GOV.UK error pages (the API answers them in JSON)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from scrkb.errors import ScrkbError


class WebRoute(APIRoute):
    """A page route: a ``ScrkbError`` it raises is shown as the error page, not JSON."""

    def get_route_handler(self):  # noqa: ANN201
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ScrkbError as exc:
                return request.app.state.web.error(request, exc)

        return route
