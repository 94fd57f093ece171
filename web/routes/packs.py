"""The visitor's pack: add passages from any page, annotate, reorder and download it.

The pack id lives in a first-party cookie; the pack itself is the same ``Pack`` the API
serves at /api/packs/{id}, changed through the same ``Packs`` service, and downloaded
through the same exporter.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from scrkb.errors import NotFound
from scrkb.reference import PACK_FORM_LIMIT
from scrkb.services.exports import export_pack
from scrkb.services.packs import require_items
from scrkb.services.uploads import allow_body
from scrkb.web.csrf import CSRF_FIELD, check_token
from scrkb.web.deps import (
    PACK_COOKIE,
    CsrfDep,
    WebDep,
    redirect,
    remember,
    safe_next,
    wants_json,
)
from scrkb.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.api_route("/pack", methods=["GET", "HEAD"], response_class=HTMLResponse, name="web_pack")
def pack_page(request: Request, web: WebDep) -> HTMLResponse:
    pack = web.services.packs.find(request.cookies.get(PACK_COOKIE))
    return web.render(request, "pack.html", pack=pack)


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
    remember(request, response, PACK_COOKIE, pack_id)
    return response


_PACK_FORM: dict = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "csrf_token": {"type": "string"},
                        "action": {"type": "string", "description": "save, up:ID, down:ID, "
                                   "remove:ID or clear"},
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
    """The pack page's form: save the title and notes, then move, remove or empty."""
    allow_body(request.scope, PACK_FORM_LIMIT)
    async with request.form(
            max_files=0, max_fields=1000, max_part_size=PACK_FORM_LIMIT
        ) as form:
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
    check_token(request, fields.get(CSRF_FIELD))
    form = fields
    action = str(form.get("action") or "save")
    packs = web.services.packs
    pack = packs.find(request.cookies.get(PACK_COOKIE))
    if pack is None:
        raise NotFound("you do not have a pack yet: add a passage from a search result first")
    # Always save what was typed first, so moving an item never loses an edited note.
    title, description = form.get("title"), form.get("description")
    if title is not None or description is not None:
        packs.update(
            pack.id,
            title=str(title) if title is not None and str(title).strip() else None,
            description=str(description) if description is not None else None,
        )
    for item in pack.items:
        note = form.get(f"note-{item.passage_id}")
        if note is not None and str(note) != item.note:
            packs.update_item(pack.id, item.passage_id, note=str(note))
    verb, _, target = action.partition(":")
    in_pack = target in {i.passage_id for i in pack.items}
    if verb in ("up", "down") and in_pack:
        packs.move(pack.id, target, -1 if verb == "up" else 1)
        return redirect(request, "/pack#items", flash="moved")
    if verb == "remove" and in_pack:
        packs.remove_item(pack.id, target)
        return redirect(request, "/pack", flash="removed")
    if verb == "clear":
        packs.clear(pack.id)
        return redirect(request, "/pack", flash="cleared")
    return redirect(request, "/pack", flash="saved")


@router.get("/pack/export", name="web_pack_export")
async def pack_export(
    request: Request,
    web: WebDep,
    format: str = "md",  # noqa: A002
    layout: str = "standard",
) -> Response:
    """Download the pack, written by the exporter the API uses (GET /api/packs/{id}/export)."""
    pack = require_items(web.services.packs.find(request.cookies.get(PACK_COOKIE)))
    layout = "standard" if layout == "pack" else layout  # the form's name for it until 2026
    file = await run_in_threadpool(
        export_pack, pack, format, layout=layout, base_url=str(request.base_url)
    )
    return Response(
        file.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "no-store",
        },
    )
