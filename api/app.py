"""The FastAPI application of the JSON API: routers, error handler, middleware.

``create_app(settings)`` builds the API over one data home: one router per resource
(``api/routes/``), one error handler (``api/errors.py``), security headers and an access
log. Its ``Services`` (``app.state.services``) open the store and load the index once per
worker at startup and are shared between requests.

``scrkb serve`` runs ``scrkb.app.create_app``, which builds this app and mounts the web
pages (``scrkb.web``) on it over the same services; the API never imports the web.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scrkb.api import errors
from scrkb.api.routes import admin, health, packs, precedent, reports, search, themes
from scrkb.api.uploads import BodyLimit
from scrkb.config import Settings, get_settings
from scrkb.services.container import Services

log = logging.getLogger("scrkb.api")
access_log = logging.getLogger("scrkb.api.access")

API_VERSION = "1"
DESCRIPTION = """
Search the learning from UK child safeguarding case reviews by theme.

* **Search** passages in your own words or browse by theme, with facets.
* **Themes**: the coding frame with counts, trends, co-occurring themes and recommendations.
* **Reports**: metadata with evidence, theme profile, recommendations, similar reports.
* **Precedent**: paste or upload a draft review to find earlier reviews like it.
* **Packs**: build a pack of passages with notes and export it with full citations.

Every error has one shape: `{"error": {"code", "message", "status", "details"}}`.
"""


# --------------------------------------------------------------------------- middleware
class RequestMiddleware:
    """Security headers and one access-log line per request (pure ASGI: no buffering,
    except for the small /docs page, whose inline script is allowed by its hash).

    The query string is left out of the log unless ``SCRKB_LOG_QUERIES`` is set: what
    people search for in a safeguarding knowledge base can itself be sensitive.
    """

    def __init__(
        self, app: ASGIApp, *, log_queries: bool, hsts: bool = False, docs_url: str | None = None
    ) -> None:
        self.app = app
        self.log_queries = log_queries
        self.hsts = hsts
        self.docs_url = docs_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        path: str = scope.get("path", "")
        status = 500
        docs = path == self.docs_url
        held: list[Message] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in security_headers(path, hsts=self.hsts):
                    if key not in present:
                        headers.append((key, value))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
                if docs:
                    held.append(message)
                    return
            elif docs and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body"):
                    return
                await _send_docs(held, send)
                return
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            shown = path
            if self.log_queries and scope.get("query_string"):
                shown += "?" + scope["query_string"].decode("latin-1")
            access_log.info(
                "%s %s %d %.1fms id=%s",
                scope.get("method", "-"),
                shown,
                status,
                (time.perf_counter() - start) * 1000,
                request_id,
            )


# Pages: everything from this origin, nothing inline (no script, no style attribute), no
# plugins, not framed, forms posted only here.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
# JSON and downloads never need to run or embed anything.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The OpenAPI page loads Swagger UI from its CDN; its one inline script is allowed by hash.
DOCS_POLICY = (
    "default-src 'none'; script-src https://cdn.jsdelivr.net {hashes}; "
    "style-src https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def security_headers(path: str, *, hsts: bool = False) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    if path.startswith("/api/") or path in ("/healthz", "/readyz", "/openapi.json"):
        headers.append((b"content-security-policy", API_POLICY.encode()))
        headers.append((b"cache-control", b"no-store"))
    elif not path.startswith("/docs"):
        headers.append((b"content-security-policy", PAGE_POLICY.encode()))
    return headers


async def _send_docs(held: list[Message], send: Send) -> None:
    """The /docs page with a policy naming the hash of each of its inline scripts."""
    start, *bodies = held
    body = b"".join(m.get("body", b"") for m in bodies)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.finditer(body)
    )
    headers = [
        (k, v)
        for k, v in start["headers"]
        if k.lower() not in (b"content-security-policy", b"content-length")
    ]
    headers.append((b"content-security-policy", DOCS_POLICY.format(hashes=hashes).encode()))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --------------------------------------------------------------------------- app
def create_app(settings: Settings | None = None, *, warm: bool = True) -> FastAPI:
    """The API over ``settings.home``. ``warm`` loads the model and index at startup
    (in a thread, so /healthz answers at once and /readyz turns 200 when done)."""
    settings = settings or get_settings()
    services = Services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.check()  # open the store now: a bad home (or stale snapshot) fails here
        if warm:
            threading.Thread(target=services.warm, name="scrkb-warm", daemon=True).start()
        else:
            services.ready = True
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="scrkb",
        summary="Serious case review knowledge base",
        description=DESCRIPTION,
        version=API_VERSION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.services = services
    app.state.settings = settings
    errors.install(app)
    for module in (search, themes, reports, precedent, packs, admin, health):
        app.include_router(module.router)
    app.include_router(packs.shared_router)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Admin-Token"],
            expose_headers=["Content-Disposition", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(BodyLimit)
    app.add_middleware(
        RequestMiddleware,
        log_queries=settings.log_queries,
        hsts=settings.secure_cookies,
        docs_url=app.docs_url,
    )
    return app
