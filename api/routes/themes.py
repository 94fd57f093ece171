"""GET /api/themes and /api/themes/{theme_id}: the coding frame with its evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import ServicesDep
from scrkb.api.schemas import ErrorPublic, ThemeDetailPublic
from scrkb.models import ThemeList
from scrkb.services.themes import theme_detail

router = APIRouter(prefix="/api/themes", tags=["themes"])


@router.get("", response_model=ThemeList, summary="List themes")
async def list_themes(services: ServicesDep) -> ThemeList:
    """Every theme of the coding frame with its definition and how often it occurs."""
    themes = await run_in_threadpool(services.catalog.themes)
    return ThemeList(data=themes, count=len(themes))


@router.get(
    "/{theme_id}",
    response_model=ThemeDetailPublic,
    responses={404: {"model": ErrorPublic}},
    summary="One theme in depth",
)
async def get_theme(
    services: ServicesDep,
    theme_id: Annotated[str, Path(max_length=100)],
    passages: Annotated[int, Query(ge=0, le=50, description="Strongest passages to show.")] = 10,
    recommendations: Annotated[int, Query(ge=0, le=200)] = 20,
) -> ThemeDetailPublic:
    """Definition, trend by publication year, co-occurring themes, strongest passages and
    the recommendations tagged with the theme."""
    detail = await run_in_threadpool(
        theme_detail,
        services.catalog,
        services.searcher,
        theme_id,
        passages=passages,
        recommendations=recommendations,
    )
    return ThemeDetailPublic.of(detail)
