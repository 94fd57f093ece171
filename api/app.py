"""The FastAPI application: routers, error handler, middleware, and the web pages' hook.

``create_app(settings)`` builds one app over one data home. Each uvicorn worker builds
its own (``serve`` with ``workers > 1`` uses the ``app_from_env`` factory), opens the
store and loads the index once at startup, and shares them between requests.

The web interface (``scrkb.web``) plugs in through ``scrkb.web.routes.mount(app,
settings)`` when that module exists, and its built assets under ``web/static/`` are
served at ``/static``; the API never depends on it.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scrkb.api import errors
from scrkb.api.deps import Services
from scrkb.api.routes import admin, health, packs, precedent, reports, search, themes
from scrkb.config import Settings, get_settings

log = logging.getLogger("scrkb.api")
access_log = logging.getLogger("scrkb.api.access")

SETTINGS_ENV = "SCRKB_API_SETTINGS_JSON"
WEB_STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
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
    """Security headers and one access-log line per request (pure ASGI: no buffering).

    The query string is left out of the log unless ``SCRKB_LOG_QUERIES`` is set: what
    people search for in a safeguarding knowledge base can itself be sensitive.
    """

    def __init__(self, app: ASGIApp, *, log_queries: bool) -> None:
        self.app = app
        self.log_queries = log_queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        path: str = scope.get("path", "")
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in _security_headers(path):
                    if key not in present:
                        headers.append((key, value))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
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


def _security_headers(path: str) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ]
    if path.startswith("/api/") or path in ("/healthz", "/readyz"):
        # JSON and downloads never need to run or embed anything.
        headers.append((b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"))
        headers.append((b"cache-control", b"no-store"))
    return headers


# --------------------------------------------------------------------------- app
def create_app(settings: Settings | None = None, *, warm: bool = True) -> FastAPI:
    """The app over ``settings.home``. ``warm`` loads the model and index at startup
    (in a thread, so /healthz answers at once and /readyz turns 200 when done)."""
    settings = settings or get_settings()
    services = Services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.store  # noqa: B018 - open the store now: a bad home fails at startup
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

    _mount_web(app, settings)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Admin-Token"],
            expose_headers=["Content-Disposition", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(RequestMiddleware, log_queries=settings.log_queries)
    return app


def _mount_web(app: FastAPI, settings: Settings) -> None:
    """Let ``scrkb.web`` add its pages; serve ``web/static``; else send / to the docs."""
    try:
        web = importlib.import_module("scrkb.web.routes")
    except ModuleNotFoundError as exc:
        if exc.name not in ("scrkb.web", "scrkb.web.routes"):
            raise  # the web package exists but is broken: say so, don't hide it
        web = None
    if web is not None and hasattr(web, "mount"):
        web.mount(app, settings)
    names = {getattr(r, "name", None) for r in app.routes}
    paths = {getattr(r, "path", None) for r in app.routes}
    if "static" not in names and WEB_STATIC.is_dir():
        from fastapi.staticfiles import StaticFiles

        app.mount("/static", StaticFiles(directory=WEB_STATIC), name="static")
    if "/" not in paths:

        @app.get("/", include_in_schema=False)
        async def root() -> RedirectResponse:
            return RedirectResponse("/docs")


# --------------------------------------------------------------------------- serving
def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: settings come from the serving process (as JSON)."""
    raw = os.environ.get(SETTINGS_ENV)
    settings = Settings.model_validate_json(raw) if raw else get_settings()
    return create_app(settings)


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "info",
) -> None:
    """Run uvicorn. Each of ``workers`` processes loads the index once."""
    import uvicorn

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _configure_logging(log_level)
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        # uvicorn's own access log prints query strings; ours leaves them out.
        "access_log": False,
        "log_level": log_level,
        "proxy_headers": True,
        "log_config": None,
    }
    if workers > 1:
        os.environ[SETTINGS_ENV] = settings.model_dump_json()
        uvicorn.run("scrkb.api.app:app_from_env", factory=True, workers=workers, **common)
    else:
        uvicorn.run(create_app(settings), **common)


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
