"""The visitor's packs: add passages and recommendations from any page, annotate,
reorder, share read-only and download them, or draft a 7-minute briefing from them.

A visitor may keep several named packs: their ids live in a first-party cookie (the one
being filled in ``scrkb_pack``, all of them in ``scrkb_packs``); each pack is the same
``Pack`` the API serves at /api/packs/{id}, changed through the same ``Packs`` service,
and downloaded through the same exporter. Everything works without JavaScript: the
pack page is one form, so notes typed and not yet saved are saved before a download.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from scrkb.errors import InvalidQuery, NotFound
from scrkb.models import Briefing, BriefingExtract, Pack
from scrkb.reference import PACK_FORM_LIMIT
from scrkb.services.briefing import WORD_BUDGET, draft_briefing
from scrkb.services.citations import site_original_href
from scrkb.services.exports import FORMATS, ExportFile, export_briefing, export_pack
from scrkb.services.packs import require_items
from scrkb.services.uploads import allow_body
from scrkb.web.csrf import CSRF_FIELD, check_token
from scrkb.web.deps import (
    PACK_COOKIE,
    CsrfDep,
    Web,
    WebDep,
    redirect,
    remember,
    safe_next,
    wants_json,
)
from scrkb.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PACKS_COOKIE = "scrkb_packs"
MAX_OWN_PACKS = 20
DOWNLOAD_FORMATS = (("docx", "Word document (.docx)"), ("pdf", "PDF"),
                    ("csv", "Spreadsheet (.csv)"), ("md", "Markdown (.md)"))  # fmt: skip


def own_pack_ids(request: Request) -> list[str]:
    """The visitor's packs, the current one first."""
    current = request.cookies.get(PACK_COOKIE)
    listed = (request.cookies.get(PACKS_COOKIE) or "").split()
    ids = ([current] if current else []) + listed
    return list(dict.fromkeys(i for i in ids if i))[:MAX_OWN_PACKS]


def _keep(request: Request, response: Response, current: str, ids: list[str]) -> None:
    remember(request, response, PACK_COOKIE, current)
    remember(request, response, PACKS_COOKIE, " ".join(dict.fromkeys([current, *ids])))


def _form_fields(form: Any) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.api_route("/pack", methods=["GET", "HEAD"], response_class=HTMLResponse, name="web_pack")
def pack_page(request: Request, web: WebDep) -> HTMLResponse:
    packs = web.services.packs
    pack = packs.find(request.cookies.get(PACK_COOKIE))
    others = [p for p in packs.list(ids=own_pack_ids(request)) if not pack or p.id != pack.id]
    share = packs.share_token(pack.id) if pack else None
    return web.render(
        request,
        "pack.html",
        pack=pack,
        others=others,
        share_url=_share_url(request, share) if share else None,
        formats=DOWNLOAD_FORMATS,
        original_href=site_original_href,
    )


def _share_url(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + f"/shared/{token}"


@router.post("/pack/items", name="web_pack_add")
def pack_add(
    request: Request,
    web: WebDep,
    _csrf: CsrfDep,
    passage_id: str = Form(..., max_length=200),
    next: str = Form("/pack", max_length=2000),  # noqa: A002
) -> Response:
    packs = web.services.packs
    pack_id, added = packs.add_to_own_pack(request.cookies.get(PACK_COOKIE), passage_id)
    if wants_json(request):
        response: Response = JSONResponse({"added": added, "count": packs.size(pack_id)})
    else:
        response = redirect(
            request, safe_next(next, "/pack"), flash="added" if added else "already"
        )
    _keep(request, response, pack_id, own_pack_ids(request))
    return response


@router.post("/packs", name="web_pack_create")
def pack_create(
    request: Request,
    web: WebDep,
    _csrf: CsrfDep,
    title: str = Form("", max_length=200),
) -> Response:
    """A new named pack, which becomes the one passages are added to."""
    if not title.strip():
        raise InvalidQuery("give the new pack a title")
    if len(own_pack_ids(request)) >= MAX_OWN_PACKS:
        raise InvalidQuery(f"you can keep up to {MAX_OWN_PACKS} packs: delete one first")
    pack = web.services.packs.create(title=title)
    response = redirect(request, "/pack", flash="created")
    _keep(request, response, pack.id, own_pack_ids(request))
    return response


@router.post("/packs/current", name="web_pack_switch")
def pack_switch(
    request: Request,
    web: WebDep,
    _csrf: CsrfDep,
    pack_id: str = Form(..., max_length=100),
) -> Response:
    """Work on another of your packs (only one this browser already holds)."""
    ids = own_pack_ids(request)
    if pack_id not in ids or web.services.packs.find(pack_id) is None:
        raise NotFound("that pack is not one of yours on this device")
    response = redirect(request, "/pack", flash="switched")
    _keep(request, response, pack_id, ids)
    return response


_PACK_FORM: dict = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "csrf_token": {"type": "string"},
                        "action": {
                            "type": "string",
                            "description": "save, up:ID, down:ID, "
                            "remove:ID, clear, delete, share, unshare or download",
                        },
                        "title": {"type": "string", "maxLength": 200},
                        "description": {"type": "string", "maxLength": 4000},
                    },
                    "additionalProperties": {"type": "string", "maxLength": 4000},
                }
            }
        }
    }
}


