"""What every page shares: the services, the templates, cookies and redirects.

``Web`` (``app.state.web``) holds the template environment and the same ``Services`` the
API uses (``app.state.services``); routes receive it as ``WebDep``. Every page is a GET
whose URL holds the whole state; changes are POSTs that redirect back
(post/redirect/get), so the back button and reloads behave.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from scrkb.errors import ScrkbError
from scrkb.services.container import Services
from scrkb.web.csrf import CSRF_COOKIE, check_token, page_token
from scrkb.web.render import environment

log = logging.getLogger("scrkb.web")

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
    "created": "Your new pack is ready: passages you add now go into it.",
    "switched": "Passages you add now go into this pack.",
    "deleted": "The pack has been deleted.",
    "shared": "Anyone with the share link can now read this pack.",
    "unshared": "Sharing stopped: the old link no longer works.",
    "notice": "Thank you. The content notice will not be shown again on this device.",
}
ERROR_TITLES = {
    403: "This could not be done",
    404: "Page not found",
    405: "Page not found",
    413: "The file or form is too large",
    415: "That kind of file cannot be used",
    422: "There is a problem",
    503: "Not ready yet",
}


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
            "csrf_token": page_token(request),
            "read_only": self.services.read_only,
        }
        base.update(context)
        html = self.env.get_template(template).render(base)
        response = HTMLResponse(html, status_code=status_code, headers=headers)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/", secure=secure(request))
        new_token = getattr(request.state, "csrf_new", None)
        if new_token:  # a session cookie: a new visit, a new token
            set_cookie(request, response, CSRF_COOKIE, new_token, max_age=None)
        return response

    def error(self, request: Request, exc: ScrkbError) -> HTMLResponse:
        """A named error as a GOV.UK error page, with the error's own status."""
        status = getattr(exc, "status_code", 500)
        return self.error_page(request, status, exc.message)

    def error_page(self, request: Request, status: int, message: str) -> HTMLResponse:
        """Any error as the GOV.UK error page (falling back to bare HTML if the page
        itself cannot be drawn, say when the store is unreadable)."""
        title = ERROR_TITLES.get(status, "Sorry, there is a problem")
        try:
            return self.render(
                request,
                "error.html",
                status_code=status,
                title=title,
                message=message,
                status=status,
            )
        except Exception:
            log.exception("the error page could not be drawn")
            body = f"<!DOCTYPE html><title>{escape(title)}</title><h1>{escape(title)}</h1>"
            return HTMLResponse(body + f"<p>{escape(message)}</p>", status_code=status)


def get_web(request: Request) -> Web:
    return request.app.state.web


WebDep = Annotated[Web, Depends(get_web)]


def require_token(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> None:
    """A form's CSRF token must be this visitor's (``csrf.py``)."""
    check_token(request, csrf_token)


CsrfDep = Annotated[None, Depends(require_token)]


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


def redirect(request: Request, url: str, *, flash: str | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        set_cookie(request, response, FLASH_COOKIE, flash, max_age=60)
    return response


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def secure(request: Request) -> bool:
    """Cookies are Secure when the site is served over HTTPS: said by the setting
    (``SCRKB_SECURE_COOKIES``), or seen on the request (directly, or as a trusted proxy's
    ``X-Forwarded-Proto``, which uvicorn applies)."""
    return bool(request.app.state.web.settings.secure_cookies) or request.url.scheme == "https"


def set_cookie(
    request: Request, response: Any, name: str, value: str, *, max_age: int | None
) -> None:
    """A first-party cookie: HttpOnly, SameSite=Lax, and Secure over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        samesite="lax",
        httponly=True,
        secure=secure(request),
    )


def remember(request: Request, response: Any, name: str, value: str) -> None:
    """A first-party cookie for a year (the pack id, the notice dismissal)."""
    set_cookie(request, response, name, value, max_age=YEAR)
