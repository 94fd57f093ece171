"""Dependencies: the shared services, settings, and the admin check.

Each uvicorn worker opens the store and loads the index once (``Services``, shared with
the web pages through ``app.state.services``); routes receive them through typed
aliases (``ServicesDep``, ``AdminDep``) so a route's signature says what it touches.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from scrkb.api.errors import ApiError
from scrkb.config import Settings
from scrkb.errors import IndexNotReady, InvalidQuery, ReadOnly
from scrkb.nlp.taxonomy import default_taxonomy
from scrkb.services.container import Services


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


def require_writable(services: ServicesDep) -> None:
    """Writes (jobs, packs) are refused on a read-only home, before any body is read."""
    if services.read_only:
        raise ReadOnly(
            f"this server's data home ({services.settings.home}) is read-only: "
            "packs, ingest and crawls are off here"
        )


WritableDep = Annotated[None, Depends(require_writable)]


def is_admin(services: Services, authorization: str | None, x_admin_token: str | None) -> bool:
    try:
        require_admin(services, authorization, x_admin_token)
    except ApiError:
        return False
    return True


def check_themes(theme_ids: list[str]) -> list[str]:
    """Unknown theme ids are a 422 that lists the valid ones (a typo should be easy to fix)."""
    valid = default_taxonomy().ids
    unknown = [t for t in theme_ids if t not in valid]
    if unknown:
        exc = InvalidQuery(
            f"unknown theme id(s): {', '.join(unknown)}. Valid ids: {', '.join(valid)}"
        )
        exc.details = {"unknown": unknown, "valid": valid}  # type: ignore[attr-defined]
        raise exc
    return theme_ids


def require_ready(services: Services) -> None:
    if services.ready_error:
        raise IndexNotReady(f"the index could not be loaded: {services.ready_error}")
