"""POST /api/precedent: earlier reviews like a draft, by text (JSON) or file (multipart)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from scrkb.api.deps import ServicesDep
from scrkb.api.errors import ApiError
from scrkb.api.schemas import ErrorPublic, PrecedentPublic
from scrkb.api.uploads import check_content_length, read_body
from scrkb.models import PrecedentRequest
from scrkb.reference import JSON_BODY_LIMIT, MAX_DRAFT_CHARS
from scrkb.services.precedent import draft_from_text, draft_from_upload, find_precedent
from scrkb.services.uploads import max_upload_bytes

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
    (PDF/DOCX/HTML/text).
    """
    settings = services.settings
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        body = await read_body(request, JSON_BODY_LIMIT)
        try:
            req = PrecedentRequest.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from None
        passages = await run_in_threadpool(draft_from_text, req.text)
        k, per_report = req.k, req.passages_per_report
    elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        check_content_length(request, max_upload_bytes(settings))
        async with request.form(max_files=1, max_fields=10) as form:
            k = _form_int(form.get("k"), "k", 10, 1, 50)
            per_report = _form_int(form.get("passages_per_report"), "passages_per_report", 3, 1, 10)
            upload, text = form.get("file"), form.get("text")
            if isinstance(upload, UploadFile) and upload.filename:
                passages = await draft_from_upload(upload, settings)
            elif isinstance(text, str) and text.strip():
                if len(text) > MAX_DRAFT_CHARS:
                    raise ApiError(
                        422, f"text: at most {MAX_DRAFT_CHARS} characters", code="invalid_request"
                    )
                passages = await run_in_threadpool(draft_from_text, text)
            else:
                raise ApiError(
                    422,
                    "send a `file` (PDF, DOCX, HTML or text) or a `text` field",
                    code="invalid_request",
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
    )
    return PrecedentPublic.of(result)


def _form_int(value: object, name: str, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not value.strip().lstrip("-").isdigit():
        raise ApiError(422, f"{name}: must be a whole number", code="invalid_request")
    number = int(value)
    if not low <= number <= high:
        raise ApiError(422, f"{name}: must be between {low} and {high}", code="invalid_request")
    return number
