"""Liveness, readiness and counts: /healthz, /readyz, /api/stats."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import ServicesDep
from scrkb.api.schemas import ErrorPublic, HealthPublic, ReadyPublic
from scrkb.errors import IndexNotReady
from scrkb.models import Stats
from scrkb.services.reports import stats as kb_stats

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthPublic)
async def healthz() -> HealthPublic:
    """The process is up (no disk or index access: cheap enough for any probe)."""
    return HealthPublic(status="ok")


@router.get("/readyz", response_model=ReadyPublic, responses={503: {"model": ErrorPublic}})
async def readyz(services: ServicesDep) -> ReadyPublic:
    """200 once this worker has loaded the model and the vector index; 503 until then."""
    if not services.ready:
        reason = services.ready_error or "the index is still loading"
        raise IndexNotReady(f"not ready: {reason}")

    def counts() -> ReadyPublic:
        vectors = services.searcher.vectors()
        return ReadyPublic(
            status="ready",
            passages=services.store.passage_count(),
            vectors=vectors.size,
            generation=vectors.generation,
            read_only=services.read_only,
        )

    return await run_in_threadpool(counts)


@router.get("/api/stats", response_model=Stats)
async def stats(services: ServicesDep) -> Stats:
    """Counts of reports, passages, tags and recommendations in the knowledge base."""
    return await run_in_threadpool(kb_stats, services)
