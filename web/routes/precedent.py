"""The precedent finder: paste or upload a draft review, see earlier reviews like it
(the same ``Precedent`` the API returns at POST /api/precedent, with the same upload
limits and the same number of reports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from scrkb.errors import (
    EmptyUpload,
    ExtractionError,
    InvalidQuery,
    InvalidRequest,
    TooLarge,
    UnsupportedType,
)
from scrkb.models import (
    MODERATE_MATCH,
    STRONG_MATCH,
    Precedent,
    PrecedentRequest,
    SearchFilters,
)
from scrkb.reference import (
    DRAFT_BODY_LIMIT,
    MAX_DRAFT_CHARS,
    READABLE_SUFFIXES,
    reference_text,
)
from scrkb.services.precedent import draft_passages, find_precedent
from scrkb.services.uploads import allow_body, received_draft, upload_body_limit
from scrkb.web.csrf import CSRF_FIELD, check_token
from scrkb.web.deps import CsrfDep, Web, WebDep
from scrkb.web.errors import WebRoute
from scrkb.web.views import MultiValues, filter_groups, parse_filter_fields

router = APIRouter(route_class=WebRoute, include_in_schema=False)
# Reports and passages per report: the API's defaults (POST /api/precedent).
K = PrecedentRequest.model_fields["k"].default
PASSAGES_PER_REPORT = PrecedentRequest.model_fields["passages_per_report"].default


def _render(
    request: Request,
    web: Web,
    *,
    values: MultiValues,
    status_code: int | None = None,
    **context: object,
) -> HTMLResponse:
    errors = context.setdefault("errors", {})
    strength = values.getlist("strength")
    # Every error, not only the years': the base template titles the page "Error: ..."
    form = precedent_filters(values)[2] | {"errors": errors}
    return web.render(
        request,
        "precedents.html",
        status_code=status_code or (422 if errors else 200),
        max_upload_mb=web.settings.max_file_mb,
        accept=",".join(sorted(READABLE_SUFFIXES)),
        strength=strength[-1] if strength and strength[-1] in STRENGTHS else "any",
        form=form,
        filter_groups=filter_groups(form, None, {}),
        filtered=bool(
            form["types"] or form["nations"] or form["ages"] or any(form["raw_years"].values())
        ),
        **context,
    )


@router.api_route(
    "/precedents", methods=["GET", "HEAD"], response_class=HTMLResponse, name="web_precedents"
)
def precedents_form(request: Request, web: WebDep) -> HTMLResponse:
    return _render(request, web, draft="", result=None, values=_NO_VALUES)


_DRAFT_FORM: dict = {
    "requestBody": {
        "content": {
            media: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "csrf_token": {"type": "string"},
                        "draft": {"type": "string", "maxLength": MAX_DRAFT_CHARS},
                        **({"upload": {"type": "string", "format": "binary"}} if files else {}),
                    },
                }
            }
            for media, files in (
                ("multipart/form-data", True),
                ("application/x-www-form-urlencoded", False),
            )
        }
    }
}


@router.post(
    "/precedents",
    response_class=HTMLResponse,
    name="web_precedents_post",
    openapi_extra=_DRAFT_FORM,
)
async def precedents_post(request: Request, web: WebDep) -> HTMLResponse:
    """The form, pasted (``draft``) or uploaded (``upload``). An upload is streamed under
    the API's limits; the form's token is checked before a byte of the file is written."""
    services = web.services
    content_type = request.headers.get("content-type", "")
    ctype = content_type.split(";")[0].strip().lower()
    errors: dict[str, str] = {}
    result: Precedent | None = None
    draft, filename = "", None

    def token(fields: dict[str, str]) -> None:
        check_token(request, fields.get(CSRF_FIELD))

    values: MultiValues = _NO_VALUES

    async def find(file: Path | None) -> Precedent:
        passages = await run_in_threadpool(draft_passages, draft, file, services.settings)
        cutoff, filters, _ = precedent_filters(values)
        return await run_in_threadpool(
            find_precedent,
            passages,
            services.searcher,
            services.catalog,
            k=K,
            passages_per_report=PASSAGES_PER_REPORT,
            min_similarity=cutoff,
            filters=filters,
        )

    try:
        if ctype == "multipart/form-data":
            allow_body(request.scope, upload_body_limit(services.settings), "SCRKB_MAX_FILE_MB")
            async with received_draft(
                request.stream(), content_type, services.settings, before_files=token
            ) as form:
                draft = form.fields.get("draft", "")
                values = form
                upload = form.file("upload")
                filename = upload.filename if upload else None
                errors.update(precedent_filters(values)[2]["errors"])
                if not errors and (upload is not None or draft.strip()):
                    result = await find(upload.path if upload else None)
        else:
            allow_body(request.scope, DRAFT_BODY_LIMIT)
            async with request.form(
                max_files=0, max_fields=40, max_part_size=DRAFT_BODY_LIMIT
            ) as form:
                fields = {key: v for key, v in form.items() if isinstance(v, str)}
                values = _Values(
                    {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
                )
            token(fields)
            draft = fields.get("draft", "")
            errors.update(precedent_filters(values)[2]["errors"])
            if not errors and draft.strip():
                result = await find(None)
        if result is None and not errors:
            errors["draft"] = "Paste the text of your draft, or choose a file to upload"
    except (
        ExtractionError,
        InvalidQuery,
        InvalidRequest,
        EmptyUpload,
        UnsupportedType,
        TooLarge,
    ) as exc:
        about_file = filename is not None or isinstance(exc, _FILE_ERRORS)
        errors["upload" if about_file else "draft"] = exc.message[:1].upper() + exc.message[1:]
        status = (
            413 if isinstance(exc, TooLarge) else 415 if isinstance(exc, UnsupportedType) else 422
        )
        return _render(
            request,
            web,
            status_code=status,
            draft=draft,
            filename=filename,
            errors=errors,
            result=None,
            values=values,
        )
    return _render(
        request,
        web,
        draft=draft,
        filename=filename,
        errors=errors,
        result=result,
        values=values,
        references=citation_list(result) if result else [],
    )


STRENGTHS = {"any": 0.0, "moderate": MODERATE_MATCH, "strong": STRONG_MATCH}


class _Values:
    """Every value of each field of a form already read (``MultiValues``)."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self._values = values

    def getlist(self, key: str) -> list[str]:
        return self._values.get(key, [])


