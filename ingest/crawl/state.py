"""Crawl state in ``<home>/crawl.sqlite``: what was fetched, when, and what happened.

The state is what makes a crawl incremental and explainable: each document's URL, sha256,
validators and classification; each run's events (new, changed, skipped with a reason,
failed); items found but not yet processed (so an interrupted run resumes); and which
documents have gone from their site ("no longer online since").
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    url TEXT PRIMARY KEY,          -- as listed (before redirects)
    source TEXT NOT NULL,
    scope TEXT NOT NULL,
    final_url TEXT,
    sha256 TEXT,
    path TEXT,                     -- the downloaded file (or metadata record) on disk
    http_status INTEGER,
    etag TEXT,
    last_modified TEXT,
    content_type TEXT,
    size INTEGER,
    fetched_at TEXT,
    first_seen TEXT NOT NULL,
    last_seen_run INTEGER,
    kind TEXT,
    classified_by TEXT,
    class_reason TEXT,
    listing_json TEXT NOT NULL DEFAULT '{}',
    metadata_only INTEGER NOT NULL DEFAULT 0,
    no_longer_online_since TEXT,
    ingested_sha256 TEXT,          -- what the knowledge base holds; NULL = ingest pending
    report_id TEXT
);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    options_json TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    finish_reason TEXT,
    complete INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    run_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    url TEXT NOT NULL,
    outcome TEXT NOT NULL,         -- found, new, changed, skipped, failed, gone
    reason TEXT,                   -- machine-readable: unchanged, not_review, robots, ...
    detail TEXT
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id);
CREATE TABLE IF NOT EXISTS pending (
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    item_json TEXT NOT NULL,
    PRIMARY KEY (source, url)
);
"""

OUTCOMES = ("found", "new", "changed", "skipped", "failed", "gone")


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RunSummary:
    """Counts for one run: found / new / changed / skipped (by reason) / failed (by reason)."""

    run_id: int
    source: str
    finish_reason: str | None
    complete: bool
    found: int = 0
    new: int = 0
    changed: int = 0
    gone: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    def urls(self, outcome: str, reason: str | None = None) -> set[str]:
        """URLs with this outcome (and reason): what tests and reports ask about."""
        return {
            e["url"]
            for e in self.events
            if e["outcome"] == outcome and (reason is None or e["reason"] == reason)
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "finish_reason": self.finish_reason,
            "complete": self.complete,
            "found": self.found,
            "new": self.new,
            "changed": self.changed,
            "gone": self.gone,
            "skipped": self.skipped,
            "failed": self.failed,
        }