@router.post("/pack", name="web_pack_update", openapi_extra=_PACK_FORM)
async def pack_update(request: Request, web: WebDep) -> Response:
    """The pack page's form: save the title and notes, then move, remove, share, download,
    or (after a confirmation page) empty or delete the pack."""
    allow_body(request.scope, PACK_FORM_LIMIT)
    async with request.form(max_files=0, max_fields=1000, max_part_size=PACK_FORM_LIMIT) as form:
        fields = _form_fields(form)
    check_token(request, fields.get(CSRF_FIELD))
    action = str(fields.get("action") or "save")
    packs = web.services.packs
    pack = packs.find(request.cookies.get(PACK_COOKIE))
    if pack is None:
        raise NotFound("you do not have a pack yet: add a passage from a search result first")
    # Always save what was typed first, so moving an item or downloading never loses a note.
    title, description = fields.get("title"), fields.get("description")
    if title is not None or description is not None:
        packs.update(
            pack.id,
            title=title if title is not None and title.strip() else None,
            description=description,
        )
    for item in pack.items:
        note = fields.get(f"note-{item.passage_id}")
        if note is not None and note != item.note:
            packs.update_item(pack.id, item.passage_id, note=note)
    verb, _, target = action.partition(":")
    in_pack = target in {i.passage_id for i in pack.items}
    if verb in ("up", "down") and in_pack:
        packs.move(pack.id, target, -1 if verb == "up" else 1)
        return redirect(request, f"/pack#item-{target}", flash="moved")
    if verb == "remove" and in_pack:
        packs.remove_item(pack.id, target)
        return redirect(request, "/pack#items", flash="removed")
    if verb in ("clear", "delete"):
        if fields.get("confirm") != "yes":
            return web.render(request, "pack_confirm.html", pack=packs.get(pack.id), verb=verb)
        if verb == "clear":
            packs.clear(pack.id)
            return redirect(request, "/pack", flash="cleared")
        packs.delete(pack.id)
        response = redirect(request, "/pack", flash="deleted")
        rest = [i for i in own_pack_ids(request) if i != pack.id]
        if rest:
            _keep(request, response, rest[0], rest)
        else:
            response.delete_cookie(PACK_COOKIE, path="/")
            response.delete_cookie(PACKS_COOKIE, path="/")
        return response
    if verb == "share":
        packs.share(pack.id)
        return redirect(request, "/pack#share", flash="shared")
    if verb == "unshare":
        packs.revoke_share(pack.id)
        return redirect(request, "/pack#share", flash="unshared")
    if verb == "download":
        fmt = fields.get("format") or "docx"
        layout = fields.get("layout") or "standard"
        if layout == "briefing":
            chosen = fmt if fmt in FORMATS else "docx"
            return redirect(request, f"/pack/briefing?format={chosen}", flash="saved")
        return redirect(request, "/pack/export?" + urlencode({"format": fmt, "layout": layout}))
    return redirect(request, "/pack", flash="saved")


