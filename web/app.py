"""The web pages: server-rendered HTML on GOV.UK Frontend, working without JavaScript.

``mount(app, services)`` adds the pages (one router per resource in ``web/routes/``, as
the API has) and ``/static`` to an app, over the same ``Services`` the API uses: the
pages call the services directly, never the API over HTTP, and render the same models.
``scrkb.app.create_app`` mounts them on the API app; the web never imports the API.
Errors on page paths are answered as pages (``errors.install``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from scrkb.services.container import Services
from scrkb.web import errors
from scrkb.web.deps import Web
from scrkb.web.render import STATIC_DIR
from scrkb.web.routes import packs, precedent, reports, search, site, themes


def mount(app: FastAPI, services: Services) -> None:
    """Add the web pages and their static files to ``app``."""
    app.state.web = Web(services)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (search, site, themes, reports, precedent, packs):
        app.include_router(module.router)
    errors.install(app)
