"""The precedent finder: paste or upload a draft review, see earlier reviews like it
(the same ``Precedent`` the API returns at POST /api/precedent, with the same upload
limits and the same number of reports)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from scrkb.errors import ScrkbError
from scrkb.models import Precedent, PrecedentRequest
from scrkb.reference import READABLE_SUFFIXES
from scrkb.services.precedent import draft_from_text, draft_from_upload, find_precedent
from scrkb.web.deps import Web, WebDep
from scrkb.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
# Reports and passages per report: the API's defaults (POST /api/precedent).
K = PrecedentRequest.model_fields["k"].default
PASSAGES_PER_REPORT = PrecedentRequest.model_fields["passages_per_report"].default


def _render(request: Request, web: Web, **context: object) -> HTMLResponse:
    errors = context.setdefault("errors", {})
    return web.render(
        request,
        "precedents.html",
        status_code=422 if errors else 200,
        max_upload_mb=web.settings.max_file_mb,
        accept=",".join(sorted(READABLE_SUFFIXES)),
        **context,
    )


@router.api_route(
    "/precedents", methods=["GET", "HEAD"], response_class=HTMLResponse, name="web_precedents"
)
def precedents_form(request: Request, web: WebDep) -> HTMLResponse:
    return _render(request, web, draft="", result=None)


@router.post("/precedents", response_class=HTMLResponse, name="web_precedents_post")
async def precedents_post(
    request: Request,
    web: WebDep,
    draft: str = Form(""),
    upload: UploadFile | None = None,
) -> HTMLResponse:
    services = web.services
    filename = upload.filename if upload is not None and upload.filename else None
    errors: dict[str, str] = {}
    result: Precedent | None = None
    if not filename and not draft.strip():
        errors["draft"] = "Paste the text of your draft, or choose a file to upload"
    else:
        try:
            if filename and upload is not None:
                passages = await draft_from_upload(upload, services.settings)
            else:
                passages = await run_in_threadpool(draft_from_text, draft)
            result = await run_in_threadpool(
                find_precedent,
                passages,
                services.searcher,
                services.catalog,
                k=K,
                passages_per_report=PASSAGES_PER_REPORT,
            )
        except ScrkbError as exc:
            errors["upload" if filename else "draft"] = exc.message[:1].upper() + exc.message[1:]
    return _render(request, web, draft=draft, filename=filename, errors=errors, result=result)
