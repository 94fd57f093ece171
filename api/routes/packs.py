"""Packs: trainers' selections of passages with notes, exported with full citations.

Whoever holds a pack's id (an unguessable token) can read and change it, so the list
route only returns packs whose ids the caller names (`?id=...`, as the web page keeps
them); an admin token lists them all.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from scrkb.api.deps import ServicesDep, is_admin
from scrkb.api.errors import ApiError
from scrkb.api.schemas import (
    ErrorPublic,
    PackPublic,
    PacksPublic,
    SharedPackPublic,
    ShareLinkPublic,
)
from scrkb.errors import NotFound
from scrkb.models import (
    PackCreate,
    PackItemCreate,
    PackItemUpdate,
    PackList,
    PackOrder,
    PackUpdate,
    ShareLink,
)
from scrkb.services.exports import FORMATS, LAYOUTS, export_pack

router = APIRouter(prefix="/api/packs", tags=["packs"])
# What a share link opens: read-only, and not under /api/packs, whose paths take the id.
shared_router = APIRouter(prefix="/api/shared", tags=["packs"])

PackId = Annotated[str, Path(max_length=64, description="The pack's id (keep it private).")]
PassageId = Annotated[str, Path(max_length=200)]
ShareToken = Annotated[str, Path(max_length=64, description="The token of a share link.")]
NOT_FOUND = {404: {"model": ErrorPublic}}


@router.post(
    "", response_model=PackPublic, status_code=201, responses={422: {"model": ErrorPublic}}
)
async def create_pack(services: ServicesDep, body: PackCreate) -> PackPublic:
    """Create an empty pack; keep the returned id: it is the only key to the pack."""
    pack = await run_in_threadpool(
        services.packs.create, title=body.title, description=body.description
    )
    return PackPublic.of(pack)


@router.get("", response_model=PacksPublic)
async def list_packs(
    services: ServicesDep,
    id: Annotated[
        list[str] | None, Query(max_length=100, description="Pack ids you hold (repeatable).")
    ] = None,
    authorization: Annotated[str | None, Header()] = None,
    x_admin_token: Annotated[str | None, Header()] = None,
) -> PacksPublic:
    """The packs you name by id; with the admin token and no ids, every pack."""
    if id is None and is_admin(services, authorization, x_admin_token):
        packs = await run_in_threadpool(services.packs.list)
    else:
        packs = await run_in_threadpool(services.packs.list, ids=id or [])
    return PacksPublic.of(PackList(data=packs, count=len(packs)))


@router.get("/{pack_id}", response_model=PackPublic, responses=NOT_FOUND)
async def get_pack(services: ServicesDep, pack_id: PackId) -> PackPublic:
    return PackPublic.of(await run_in_threadpool(services.packs.get, pack_id))


@router.patch("/{pack_id}", response_model=PackPublic, responses=NOT_FOUND)
async def update_pack(services: ServicesDep, pack_id: PackId, body: PackUpdate) -> PackPublic:
    """Rename a pack or change its description."""
    pack = await run_in_threadpool(
        services.packs.update, pack_id, title=body.title, description=body.description
    )
    return PackPublic.of(pack)


@router.delete("/{pack_id}", status_code=204, response_class=Response, responses=NOT_FOUND)
async def delete_pack(services: ServicesDep, pack_id: PackId) -> Response:
    await run_in_threadpool(services.packs.delete, pack_id)
    return Response(status_code=204)


@router.post(
    "/{pack_id}/items",
    response_model=PackPublic,
    status_code=201,
    responses={**NOT_FOUND, 409: {"model": ErrorPublic}},
)
async def add_item(services: ServicesDep, pack_id: PackId, body: PackItemCreate) -> PackPublic:
    """Add a passage (by the id search returns) with an optional note and position."""
    pack = await run_in_threadpool(
        services.packs.add_item, pack_id, body.passage_id, note=body.note, position=body.position
    )
    return PackPublic.of(pack)


@router.patch("/{pack_id}/items/{passage_id}", response_model=PackPublic, responses=NOT_FOUND)
async def update_item(
    services: ServicesDep, pack_id: PackId, passage_id: PassageId, body: PackItemUpdate
) -> PackPublic:
    """Change the note on a passage."""
    pack = await run_in_threadpool(services.packs.update_item, pack_id, passage_id, note=body.note)
    return PackPublic.of(pack)


@router.delete("/{pack_id}/items/{passage_id}", response_model=PackPublic, responses=NOT_FOUND)
async def remove_item(services: ServicesDep, pack_id: PackId, passage_id: PassageId) -> PackPublic:
    return PackPublic.of(await run_in_threadpool(services.packs.remove_item, pack_id, passage_id))


@router.put(
    "/{pack_id}/order",
    response_model=PackPublic,
    responses={**NOT_FOUND, 422: {"model": ErrorPublic}},
)
async def reorder(services: ServicesDep, pack_id: PackId, body: PackOrder) -> PackPublic:
    """Reorder the passages: list every passage id once, in the new order."""
    return PackPublic.of(await run_in_threadpool(services.packs.reorder, pack_id, body.passage_ids))


@router.get(
    "/{pack_id}/export",
    response_model=None,
    response_class=Response,
    responses={
        200: {
            "description": "The pack as a file, with citations and a reference list.",
            "content": {media: {} for media, _ in FORMATS.values()},
        },
        **NOT_FOUND,
        415: {"model": ErrorPublic},
    },
)
async def export(
    services: ServicesDep,
    pack_id: PackId,
    format: Annotated[
        str, Query(description="md, docx, pdf or csv.", json_schema_extra={"enum": list(FORMATS)})
    ] = "md",
    layout: Annotated[
        str,
        Query(
            description="standard, or briefing (7-minute briefing: background, why it "
            "matters, what the reviews found, what to do, questions for reflection, further "
            "information; one or two sides of A4).",
            json_schema_extra={"enum": ["standard", "briefing"]},
        ),
    ] = "standard",
) -> Response:
    """Download the pack: passages in order, each cited (partnership, year, title, page,
    URL), the trainer's notes, and a reference list."""
    if format not in FORMATS:
        raise ApiError(415, f"unknown export format {format!r}: use md, docx, pdf or csv")
    if layout not in LAYOUTS:
        raise ApiError(
            422, f"unknown layout {layout!r}: use standard or briefing", code="invalid_request"
        )
    pack = await run_in_threadpool(services.packs.get, pack_id)
    file = await run_in_threadpool(
        export_pack,
        pack,
        format,
        layout=layout,
        public_base_url=services.settings.public_base_url,
        catalog=services.catalog,
    )
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


