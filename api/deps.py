"""Dependencies: the per-worker services, settings, and the admin check.

Each uvicorn worker opens the store and loads the index once (``Services``) and shares
them between requests; routes receive them through typed aliases (``ServicesDep``,
``AdminDep``) so a route's signature says what it touches.
"""

from __future__ import annotations

import hmac
import logging
import threading
from typing import Annotated

from fastapi import Depends, Header, Request

from scrkb.api.errors import ApiError
from scrkb.config import Settings
from scrkb.errors import IndexNotReady, InvalidQuery
from scrkb.index.catalog import Catalog
from scrkb.index.jobs import Jobs, ServingSearcher
from scrkb.index.packs import Packs
from scrkb.index.store import Store

log = logging.getLogger("scrkb.api")


class Services:
    """What one worker shares between requests: store, searcher, catalog, packs, jobs.

    Built lazily on first use (or by the app's startup), so importing the app costs
    nothing and a test client without a lifespan still works.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._searcher: ServingSearcher | None = None
        self.ready = False
        self.ready_error: str | None = None

    def _open(self) -> None:
        with self._lock:
            if self._store is None:
                # Writable: packs and jobs are written through it (WAL: readers never wait).
                store = Store(self.settings.db_path)
                self._searcher = ServingSearcher(self.settings, store=store)
                self.catalog = Catalog(store)
                self.packs = Packs(store)
                self.jobs = Jobs(store, self.settings)
                self._store = store

    @property
    def store(self) -> Store:
        if self._store is None:
            self._open()
        assert self._store is not None
        return self._store

    @property
    def searcher(self) -> ServingSearcher:
        if self._searcher is None:
            self._open()
        assert self._searcher is not None
        return self._searcher

    def warm(self) -> None:
        """Load the embedding model and the vector index now: /readyz turns 200 after this."""
        try:
            self.searcher.warm()
        except Exception as exc:  # reported by /readyz; the worker keeps serving lexical
            log.error("index failed to load: %s", exc, exc_info=exc)
            self.ready_error = str(exc)
        else:
            self.ready = True
            self.ready_error = None

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
                self._searcher = None


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_settings(request: Request) -> Settings:
    return request.app.state.services.settings


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_admin(
    services: ServicesDep,
    authorization: Annotated[
        str | None, Header(description="`Bearer <SCRKB_ADMIN_TOKEN>`", include_in_schema=True)
    ] = None,
    x_admin_token: Annotated[
        str | None, Header(description="The admin token (alternative).")
    ] = None,
) -> None:
    """Admin routes are off unless SCRKB_ADMIN_TOKEN is set; then the token must match."""
    expected = services.settings.admin_token
    if not expected:
        raise ApiError(403, "admin routes are off: set SCRKB_ADMIN_TOKEN on the server to use them")
    given = x_admin_token
    if authorization and authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    if not given:
        raise ApiError(401, "admin token required: send `Authorization: Bearer <token>`")
    # Constant-time: the comparison must not reveal how much of a guess was right.
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise ApiError(401, "the admin token is not valid")


AdminDep = Annotated[None, Depends(require_admin)]


def is_admin(services: Services, authorization: str | None, x_admin_token: str | None) -> bool:
    try:
        require_admin(services, authorization, x_admin_token)
    except ApiError:
        return False
    return True


def check_themes(theme_ids: list[str]) -> list[str]:
    """Unknown theme ids are a 422 that lists the valid ones (a typo should be easy to fix)."""
    valid = theme_ids_valid()
    unknown = [t for t in theme_ids if t not in valid]
    if unknown:
        exc = InvalidQuery(
            f"unknown theme id(s): {', '.join(unknown)}. Valid ids: {', '.join(valid)}"
        )
        exc.details = {"unknown": unknown, "valid": valid}  # type: ignore[attr-defined]
        raise exc
    return theme_ids


def theme_ids_valid() -> list[str]:
    from scrkb.nlp.taxonomy import default_taxonomy

    return default_taxonomy().ids


def require_ready(services: Services) -> None:
    if services.ready_error:
        raise IndexNotReady(f"the index could not be loaded: {services.ready_error}")


def theme_names() -> dict[str, str]:
    """Theme id → display name, from the taxonomy (ids it lacks are shown prettified)."""
    from scrkb.nlp.taxonomy import default_taxonomy

    return {t.id: t.name for t in default_taxonomy().themes}


def theme_name(theme_id: str, names: dict[str, str] | None = None) -> str:
    names = names if names is not None else theme_names()
    return names.get(theme_id, theme_id.replace("_", " ").capitalize())
