"""The store's user data: packs (trainers' selections) and background jobs.

Reports and passages are derived from files; packs and jobs are written by people and
by the server, and kept in the same SQLite database so that a backup of the data home
is a backup of everything. These tables are read and written only here; the rules
(title limits, who may list packs, running a job) are in ``scrkb/services/``.
"""

from __future__ import annotations

import json
from typing import Any

from scrkb.errors import Conflict, InvalidQuery, NotFound
from scrkb.index.store import Store, utcnow
from scrkb.models import Citation, Job, JobStatus, PackItem, PackSummary

# --------------------------------------------------------------------------- packs
_SUMMARY_SQL = (
    "SELECT p.*, (SELECT COUNT(*) FROM pack_items i WHERE i.pack_id = p.id) AS n FROM packs p"
)
_LIVE_SQL = """SELECT p.id AS passage_id, p.rowid AS rowid, p.text, p.heading_path_json,
                      p.page_start, p.page_end, p.ordinal, p.paragraph, r.id AS report_id,
                      r.title,
                      r.partnership, r.year, r.source_url, r.review_type, r.nation, r.format
               FROM passages p JOIN reports r ON r.id = p.report_id"""


class PackTable:
    """Packs and their items. Every write is one short transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ packs
    def create(self, pack_id: str, *, title: str, description: str) -> None:
        now = utcnow()
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO packs (id, title, description, created_at, updated_at) "
                "VALUES (?,?,?,?,?)",
                (pack_id, title, description, now, now),
            )

    def summaries(self, ids: list[str] | None = None) -> list[PackSummary]:
        """The packs named by ``ids`` (unknown ids skipped), or all when ``ids`` is None."""
        if ids is not None and not ids:
            return []
        sql, params = _SUMMARY_SQL, []
        if ids is not None:
            sql += f" WHERE p.id IN ({','.join('?' * len(ids))})"
            params.extend(ids)
        sql += " ORDER BY p.updated_at DESC, p.id"
        return [_summary(r) for r in self.store.execute(sql, params)]

    def summary(self, pack_id: str) -> PackSummary:
        rows = self.store.execute(_SUMMARY_SQL + " WHERE p.id = ?", (pack_id,))
        if not rows:
            raise NotFound(f"no pack with id {pack_id!r}: check the link, or create a new pack")
        return _summary(rows[0])

    def count(self) -> int:
        return int(self.store.execute("SELECT COUNT(*) FROM packs")[0][0])

    def item_count(self, pack_id: str) -> int:
        rows = self.store.execute("SELECT COUNT(*) FROM pack_items WHERE pack_id = ?", (pack_id,))
        return int(rows[0][0])

    def require(self, pack_id: str) -> None:
        if not self.store.execute("SELECT 1 FROM packs WHERE id = ?", (pack_id,)):
            raise NotFound(f"no pack with id {pack_id!r}: check the link, or create a new pack")

    def require_item(self, pack_id: str, passage_id: str) -> None:
        self.require(pack_id)
        if not self.store.execute(
            "SELECT 1 FROM pack_items WHERE pack_id = ? AND passage_id = ?",
            (pack_id, passage_id),
        ):
            raise NotFound(f"passage {passage_id!r} is not in pack {pack_id!r}")

    def update(
        self, pack_id: str, *, title: str | None = None, description: str | None = None
    ) -> None:
        with self.store.transaction() as conn:
            if title is not None:
                conn.execute("UPDATE packs SET title = ? WHERE id = ?", (title, pack_id))
            if description is not None:
                conn.execute(
                    "UPDATE packs SET description = ? WHERE id = ?", (description, pack_id)
                )
            _touch(conn, pack_id)

    def delete(self, pack_id: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM packs WHERE id = ?", (pack_id,))

    # ------------------------------------------------------------------ share links
    def share(self, pack_id: str, token: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO pack_shares (token, pack_id, created_at) VALUES (?,?,?)",
                (token, pack_id, utcnow()),
            )

    def share_tokens(self, pack_id: str) -> list[str]:
        rows = self.store.execute(
            "SELECT token FROM pack_shares WHERE pack_id = ? ORDER BY created_at", (pack_id,)
        )
        return [r[0] for r in rows]

    def revoke(self, pack_id: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM pack_shares WHERE pack_id = ?", (pack_id,))

    def shared_pack_id(self, token: str) -> str:
        rows = self.store.execute("SELECT pack_id FROM pack_shares WHERE token = ?", (token,))
        if not rows:
            raise NotFound("this share link is not valid: it may have been stopped by its owner")
        return str(rows[0][0])

    # ------------------------------------------------------------------ items
    def add_item(
        self,
        pack_id: str,
        passage_id: str,
        *,
        note: str,
        snapshot: dict[str, Any],
        position: int | None,
        max_items: int,
    ) -> None:
        """Insert at the end, or before the 1-based ``position``; Conflict if already there."""
        with self.store.transaction() as conn:
            order = _order(conn, pack_id)
            if passage_id in order:
                raise Conflict(
                    f"passage {passage_id!r} is already in this pack: edit its note instead"
                )
            if len(order) >= max_items:
                raise Conflict(f"a pack holds at most {max_items} passages")
            at = len(order) if position is None else max(0, min(position - 1, len(order)))
            order.insert(at, passage_id)
            conn.execute(
                "INSERT INTO pack_items (pack_id, passage_id, position, note, snapshot_json, "
                "added_at) VALUES (?,?,?,?,?,?)",
                (pack_id, passage_id, at, note, json.dumps(snapshot), utcnow()),
            )
            _renumber(conn, pack_id, order)
            _touch(conn, pack_id)

    def update_note(self, pack_id: str, passage_id: str, note: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE pack_items SET note = ? WHERE pack_id = ? AND passage_id = ?",
                (note, pack_id, passage_id),
            )
            _touch(conn, pack_id)

    def remove_item(self, pack_id: str, passage_id: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "DELETE FROM pack_items WHERE pack_id = ? AND passage_id = ?",
                (pack_id, passage_id),
            )
            _renumber(conn, pack_id, _order(conn, pack_id))
            _touch(conn, pack_id)

    def reorder(self, pack_id: str, passage_ids: list[str]) -> None:
        """Put the items in the given order; it must name every item exactly once."""
        with self.store.transaction() as conn:
            current = set(_order(conn, pack_id))
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
            _renumber(conn, pack_id, passage_ids)
            _touch(conn, pack_id)

    def snapshot(self, passage_id: str) -> dict[str, Any]:
        """A passage's citation as it is now: what an item keeps if the passage goes."""
        rows = self.store.execute(_LIVE_SQL + " WHERE p.id = ?", (passage_id,))
        if not rows:
            raise NotFound(f"no passage with id {passage_id!r}: search again and add it from there")
        themes = self._themes([rows[0]["rowid"]])
        return _row_snapshot(rows[0], themes.get(rows[0]["rowid"], []))

    def recommendation_snapshot(self, item_id: str) -> dict[str, Any]:
        """A recommendation (``rec:REPORT:ORDINAL``) as an item keeps it."""
        _, report_id, ordinal = (item_id.split(":", 2) + ["", ""])[:3]
        rows = self.store.execute(
            "SELECT c.number, c.text, c.page, c.themes_json, r.id AS report_id, r.title, "
            "r.partnership, r.year, r.source_url, r.review_type, r.nation, r.format "
            "FROM recommendations c JOIN reports r ON r.id = c.report_id "
            "WHERE c.report_id = ? AND c.ordinal = ?",
            (report_id, int(ordinal) if ordinal.isdigit() else -1),
        )
        if not rows:
            raise NotFound(f"no recommendation {item_id!r}: open the report and add it there")
        row = rows[0]
        page = row["page"] or 1
        return {
            "kind": "recommendation",
            "number": row["number"],
            "text": row["text"],
            "heading_path": ["Recommendations"],
            "themes": json.loads(row["themes_json"]),
            "citation": Citation(
                report_id=row["report_id"],
                title=row["title"],
                partnership=row["partnership"],
                year=row["year"],
                page=page,
                page_end=page,
                source_url=row["source_url"],
                review_type=row["review_type"],
                nation=row["nation"],
                format=row["format"],
            ).model_dump(),
        }

    def items(self, pack_id: str) -> list[PackItem]:
        """The items in order: live passages as they are now, missing ones from snapshots."""
        rows = self.store.execute(
            "SELECT * FROM pack_items WHERE pack_id = ? ORDER BY position", (pack_id,)
        )
        if not rows:
            return []
        ids = [r["passage_id"] for r in rows]
        live_rows = self.store.execute(
            _LIVE_SQL + f" WHERE p.id IN ({','.join('?' * len(ids))})", ids
        )
        themes = self._themes([r["rowid"] for r in live_rows])
        live = {r["passage_id"]: _row_snapshot(r, themes.get(r["rowid"], [])) for r in live_rows}
        reports = {
            row[0]
            for row in self.store.execute(
                "SELECT DISTINCT c.report_id FROM recommendations c JOIN pack_items i "
                "ON i.passage_id = 'rec:' || c.report_id || ':' || c.ordinal WHERE i.pack_id = ?",
                (pack_id,),
            )
        }
        items: list[PackItem] = []
        for r in rows:
            snap = live.get(r["passage_id"]) or json.loads(r["snapshot_json"])
            is_rec = snap.get("kind") == "recommendation"
            items.append(
                PackItem(
                    passage_id=r["passage_id"],
                    position=r["position"] + 1,
                    kind=snap.get("kind", "passage"),
                    number=snap.get("number"),
                    note=r["note"],
                    text=snap["text"],
                    heading_path=snap.get("heading_path", []),
                    themes=snap.get("themes", []),
                    citation=Citation(**snap["citation"]),
                    added_at=r["added_at"],
                    missing=(snap["citation"]["report_id"] not in reports)
                    if is_rec
                    else r["passage_id"] not in live,
                )
            )
        return items

    def _themes(self, rowids: list[int]) -> dict[int, list[str]]:
        return {
            rowid: [t.theme_id for t in tags]
            for rowid, tags in self.store.themes_for_rowids(rowids).items()
        }


