"""Admin: upload reports to ingest, start a crawl, follow a job. Token required.

Ingest and crawl run in the background (``scrkb/services/jobs.py``) and return 202 with the job;
searches keep answering meanwhile, and the new index is swapped in when the job ends.
"""

from __future__ import annotations

import secrets
import shutil
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import AdminDep, ServicesDep, WritableDep
from scrkb.api.errors import ApiError
from scrkb.api.schemas import ErrorPublic, JobPublic, JobsPublic
from scrkb.models import CrawlRequest, JobList
from scrkb.reference import MAX_UPLOAD_FILES
from scrkb.services.uploads import (
    allow_body,
    max_upload_bytes,
    receive_form,
    upload_body_limit,
)

router = APIRouter(prefix="/api", tags=["admin"])

AUTH_ERRORS = {401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}}


_INGEST_BODY: dict = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "maxItems": MAX_UPLOAD_FILES,
                            "description": "Report files: PDF, DOCX, HTML, text.",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/ingest",
    response_model=JobPublic,
    status_code=202,
    responses={
        **AUTH_ERRORS,
        413: {"model": ErrorPublic},
        415: {"model": ErrorPublic},
        422: {"model": ErrorPublic},
    },
    openapi_extra=_INGEST_BODY,
)
async def ingest(
    request: Request, services: ServicesDep, _admin: AdminDep, _writable: WritableDep
) -> JobPublic:
    """Upload report files (multipart, field `files`); they are ingested in the background
    (poll the job). The token is checked before the upload is read; each file is refused
    as soon as it passes `SCRKB_MAX_FILE_MB`."""
    settings = services.settings
    ctype = request.headers.get("content-type", "")
    if not ctype:
        raise ApiError(422, "send at least one file (field `files`)", code="invalid_request")
    if ctype.split(";")[0].strip().lower() != "multipart/form-data":
        raise ApiError(415, "send the files as multipart/form-data (field `files`)")
    allow_body(request.scope, upload_body_limit(settings, MAX_UPLOAD_FILES), "SCRKB_MAX_FILE_MB")
    upload_dir = settings.home / "uploads" / secrets.token_hex(8)
    form = await receive_form(
        request.stream(),
        ctype,
        directory=upload_dir,
        file_limit=max_upload_bytes(settings),
        max_files=MAX_UPLOAD_FILES,
        max_fields=10,
    )
    if not form.files:
        shutil.rmtree(upload_dir, ignore_errors=True)
        raise ApiError(422, "send at least one file (field `files`)", code="invalid_request")
    job = await run_in_threadpool(
        services.jobs.start_ingest, upload_dir, [f.path.name for f in form.files]
    )
    return JobPublic.of(job)


@router.post(
    "/crawl",
    response_model=JobPublic,
    status_code=202,
    responses={**AUTH_ERRORS, 422: {"model": ErrorPublic}},
)
async def crawl(
    services: ServicesDep, _admin: AdminDep, _writable: WritableDep, body: CrawlRequest
) -> JobPublic:
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
