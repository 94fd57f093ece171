"""The app ``scrkb serve`` runs: the JSON API with the web pages mounted on it.

The API (``scrkb.api``) and the web pages (``scrkb.web``) are siblings that never import
each other; this module, at the top of the layers beside ``cli.py``, puts them together
over one ``Services`` per worker. Each uvicorn worker builds its own app (``serve`` with
``workers > 1`` uses the ``app_from_env`` factory), opens the store and loads the index
once at startup, and shares them between requests.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from fastapi import FastAPI

from scrkb.api.app import create_app as create_api
from scrkb.config import Settings, get_settings
from scrkb.web.app import mount as mount_web

SETTINGS_ENV = "SCRKB_API_SETTINGS_JSON"


def create_app(settings: Settings | None = None, *, warm: bool = True) -> FastAPI:
    """The API over ``settings.home`` with the web pages over the same services."""
    app = create_api(settings, warm=warm)
    mount_web(app, app.state.services)
    return app


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
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
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
        uvicorn.run("scrkb.app:app_from_env", factory=True, workers=workers, **common)
    else:
        uvicorn.run(create_app(settings), **common)
