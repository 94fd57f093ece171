"""POST /api/precedent: earlier reviews like a draft, by text (JSON) or file (multipart)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import ServicesDep
from scrkb.api.errors import ApiError
from scrkb.api.schemas import ErrorPublic, PrecedentPublic
from scrkb.models import PrecedentRequest
from scrkb.reference import DRAFT_BODY_LIMIT, MAX_DRAFT_CHARS
from scrkb.services.precedent import (
    draft_from_text,
    draft_passages,
    find_precedent,
    precedent_options,
)
from scrkb.services.uploads import allow_body, received_draft, upload_body_limit

router = APIRouter(prefix="/api", tags=["precedent"])

_MULTIPART_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "PDF, DOCX, HTML or text."},
        "text": {
            "type": "string",
            "maxLength": MAX_DRAFT_CHARS,
            "description": "Or the draft as text.",
        },
        "k": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
        "passages_per_report": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3},
    },
}

_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {k: v for k, v in _MULTIPART_SCHEMA["properties"].items() if k != "file"},
}


@router.post(
    "/precedent",
    response_model=PrecedentPublic,
    responses={
        413: {"model": ErrorPublic},
        415: {"model": ErrorPublic},
        422: {"model": ErrorPublic},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": PrecedentRequest.model_json_schema()},
                "multipart/form-data": {"schema": _MULTIPART_SCHEMA},
                "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA},
            },
        }
    },
    summary="Find precedent for a draft",
)
async def precedent(request: Request, services: ServicesDep) -> PrecedentPublic:
    """The reports most similar to a draft review, the passages that match, the themes the
    draft shares with each report, and what those reports recommended.

    Send JSON `{"text": ...}`, a form with `text`, or multipart with a `file`
    (PDF/DOCX/HTML/text). A file is streamed and refused as soon as it passes
    `SCRKB_MAX_FILE_MB`; it is read in a child process under the extraction limits.
    """
    settings = services.settings
    content_type = request.headers.get("content-type", "")
    ctype = content_type.split(";")[0].strip().lower()
    cutoff, filters = 0.0, None  # JSON bodies may set them (PrecedentRequest)
    if ctype == "application/json":
        allow_body(request.scope, DRAFT_BODY_LIMIT)
        body = await request.body()
        try:
            req = PrecedentRequest.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from None
        passages = await run_in_threadpool(draft_from_text, req.text)
        k, per_report = req.k, req.passages_per_report
        cutoff, filters = req.min_similarity, req.filters
    elif ctype == "application/x-www-form-urlencoded":
        allow_body(request.scope, DRAFT_BODY_LIMIT)
        async with request.form(max_files=0, max_fields=10, max_part_size=DRAFT_BODY_LIMIT) as form:
            fields = {key: value for key, value in form.items() if isinstance(value, str)}
        k, per_report = precedent_options(fields)
        passages = await run_in_threadpool(draft_passages, fields.get("text"), None, settings)
    elif ctype == "multipart/form-data":
        allow_body(request.scope, upload_body_limit(settings), "SCRKB_MAX_FILE_MB")
        async with received_draft(
            request.stream(), content_type, settings, draft_field="text"
        ) as form:
            k, per_report = precedent_options(form.fields)
            upload = form.file("file")
            passages = await run_in_threadpool(
                draft_passages, form.fields.get("text"), upload.path if upload else None, settings
            )
    else:
        raise ApiError(
            415,
            f"content type {ctype or '(none)'!r} is not accepted: send application/json, "
            "multipart/form-data or a form",
        )
    result = await run_in_threadpool(
        find_precedent,
        passages,
        services.searcher,
        services.catalog,
        k=k,
        passages_per_report=per_report,
        min_similarity=cutoff,
        filters=filters,
    )
    return PrecedentPublic.of(result)
