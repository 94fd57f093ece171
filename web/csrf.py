"""Cross-site request forgery: every form that changes something proves it came from
one of this site's own pages.

Two checks, both required. First the browser's own word on where the request comes
from: a ``Sec-Fetch-Site`` other than same-origin, or an ``Origin`` (else ``Referer``)
naming another host, is refused before the body is read. Then a token: a random value
kept in a first-party cookie that every page also writes into its forms (``csrf_token``),
compared in constant time (the double-submit pattern), so a request forged by a page
that cannot read our cookie fails even where a browser sends no Origin. ``SameSite=Lax``
cookies alone let a foreign POST through (older browsers, sibling subdomains).
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from fastapi import Request

from scrkb.errors import CrossSiteRequest

CSRF_COOKIE = "scrkb_csrf"
CSRF_FIELD = "csrf_token"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
REFUSED = (
    "This form could not be sent: it did not come from one of this site's own pages, or "
    "the page was open for too long. Go back, reload the page and try again."
)


def page_token(request: Request) -> str:
    """The token this visitor's forms carry: their cookie's, or a new one (which
    ``Web.render`` then sets as the cookie)."""
    token = request.cookies.get(CSRF_COOKIE)
    if token and _TOKEN.fullmatch(token):
        return token
    new = getattr(request.state, "csrf_new", None)
    if new is None:
        new = secrets.token_urlsafe(32)
        request.state.csrf_new = new
    return new


def check_origin(request: Request) -> None:
    """Refuse a request the browser says comes from another site (before the body)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CrossSiteRequest(REFUSED)
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    host = (request.headers.get("host") or "").lower()
    if source == "null" or urlsplit(source).netloc.lower() != host:
        raise CrossSiteRequest(REFUSED)


def check_token(request: Request, submitted: str | None) -> None:
    """Refuse a form whose token is not this visitor's cookie."""
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not submitted:
        raise CrossSiteRequest(REFUSED)
    if not hmac.compare_digest(expected.encode("utf-8"), submitted.encode("utf-8")):
        raise CrossSiteRequest(REFUSED)
