"""Case-material packs: trainers' ordered selections of passages, with a note on each.

Packs live in the same SQLite store as the passages they cite, so a backup of the data
home is a backup of the packs. A pack id is an unguessable token: whoever holds it can
read and change the pack (there are no user accounts), so ids are never listed to
callers who do not already hold them.

Each item keeps a *snapshot* of its citation (report title, partnership, year, page,
link, text) taken when it was added. Passage ids are derived from the report and the
text, so a re-ingest normally keeps them; when a re-ingest does drop a passage, the
pack still exports a full citation from the snapshot instead of losing the item.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from scrkb.errors import InvalidQuery, NotFound, ScrkbError
from scrkb.index.store import Store, utcnow

MAX_ITEMS = 200
MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_NOTE = 4000


class PackConflict(ScrkbError):
    """The change clashes with the pack's current state (e.g. the passage is already in it)."""

    status_code = 409
    code = "conflict"


@dataclass
class Citation:
    """What a reader needs to find the passage again, and to cite it."""

    report_id: str
    title: str
    partnership: str | None
    year: int | None
    page: int
    page_end: int
    source_url: str | None
    review_type: str | None = None
    nation: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PackItem:
    passage_id: str
    position: int
    note: str
    text: str
    heading_path: list[str]
    themes: list[str]
    citation: Citation
    added_at: str
    missing: bool = False  # the passage is no longer in the index: snapshot shown


@dataclass
class Pack:
    id: str
    title: str
    description: str
    created_at: str
    updated_at: str
    items: list[PackItem] = field(default_factory=list)
    item_count: int = 0


def new_pack_id() -> str:
    """128 random bits, URL-safe: the id is the capability, so it must not be guessable."""
    return "p" + secrets.token_urlsafe(16)


