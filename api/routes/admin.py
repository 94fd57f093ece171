"""Admin: upload reports to ingest, start a crawl, follow a job. Token required.

Ingest and crawl run in the background (``scrkb/services/jobs.py``) and return 202 with the job;
searches keep answering meanwhile, and the new index is swapped in when the job ends.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import AdminDep, ServicesDep
from scrkb.api.errors import ApiError
from scrkb.api.schemas import ErrorPublic, JobPublic, JobsPublic
from scrkb.api.uploads import check_content_length
from scrkb.models import CrawlRequest, JobList
from scrkb.reference import MAX_UPLOAD_FILES
from scrkb.services.uploads import max_upload_bytes, save_upload

router = APIRouter(prefix="/api", tags=["admin"])

AUTH_ERRORS = {401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}}


@router.post(
    "/ingest",
    response_model=JobPublic,
    status_code=202,
    responses={**AUTH_ERRORS, 413: {"model": ErrorPublic}, 415: {"model": ErrorPublic}},
)
async def ingest(
    request: Request,
    services: ServicesDep,
    _admin: AdminDep,
    files: Annotated[list[UploadFile], File(description="Report files: PDF, DOCX, HTML, text.")],
) -> JobPublic:
    """Upload report files; they are ingested in the background (poll the job)."""
    limit = max_upload_bytes(services.settings)
    check_content_length(request, limit, files=MAX_UPLOAD_FILES)
    if not files:
        raise ApiError(422, "send at least one file", code="invalid_request")
    if len(files) > MAX_UPLOAD_FILES:
        raise ApiError(413, f"at most {MAX_UPLOAD_FILES} files per upload")
    upload_dir = services.settings.home / "uploads" / secrets.token_hex(8)
    saved = []
    try:
        for upload in files:
            saved.append(await save_upload(upload, upload_dir, limit))
    except BaseException:
        import shutil

        shutil.rmtree(upload_dir, ignore_errors=True)
        raise
    job = await run_in_threadpool(services.jobs.start_ingest, upload_dir, [p.name for p in saved])
    return JobPublic.of(job)


@router.post(
    "/crawl",
    response_model=JobPublic,
    status_code=202,
    responses={**AUTH_ERRORS, 422: {"model": ErrorPublic}},
)
async def crawl(services: ServicesDep, _admin: AdminDep, body: CrawlRequest) -> JobPublic:
    """Start `scrkb crawl SOURCE` in the background; its output tail is kept on the job."""
    job = await run_in_threadpool(services.jobs.start_crawl, body.source, limit=body.limit)
    return JobPublic.of(job)


@router.get("/jobs", response_model=JobsPublic, responses=AUTH_ERRORS)
async def list_jobs(
    services: ServicesDep,
    _admin: AdminDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobsPublic:
    """Recent jobs, newest first."""
    jobs = await run_in_threadpool(services.jobs.recent, limit)
    return JobsPublic.of(JobList(data=jobs, count=len(jobs)))


@router.get(
    "/jobs/{job_id}",
    response_model=JobPublic,
    responses={**AUTH_ERRORS, 404: {"model": ErrorPublic}},
)
async def get_job(
    services: ServicesDep, _admin: AdminDep, job_id: Annotated[str, Path(max_length=64)]
) -> JobPublic:
    """A job's state, result (per-file outcomes for ingest) and output tail (crawl)."""
    return JobPublic.of(await run_in_threadpool(services.jobs.get, job_id))
