"""Liveness, readiness and counts: /healthz, /readyz, /api/stats."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import ServicesDep
from scrkb.api.schemas import ErrorPublic, HealthPublic, ReadyPublic, StatsPublic
from scrkb.errors import IndexNotReady

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
        passages = services.store.execute("SELECT COUNT(*) FROM passages")[0][0]
        return ReadyPublic(
            status="ready",
            passages=int(passages),
            vectors=vectors.size,
            generation=vectors.generation,
        )

    return await run_in_threadpool(counts)


@router.get("/api/stats", response_model=StatsPublic)
async def stats(services: ServicesDep) -> StatsPublic:
    """Counts of reports, passages, tags and recommendations in the knowledge base."""
    from scrkb.nlp.taxonomy import default_taxonomy

    def gather() -> StatsPublic:
        data = services.store.stats()
        packs = services.store.execute("SELECT COUNT(*) FROM packs")[0][0]
        return StatsPublic(
            **data,
            themes=len(default_taxonomy().themes),
            packs=int(packs),
            jobs_active=services.jobs.active(),
        )

    return await run_in_threadpool(gather)