class Packs:
    """Pack storage over a ``Store``. Every method is one short transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ packs
    def create(self, *, title: str, description: str = "") -> Pack:
        title = _clean_title(title)
        description = _limit(description, MAX_DESCRIPTION, "description")
        pack_id = new_pack_id()
        now = utcnow()
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO packs (id, title, description, created_at, updated_at) "
                "VALUES (?,?,?,?,?)",
                (pack_id, title, description, now, now),
            )
        return self.get(pack_id)

    def list(self, *, ids: list[str] | None = None) -> list[Pack]:
        """The packs named by ``ids`` (unknown ids are skipped), or all when ``ids`` is None.

        Only an admin may list all: the route decides; this layer just reads.
        """
        if ids is not None and not ids:
            return []
        sql = (
            "SELECT p.*, (SELECT COUNT(*) FROM pack_items i WHERE i.pack_id = p.id) AS n "
            "FROM packs p"
        )
        params: list[Any] = []
        if ids is not None:
            sql += f" WHERE p.id IN ({','.join('?' * len(ids))})"
            params.extend(ids)
        sql += " ORDER BY p.updated_at DESC, p.id"
        return [
            Pack(
                id=r["id"],
                title=r["title"],
                description=r["description"],
                created_at=r["created_at"],
                updated_at=r["updated_at"],
                item_count=r["n"],
            )
            for r in self.store.execute(sql, params)
        ]

    def get(self, pack_id: str) -> Pack:
        rows = self.store.execute("SELECT * FROM packs WHERE id = ?", (pack_id,))
        if not rows:
            raise NotFound(f"no pack with id {pack_id!r}: check the link, or create a new pack")
        row = rows[0]
        items = self._items(pack_id)
        return Pack(
            id=row["id"],
            title=row["title"],
            description=row["description"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            items=items,
            item_count=len(items),
        )

    def update(
        self, pack_id: str, *, title: str | None = None, description: str | None = None
    ) -> Pack:
        self._require(pack_id)
        with self.store.transaction() as conn:
            if title is not None:
                conn.execute(
                    "UPDATE packs SET title = ? WHERE id = ?", (_clean_title(title), pack_id)
                )
            if description is not None:
                conn.execute(
                    "UPDATE packs SET description = ? WHERE id = ?",
                    (_limit(description, MAX_DESCRIPTION, "description"), pack_id),
                )
            self._touch(conn, pack_id)
        return self.get(pack_id)

    def delete(self, pack_id: str) -> None:
        self._require(pack_id)
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM packs WHERE id = ?", (pack_id,))

    # ------------------------------------------------------------------ items
    def add_item(
        self, pack_id: str, passage_id: str, *, note: str = "", position: int | None = None
    ) -> Pack:
        """Add a passage (at the end, or before the 1-based ``position``)."""
        self._require(pack_id)
        note = _limit(note, MAX_NOTE, "note")
        snapshot = self._snapshot(passage_id)
        with self.store.transaction() as conn:
            order = [
                r[0]
                for r in conn.execute(
                    "SELECT passage_id FROM pack_items WHERE pack_id = ? ORDER BY position",
                    (pack_id,),
                )
            ]
            if passage_id in order:
                raise PackConflict(
                    f"passage {passage_id!r} is already in this pack: edit its note instead"
                )
            if len(order) >= MAX_ITEMS:
                raise PackConflict(f"a pack holds at most {MAX_ITEMS} passages")
            at = len(order) if position is None else max(0, min(position - 1, len(order)))
            order.insert(at, passage_id)
            conn.execute(
                "INSERT INTO pack_items (pack_id, passage_id, position, note, snapshot_json, "
                "added_at) VALUES (?,?,?,?,?,?)",
                (pack_id, passage_id, at, note, json.dumps(snapshot), utcnow()),
            )
            self._renumber(conn, pack_id, order)
            self._touch(conn, pack_id)
        return self.get(pack_id)

    def update_item(self, pack_id: str, passage_id: str, *, note: str) -> Pack:
        self._require_item(pack_id, passage_id)
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE pack_items SET note = ? WHERE pack_id = ? AND passage_id = ?",
                (_limit(note, MAX_NOTE, "note"), pack_id, passage_id),
            )
            self._touch(conn, pack_id)
        return self.get(pack_id)

    def remove_item(self, pack_id: str, passage_id: str) -> Pack:
        self._require_item(pack_id, passage_id)
        with self.store.transaction() as conn:
            conn.execute(
                "DELETE FROM pack_items WHERE pack_id = ? AND passage_id = ?",
                (pack_id, passage_id),
            )
            order = [
                r[0]
                for r in conn.execute(
                    "SELECT passage_id FROM pack_items WHERE pack_id = ? ORDER BY position",
                    (pack_id,),
                )
            ]
            self._renumber(conn, pack_id, order)
            self._touch(conn, pack_id)
        return self.get(pack_id)

    def reorder(self, pack_id: str, passage_ids: list[str]) -> Pack:
        """Put the items in the given order; it must name every item exactly once."""
        self._require(pack_id)
        with self.store.transaction() as conn:
            current = {
                r[0]
                for r in conn.execute(
                    "SELECT passage_id FROM pack_items WHERE pack_id = ?", (pack_id,)
                )
            }
            if len(set(passage_ids)) != len(passage_ids):
                raise InvalidQuery("the new order names a passage more than once")
            if set(passage_ids) != current:
                missing = sorted(current - set(passage_ids))
                extra = sorted(set(passage_ids) - current)
                parts = []
                if missing:
                    parts.append(f"missing {', '.join(missing)}")
                if extra:
                    parts.append(f"not in the pack: {', '.join(extra)}")
                raise InvalidQuery(
                    "the new order must list every passage in the pack exactly once ("
                    + "; ".join(parts)
                    + ")"
                )
            self._renumber(conn, pack_id, passage_ids)
            self._touch(conn, pack_id)
        return self.get(pack_id)

    # ------------------------------------------------------------------ internals
    def _require(self, pack_id: str) -> None:
        if not self.store.execute("SELECT 1 FROM packs WHERE id = ?", (pack_id,)):
            raise NotFound(f"no pack with id {pack_id!r}: check the link, or create a new pack")

    def _require_item(self, pack_id: str, passage_id: str) -> None:
        self._require(pack_id)
        if not self.store.execute(
            "SELECT 1 FROM pack_items WHERE pack_id = ? AND passage_id = ?",
            (pack_id, passage_id),
        ):
            raise NotFound(f"passage {passage_id!r} is not in pack {pack_id!r}")

    @staticmethod
    def _renumber(conn: Any, pack_id: str, order: list[str]) -> None:
        conn.executemany(
            "UPDATE pack_items SET position = ? WHERE pack_id = ? AND passage_id = ?",
            [(i, pack_id, pid) for i, pid in enumerate(order)],
        )

    @staticmethod
    def _touch(conn: Any, pack_id: str) -> None:
        conn.execute("UPDATE packs SET updated_at = ? WHERE id = ?", (utcnow(), pack_id))

    def _snapshot(self, passage_id: str) -> dict[str, Any]:
        rows = self.store.execute(
            """SELECT p.rowid AS rowid, p.text, p.heading_path_json, p.page_start, p.page_end,
                      r.id AS report_id, r.title, r.partnership, r.year, r.source_url,
                      r.review_type, r.nation
               FROM passages p JOIN reports r ON r.id = p.report_id WHERE p.id = ?""",
            (passage_id,),
        )
        if not rows:
            raise NotFound(f"no passage with id {passage_id!r}: search again and add it from there")
        return _row_snapshot(rows[0], self._themes([rows[0]["rowid"]]).get(rows[0]["rowid"], []))

    def _themes(self, rowids: list[int]) -> dict[int, list[str]]:
        return {
            rowid: [t.theme_id for t in tags]
            for rowid, tags in self.store.themes_for_rowids(rowids).items()
        }

    def _items(self, pack_id: str) -> list[PackItem]:
        rows = self.store.execute(
            "SELECT * FROM pack_items WHERE pack_id = ? ORDER BY position", (pack_id,)
        )
        if not rows:
            return []
        ids = [r["passage_id"] for r in rows]
        live_rows = self.store.execute(
            f"""SELECT p.id AS passage_id, p.rowid AS rowid, p.text, p.heading_path_json,
                       p.page_start, p.page_end, r.id AS report_id, r.title, r.partnership,
                       r.year, r.source_url, r.review_type, r.nation
                FROM passages p JOIN reports r ON r.id = p.report_id
                WHERE p.id IN ({",".join("?" * len(ids))})""",
            ids,
        )
        themes = self._themes([r["rowid"] for r in live_rows])
        live = {r["passage_id"]: _row_snapshot(r, themes.get(r["rowid"], [])) for r in live_rows}
        items: list[PackItem] = []
        for r in rows:
            snap = live.get(r["passage_id"]) or json.loads(r["snapshot_json"])
            items.append(
                PackItem(
                    passage_id=r["passage_id"],
                    position=r["position"] + 1,
                    note=r["note"],
                    text=snap["text"],
                    heading_path=snap.get("heading_path", []),
                    themes=snap.get("themes", []),
                    citation=Citation(**snap["citation"]),
                    added_at=r["added_at"],
                    missing=r["passage_id"] not in live,
                )
            )
        return items


def _row_snapshot(row: Any, themes: list[str]) -> dict[str, Any]:
    return {
        "text": row["text"],
        "heading_path": json.loads(row["heading_path_json"]),
        "themes": themes,
        "citation": Citation(
            report_id=row["report_id"],
            title=row["title"],
            partnership=row["partnership"],
            year=row["year"],
            page=row["page_start"],
            page_end=row["page_end"],
            source_url=row["source_url"],
            review_type=row["review_type"],
            nation=row["nation"],
        ).as_dict(),
    }


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidQuery("a pack needs a title")
    return _limit(title, MAX_TITLE, "title")


def _limit(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        raise InvalidQuery(f"the {what} is {len(value)} characters long; the limit is {limit}")
    return value
