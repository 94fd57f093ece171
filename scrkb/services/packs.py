"""Case-material packs: trainers' ordered selections of passages, with a note on each.

Packs live in the same SQLite store as the passages they cite (``index/userdata.py``), so
a backup of the data home is a backup of the packs. A pack id is an unguessable token:
whoever holds it can read and change the pack (there are no user accounts), so ids are
never listed to callers who do not already hold them.

Each item keeps a *snapshot* of its citation (report title, partnership, year, page,
link, text) taken when it was added. Passage ids are derived from the report and the
text, so a re-ingest normally keeps them; when a re-ingest does drop a passage, the
pack still exports a full citation from the snapshot instead of losing the item.
"""

from __future__ import annotations

import secrets

from scrkb.errors import Conflict, InvalidQuery, NotFound
from scrkb.index.store import Store
from scrkb.index.userdata import PackTable
from scrkb.models import Pack, PackSummary

MAX_ITEMS = 200
MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_NOTE = 4000
DEFAULT_TITLE = "My case-review pack"


def new_pack_id() -> str:
    """128 random bits, URL-safe: the id is the capability, so it must not be guessable."""
    return "p" + secrets.token_urlsafe(16)


class Packs:
    """The pack use cases over one store."""

    def __init__(self, store: Store) -> None:
        self.table = PackTable(store)

    # ------------------------------------------------------------------ packs
    def create(self, *, title: str, description: str = "") -> Pack:
        pack_id = new_pack_id()
        self.table.create(
            pack_id,
            title=_clean_title(title),
            description=_limit(description, MAX_DESCRIPTION, "description"),
        )
        return self.get(pack_id)

    def list(self, *, ids: list[str] | None = None) -> list[PackSummary]:
        """The packs named by ``ids`` (unknown ids are skipped), or all when ``ids`` is None.

        Only an admin may list all: the route decides; this layer just reads.
        """
        return self.table.summaries(ids)

    def get(self, pack_id: str) -> Pack:
        summary = self.table.summary(pack_id)
        items = self.table.items(pack_id)
        return Pack(
            **summary.model_dump(exclude={"item_count"}), item_count=len(items), items=items
        )

    def find(self, pack_id: str | None) -> Pack | None:
        """The pack, or None when there is no such pack (a stale browser cookie)."""
        if not pack_id:
            return None
        try:
            return self.get(pack_id)
        except NotFound:
            return None

    def size(self, pack_id: str | None) -> int:
        return self.table.item_count(pack_id) if pack_id else 0

    def count(self) -> int:
        return self.table.count()

    def update(
        self, pack_id: str, *, title: str | None = None, description: str | None = None
    ) -> Pack:
        self.table.require(pack_id)
        self.table.update(
            pack_id,
            title=_clean_title(title) if title is not None else None,
            description=_limit(description, MAX_DESCRIPTION, "description")
            if description is not None
            else None,
        )
        return self.get(pack_id)

    # ------------------------------------------------------------------ share links
    def share(self, pack_id: str) -> str:
        """A read-only link's token (the existing one, or a new one): 128 random bits,
        apart from the pack id, so sharing never hands out the right to edit."""
        self.table.require(pack_id)
        tokens = self.table.share_tokens(pack_id)
        if tokens:
            return tokens[0]
        token = "s" + secrets.token_urlsafe(16)
        self.table.share(pack_id, token)
        return token

    def share_token(self, pack_id: str) -> str | None:
        """The pack's read-only link's token, or None when it is not shared (NotFound for
        a pack that is not there)."""
        self.table.require(pack_id)
        tokens = self.table.share_tokens(pack_id)
        return tokens[0] if tokens else None

    def revoke_share(self, pack_id: str) -> None:
        """Stop sharing: every link handed out so far stops working."""
        self.table.require(pack_id)
        self.table.revoke(pack_id)

    def shared(self, token: str) -> Pack:
        """The pack behind a share link (NotFound once revoked)."""
        return self.get(self.table.shared_pack_id(token))

    def delete(self, pack_id: str) -> None:
        self.table.require(pack_id)
        self.table.delete(pack_id)

    # ------------------------------------------------------------------ items
    def add_item(
        self, pack_id: str, passage_id: str, *, note: str = "", position: int | None = None
    ) -> Pack:
        """Add a passage (at the end, or before the 1-based ``position``)."""
        self.table.require(pack_id)
        note = _limit(note, MAX_NOTE, "note")
        snapshot = (
            self.table.recommendation_snapshot(passage_id)
            if passage_id.startswith("rec:")
            else self.table.snapshot(passage_id)
        )
        self.table.add_item(
            pack_id,
            passage_id,
            note=note,
            snapshot=snapshot,
            position=position,
            max_items=MAX_ITEMS,
        )
        return self.get(pack_id)

    def add_to_own_pack(self, pack_id: str | None, passage_id: str) -> tuple[str, bool]:
        """Add a passage to a visitor's pack, creating the pack on first use.

        Returns the pack id and whether the passage was added (False: it was already in).
        """
        if self.find(pack_id) is None:
            pack_id = self.create(title=DEFAULT_TITLE).id
        assert pack_id is not None
        try:
            self.add_item(pack_id, passage_id)
        except Conflict:
            return pack_id, False
        return pack_id, True

    def update_item(self, pack_id: str, passage_id: str, *, note: str) -> Pack:
        self.table.require_item(pack_id, passage_id)
        self.table.update_note(pack_id, passage_id, _limit(note, MAX_NOTE, "note"))
        return self.get(pack_id)

    def remove_item(self, pack_id: str, passage_id: str) -> Pack:
        self.table.require_item(pack_id, passage_id)
        self.table.remove_item(pack_id, passage_id)
        return self.get(pack_id)

    def reorder(self, pack_id: str, passage_ids: list[str]) -> Pack:
        """Put the items in the given order; it must name every item exactly once."""
        self.table.require(pack_id)
        self.table.reorder(pack_id, passage_ids)
        return self.get(pack_id)

    def move(self, pack_id: str, passage_id: str, step: int) -> Pack:
        """Move one item up (-1) or down (+1); at either end it stays where it is."""
        order = [i.passage_id for i in self.get(pack_id).items]
        if passage_id in order:
            at = order.index(passage_id)
            to = at + step
            if 0 <= to < len(order):
                order[at], order[to] = order[to], order[at]
                return self.reorder(pack_id, order)
        return self.get(pack_id)

    def clear(self, pack_id: str) -> Pack:
        for item in self.get(pack_id).items:
            self.table.remove_item(pack_id, item.passage_id)
        return self.get(pack_id)


def require_items(pack: Pack | None) -> Pack:
    """The pack, if it has passages to export."""
    if pack is None or not pack.items:
        raise InvalidQuery("your pack is empty: add passages from a search result first")
    return pack


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidQuery("a pack needs a title")
    return _limit(title, MAX_TITLE, "title")


def _limit(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        raise InvalidQuery(f"the {what} is {len(value)} characters long; the limit is {limit}")
    return value