def _summary(row: Any) -> PackSummary:
    return PackSummary(
        id=row["id"],
        title=row["title"],
        description=row["description"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        item_count=row["n"],
    )


def _order(conn: Any, pack_id: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT passage_id FROM pack_items WHERE pack_id = ? ORDER BY position", (pack_id,)
        )
    ]


def _renumber(conn: Any, pack_id: str, order: list[str]) -> None:
    conn.executemany(
        "UPDATE pack_items SET position = ? WHERE pack_id = ? AND passage_id = ?",
        [(i, pack_id, pid) for i, pid in enumerate(order)],
    )


def _touch(conn: Any, pack_id: str) -> None:
    conn.execute("UPDATE packs SET updated_at = ? WHERE id = ?", (utcnow(), pack_id))


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
            format=row["format"],
            paragraph=row["paragraph"],
        ).model_dump(),
    }


# --------------------------------------------------------------------------- jobs
class JobTable:
    """One row per background job; any worker can read a job another worker started."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def insert(self, job_id: str, kind: str, params: dict[str, Any], pid: int, host: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO jobs (id, kind, status, params_json, pid, host, created_at) "
                "VALUES (?,?,?,?,?,?,?)",
                (job_id, kind, "queued", json.dumps(params), pid, host, utcnow()),
            )

    def get(self, job_id: str) -> tuple[Job, int | None, str | None]:
        """The job, and the process id and host running it."""
        rows = self.store.execute("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise NotFound(f"no job with id {job_id!r}")
        row = rows[0]
        job = Job(
            id=row["id"],
            kind=row["kind"],
            status=row["status"],
            params=json.loads(row["params_json"]),
            result=json.loads(row["result_json"]) if row["result_json"] else None,
            message=row["message"],
            output_tail=row["output_tail"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
        )
        return job, row["pid"], row["host"]

    def recent_ids(self, limit: int) -> list[str]:
        rows = self.store.execute("SELECT id FROM jobs ORDER BY created_at DESC LIMIT ?", (limit,))
        return [r[0] for r in rows]

    def unfinished_ids(self) -> list[str]:
        rows = self.store.execute("SELECT id FROM jobs WHERE status IN ('queued', 'running')")
        return [r[0] for r in rows]

    def mark_running(self, job_id: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?",
                (utcnow(), job_id),
            )

    def finish(
        self,
        job_id: str,
        status: JobStatus,
        *,
        message: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status = ?, message = ?, result_json = ?, finished_at = ? "
                "WHERE id = ?",
                (
                    status,
                    message,
                    json.dumps(result) if result is not None else None,
                    utcnow(),
                    job_id,
                ),
            )

    def set_tail(self, job_id: str, text: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE jobs SET output_tail = ? WHERE id = ?", (text, job_id))
