"""What every page shares: the services, the templates, cookies and redirects.

``Web`` (``app.state.web``) holds the template environment and the same ``Services`` the
API uses (``app.state.services``); routes receive it as ``WebDep``. Every page is a GET
whose URL holds the whole state; changes are POSTs that redirect back
(post/redirect/get), so the back button and reloads behave.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from scrkb.errors import ScrkbError
from scrkb.services.container import Services
from scrkb.web.render import environment

CW_COOKIE = "scrkb_notice_seen"
PACK_COOKIE = "scrkb_pack"
FLASH_COOKIE = "scrkb_flash"
YEAR = 365 * 24 * 3600

FLASH_MESSAGES = {
    "added": "Passage added to your pack.",
    "already": "That passage is already in your pack.",
    "removed": "Passage removed from your pack.",
    "moved": "Passage moved.",
    "saved": "Your pack has been saved.",
    "cleared": "Your pack has been emptied.",
    "notice": "Thank you. The content notice will not be shown again on this device.",
}
ERROR_TITLES = {404: "Page not found", 422: "There is a problem", 503: "Not ready yet"}


class Web:
    """The template environment over the shared services."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self.env = environment()

    def render(
        self,
        request: Request,
        template: str,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        flash = request.cookies.get(FLASH_COOKIE)
        base = {
            "request": request,
            "path": request.url.path,
            "here": _here(request),
            "show_notice": request.cookies.get(CW_COOKIE) != "1",
            "pack_count": self.services.packs.size(request.cookies.get(PACK_COOKIE)),
            "flash": flash if flash in FLASH_MESSAGES else None,
            "flash_messages": FLASH_MESSAGES,
        }
        base.update(context)
        html = self.env.get_template(template).render(base)
        response = HTMLResponse(html, status_code=status_code, headers=headers)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return response

    def error(self, request: Request, exc: ScrkbError) -> HTMLResponse:
        """A named error as a GOV.UK error page, with the error's own status."""
        status = getattr(exc, "status_code", 500)
        return self.render(
            request,
            "error.html",
            status_code=status,
            title=ERROR_TITLES.get(status, "Sorry, there is a problem"),
            message=exc.message,
            status=status,
        )


def get_web(request: Request) -> Web:
    return request.app.state.web


WebDep = Annotated[Web, Depends(get_web)]


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths: never redirect to another host."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value:
        return default
    return value


def redirect(url: str, *, flash: str | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE, flash, max_age=60, path="/", samesite="lax", httponly=True
        )
    return response


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def remember(response: Any, name: str, value: str) -> None:
    """A first-party cookie for a year (the pack id, the notice dismissal)."""
    response.set_cookie(name, value, max_age=YEAR, path="/", samesite="lax", httponly=True)