_NO_VALUES = _Values({})


def precedent_filters(values: MultiValues) -> tuple[float, SearchFilters, dict[str, Any]]:
    """The form's cut-off and filters, and the filter fields as the page shows them again
    (the search page's fields: review types, nations, ages, years; values not known are
    dropped, a year that is not one is an error)."""
    strength = values.getlist("strength")
    cutoff = STRENGTHS.get(strength[-1] if strength else "any", 0.0)
    form = parse_filter_fields(values)
    filters = SearchFilters(
        year_from=form["years"]["from"],
        year_to=form["years"]["to"],
        review_types=form["types"],
        nations=form["nations"],
        age_bands=form["ages"],
    )
    return cutoff, filters, form


def citation_list(result: Precedent) -> list[str]:
    """One reference a line for the matched reports: to copy into a draft."""
    lines = []
    for m in result.reports:
        r = m.report
        url = f" {r.source_url}" if r.source_url else ""
        lines.append(reference_text(r.partnership, r.year, r.title, r.review_type) + url)
    return lines


@router.post("/precedents/citations", name="web_precedent_citations")
def precedent_citations(
    request: Request,
    web: WebDep,
    _csrf: CsrfDep,
    references: str = Form("", max_length=200_000),
) -> Response:
    """The citation list shown with the results, as a text file."""
    lines = [line.strip() for line in references.splitlines() if line.strip()][:100]
    if not lines:
        raise InvalidQuery("there are no references to download: find similar reviews first")
    return Response(
        "\r\n".join(lines) + "\r\n",
        media_type="text/plain; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="similar-reviews-references.txt"',
            "Cache-Control": "no-store",
        },
    )


_FILE_ERRORS = (ExtractionError, EmptyUpload, UnsupportedType, TooLarge)