def _download(file: ExportFile) -> Response:
    return Response(
        file.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/pack/export", name="web_pack_export")
async def pack_export(
    request: Request,
    web: WebDep,
    format: str = "docx",  # noqa: A002
    layout: str = "standard",
) -> Response:
    """Download the pack, written by the exporter the API uses (GET /api/packs/{id}/export)."""
    pack = require_items(web.services.packs.find(request.cookies.get(PACK_COOKIE)))
    return await _export(web, pack, format, layout)


async def _export(web: Web, pack: Pack, fmt: str, layout: str) -> Response:
    layout = "standard" if layout == "pack" else layout  # the form's name for it until 2026
    file = await run_in_threadpool(
        export_pack,
        pack,
        fmt,
        layout=layout,
        public_base_url=web.settings.public_base_url,
        catalog=web.services.catalog,
    )
    return _download(file)


# --------------------------------------------------------------------------- briefing
@router.api_route(
    "/pack/briefing",
    methods=["GET", "HEAD"],
    response_class=HTMLResponse,
    name="web_pack_briefing",
)
async def briefing_page(request: Request, web: WebDep) -> HTMLResponse:
    """The 7-minute briefing drafted from the pack, every part editable before download."""
    pack = require_items(web.services.packs.find(request.cookies.get(PACK_COOKIE)))
    briefing = await run_in_threadpool(
        draft_briefing,
        pack,
        web.services.catalog,
        public_base_url=web.settings.public_base_url,
    )
    return _briefing_form(request, web, briefing, fmt=request.query_params.get("format"))


def _briefing_form(
    request: Request,
    web: Web,
    briefing: Briefing,
    *,
    fmt: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return web.render(
        request,
        "briefing.html",
        status_code=status_code,
        briefing=briefing,
        words=briefing.words(),
        budget=WORD_BUDGET,
        formats=[f for f in DOWNLOAD_FORMATS if f[0] in FORMATS],
        chosen_format=fmt if fmt in FORMATS else "docx",
    )


_BRIEFING_FORM: dict = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "csrf_token": {"type": "string"},
                        "format": {"type": "string", "enum": list(FORMATS)},
                        "title": {"type": "string", "maxLength": 200},
                    },
                    "additionalProperties": {"type": "string", "maxLength": 8000},
                }
            }
        }
    }
}


@router.post("/pack/briefing", name="web_pack_briefing_post", openapi_extra=_BRIEFING_FORM)
async def briefing_download(request: Request, web: WebDep) -> Response:
    """Download the briefing as edited: the draft is made again from the pack and each
    part replaced by what the form holds (the citations stay the pack's own)."""
    allow_body(request.scope, PACK_FORM_LIMIT)
    async with request.form(max_files=0, max_fields=200, max_part_size=64 << 10) as form:
        fields = _form_fields(form)
    check_token(request, fields.get(CSRF_FIELD))
    pack = require_items(web.services.packs.find(request.cookies.get(PACK_COOKIE)))
    draft = await run_in_threadpool(
        draft_briefing,
        pack,
        web.services.catalog,
        public_base_url=web.settings.public_base_url,
    )
    edited = edited_briefing(draft, fields)
    action = fields.get("action", "download")
    if action == "update":
        return _briefing_form(request, web, edited, fmt=fields.get("format"))
    fmt = fields.get("format") or "docx"
    file = await run_in_threadpool(export_briefing, edited, fmt)
    return _download(file)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def edited_briefing(draft: Briefing, fields: dict[str, str]) -> Briefing:
    """The draft with the form's edits: an extract left empty is dropped."""
    for name, limit in (("title", 200),):
        if len(fields.get(name, "")) > limit:
            raise InvalidQuery(f"the {name} is longer than {limit} characters")
    extracts: list[BriefingExtract] = []
    for i, extract in enumerate(draft.extracts, start=1):
        text = fields.get(f"extract-{i}", extract.text).strip()
        if text:
            extracts.append(extract.model_copy(update={"text": text}))
    return draft.model_copy(
        update={
            "title": " ".join(fields.get("title", draft.title).split()) or draft.title,
            "background": fields.get("background", draft.background).strip(),
            "why_it_matters": fields.get("why_it_matters", draft.why_it_matters).strip(),
            "extracts": extracts,
            "actions": _lines(fields["actions"]) if "actions" in fields else draft.actions,
            "questions": _lines(fields["questions"]) if "questions" in fields else draft.questions,
            "further_information": _lines(fields["further_information"])
            if "further_information" in fields
            else draft.further_information,
        }
    )


# --------------------------------------------------------------------------- shared
@router.api_route(
    "/shared/{token}",
    methods=["GET", "HEAD"],
    response_class=HTMLResponse,
    name="web_pack_shared",
)
def shared_page(request: Request, web: WebDep, token: str) -> HTMLResponse:
    """A pack as its owner shared it: read-only, with its downloads."""
    pack = web.services.packs.shared(token[:100])
    return web.render(
        request,
        "pack_shared.html",
        pack=pack,
        token=token,
        formats=DOWNLOAD_FORMATS,
        original_href=site_original_href,
    )


@router.get("/shared/{token}/export", name="web_pack_shared_export")
async def shared_export(
    request: Request,
    web: WebDep,
    token: str,
    format: str = "docx",  # noqa: A002
    layout: str = "standard",
) -> Response:
    pack = require_items(web.services.packs.shared(token[:100]))
    return await _export(web, pack, format, layout)