class CrawlState:
    """One connection to the state database, shared by the pipelines of a crawl process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[sqlite3.Row]:
        with self._lock, self._conn:
            return self._conn.execute(sql, params).fetchall()

    # ---------------------------------------------------------------- runs and events
    def start_run(self, source: str, options: dict[str, Any]) -> int:
        with self._lock, self._conn:
            cur = self._conn.execute(
                "INSERT INTO runs (source, options_json, started_at) VALUES (?, ?, ?)",
                (source, json.dumps(options, default=str), utcnow()),
            )
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, finish_reason: str, complete: bool) -> None:
        self._execute(
            "UPDATE runs SET finished_at = ?, finish_reason = ?, complete = ? WHERE id = ?",
            (utcnow(), finish_reason, int(complete), run_id),
        )

    def record(
        self, run_id: int, url: str, outcome: str, reason: str | None = None, detail: str = ""
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        self._execute(
            "INSERT INTO events (run_id, at, url, outcome, reason, detail) VALUES (?,?,?,?,?,?)",
            (run_id, utcnow(), url, outcome, reason, detail),
        )

    def summary(self, run_id: int) -> RunSummary:
        run = self._execute("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not run:
            raise KeyError(run_id)
        rows = self._execute(
            "SELECT url, outcome, reason, detail FROM events WHERE run_id = ? ORDER BY rowid",
            (run_id,),
        )
        summary = RunSummary(
            run_id=run_id,
            source=run[0]["source"],
            finish_reason=run[0]["finish_reason"],
            complete=bool(run[0]["complete"]),
            events=[dict(r) for r in rows],
        )
        counts = Counter(r["outcome"] for r in rows)
        summary.found, summary.new = counts["found"], counts["new"]
        summary.changed, summary.gone = counts["changed"], counts["gone"]
        summary.skipped = dict(Counter(r["reason"] for r in rows if r["outcome"] == "skipped"))
        summary.failed = dict(Counter(r["reason"] for r in rows if r["outcome"] == "failed"))
        return summary

    # ---------------------------------------------------------------- documents
    def document(self, url: str) -> dict[str, Any] | None:
        rows = self._execute("SELECT * FROM documents WHERE url = ?", (url,))
        return dict(rows[0]) if rows else None

    def document_by_sha(self, sha256: str, *, other_than: str) -> dict[str, Any] | None:
        rows = self._execute(
            "SELECT * FROM documents WHERE sha256 = ? AND url != ? LIMIT 1", (sha256, other_than)
        )
        return dict(rows[0]) if rows else None

    def documents(self, where: str = "1", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._execute(f"SELECT * FROM documents WHERE {where}", params)]

    def upsert_document(self, url: str, **fields: Any) -> None:
        """Insert or update one document's row (only the fields given change)."""
        if "listing" in fields:
            fields["listing_json"] = json.dumps(fields.pop("listing"), default=str)
        existing = self.document(url)
        if existing is None:
            fields.setdefault("first_seen", utcnow())
            cols = ["url", *fields]
            self._execute(
                f"INSERT INTO documents ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [url, *fields.values()],
            )
        elif fields:
            sets = ", ".join(f"{k} = ?" for k in fields)
            self._execute(f"UPDATE documents SET {sets} WHERE url = ?", [*fields.values(), url])

    def seen(self, url: str, run_id: int) -> None:
        """The document is still listed: it is online (again)."""
        self._execute(
            "UPDATE documents SET last_seen_run = ?, no_longer_online_since = NULL WHERE url = ?",
            (run_id, url),
        )

    def mark_gone(
        self, run_id: int, scopes: set[str], *, also: set[str] = frozenset()
    ) -> list[str]:  # type: ignore[assignment]
        """Mark documents as no longer online since today; return the URLs newly marked.

        Gone means: the document's scope was crawled completely in this run (its pages were
        reached) and the document was not listed any more, or its URL answered 404/410
        (``also``). A site that was down is never a reason: its scope is not reached.
        """
        today = datetime.now(UTC).date().isoformat()
        marked: list[str] = []
        rows = self.documents("no_longer_online_since IS NULL AND sha256 IS NOT NULL")
        rows += self.documents("no_longer_online_since IS NULL AND metadata_only = 1")
        for row in {r["url"]: r for r in rows}.values():
            unlisted = row["scope"] in scopes and row["last_seen_run"] != run_id
            if unlisted or row["url"] in also:
                self._execute(
                    "UPDATE documents SET no_longer_online_since = ? WHERE url = ?",
                    (today, row["url"]),
                )
                marked.append(row["url"])
        return marked

    # ---------------------------------------------------------------- resume
    def add_pending(self, source: str, url: str, item: dict[str, Any]) -> None:
        self._execute(
            "INSERT OR REPLACE INTO pending (source, url, item_json) VALUES (?, ?, ?)",
            (source, url, json.dumps(item, default=str)),
        )

    def done_pending(self, source: str, url: str) -> None:
        self._execute("DELETE FROM pending WHERE source = ? AND url = ?", (source, url))

    def pending(self, source: str) -> list[dict[str, Any]]:
        rows = self._execute("SELECT item_json FROM pending WHERE source = ?", (source,))
        return [json.loads(r["item_json"]) for r in rows]

    def iter_to_ingest(self) -> Iterator[dict[str, Any]]:
        """Documents downloaded and kept whose current content the knowledge base lacks."""
        yield from self.documents(
            "path IS NOT NULL AND sha256 IS NOT NULL AND kind IN "
            "('review_report', 'executive_summary', 'learning_brief', 'catalogue_record') "
            "AND (ingested_sha256 IS NULL OR ingested_sha256 != sha256)"
        )
