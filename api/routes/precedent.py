"""POST /api/precedent: earlier reviews like a draft, by text (JSON) or file (multipart)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from scrkb.api.deps import ServicesDep, theme_name, theme_names
from scrkb.api.errors import ApiError
from scrkb.api.routes.reports import summary_public
from scrkb.api.schemas import (
    DraftThemePublic,
    ErrorPublic,
    PassageMatchPublic,
    PrecedentPublic,
    PrecedentRequest,
    ReportMatchPublic,
    SearchHitPublic,
    ThemeCountPublic,
)
from scrkb.api.uploads import check_content_length, max_upload_bytes, read_body, save_upload
from scrkb.index.precedent import (
    PassageMatch,
    PrecedentResult,
    draft_from_file,
    draft_from_text,
    find_precedent,
)

router = APIRouter(prefix="/api", tags=["precedent"])

JSON_BODY_LIMIT = 1 << 20  # the text field is capped at 200k characters anyway

_MULTIPART_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "PDF, DOCX, HTML or text."},
        "text": {"type": "string", "maxLength": 200_000, "description": "Or the draft as text."},
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
        limit = max_upload_bytes(settings.max_file_mb)
        check_content_length(request, limit)
        async with request.form(max_files=1, max_fields=10) as form:
            k = _form_int(form.get("k"), "k", 10, 1, 50)
            per_report = _form_int(form.get("passages_per_report"), "passages_per_report", 3, 1, 10)
            upload, text = form.get("file"), form.get("text")
            if isinstance(upload, UploadFile) and upload.filename:
                passages = await _passages_from_upload(upload, limit, settings.max_pages)
            elif isinstance(text, str) and text.strip():
                if len(text) > 200_000:
                    raise ApiError(422, "text: at most 200000 characters", code="invalid_request")
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
    return _public(result)


async def _passages_from_upload(upload: UploadFile, limit: int, max_pages: int) -> list:
    tmp = Path(tempfile.mkdtemp(prefix="scrkb-draft-"))
    try:
        path = await save_upload(upload, tmp, limit)
        return await run_in_threadpool(draft_from_file, path, max_bytes=limit, max_pages=max_pages)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _form_int(value: object, name: str, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not value.strip().lstrip("-").isdigit():
        raise ApiError(422, f"{name}: must be a whole number", code="invalid_request")
    number = int(value)
    if not low <= number <= high:
        raise ApiError(422, f"{name}: must be between {low} and {high}", code="invalid_request")
    return number


def _match(m: PassageMatch) -> PassageMatchPublic:
    return PassageMatchPublic(
        hit=SearchHitPublic.from_hit(m.hit),
        similarity=m.similarity,
        draft_passage=m.draft_passage,
        draft_excerpt=m.draft_excerpt,
    )


def _public(result: PrecedentResult) -> PrecedentPublic:
    names = theme_names()
    return PrecedentPublic(
        draft_passages=result.draft_passages,
        draft_words=result.draft_words,
        truncated=result.truncated,
        themes=[
            DraftThemePublic(
                id=t.theme_id,
                name=theme_name(t.theme_id, names),
                confidence=t.confidence,
                passages=t.passages,
            )
            for t in result.themes
        ],
        reports=[
            ReportMatchPublic(
                report=summary_public(r.summary, names),
                score=r.score,
                shared_themes=[
                    ThemeCountPublic(id=t, name=theme_name(t, names), passages=n)
                    for t, n in r.shared_themes
                ],
                passages=[_match(m) for m in r.passages],
                recommendations=r.recommendations,
            )
            for r in result.reports
        ],
        passages=[_match(m) for m in result.passages],
    )