# --------------------------------------------------------------------------- share links
@router.post("/{pack_id}/share", response_model=ShareLinkPublic, responses=NOT_FOUND)
async def share(services: ServicesDep, pack_id: PackId) -> ShareLinkPublic:
    """A read-only link to the pack (the existing one, if it is shared already)."""
    token = await run_in_threadpool(services.packs.share, pack_id)
    return ShareLinkPublic.of(ShareLink(token=token))


@router.get("/{pack_id}/share", response_model=ShareLinkPublic, responses=NOT_FOUND)
async def share_link(services: ServicesDep, pack_id: PackId) -> ShareLinkPublic:
    """The pack's read-only link; 404 when it is not shared."""
    token = await run_in_threadpool(services.packs.share_token, pack_id)
    if token is None:
        raise NotFound("this pack is not shared: POST to this address to share it")
    return ShareLinkPublic.of(ShareLink(token=token))


@router.delete("/{pack_id}/share", status_code=204, response_class=Response, responses=NOT_FOUND)
async def unshare(services: ServicesDep, pack_id: PackId) -> Response:
    """Stop sharing: every copy of the link handed out so far stops working."""
    await run_in_threadpool(services.packs.revoke_share, pack_id)
    return Response(status_code=204)


@shared_router.get("/{token}", response_model=SharedPackPublic, responses=NOT_FOUND)
async def shared_pack(services: ServicesDep, token: ShareToken) -> SharedPackPublic:
    """A shared pack, read-only: its items and citations, never its id."""
    return SharedPackPublic.of(await run_in_threadpool(services.packs.shared, token))
