"""The SQLite store: reports, passages, theme tags, recommendations, FTS5 and embeddings.

SQLite is the single source of truth. The FAISS index (``index/vectors.py``) is derived
from the embeddings kept here, so one SQLite transaction is all it takes to replace a
report atomically, and a crash can never leave the two halves disagreeing: the vector
index records the store ``generation`` it was built from and is rebuilt when stale.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from scrkb.errors import ConfigError, NotFound, ReadOnly
from scrkb.models import (
    Passage,
    Recommendation,
    Report,
    ReportMetadata,
    SearchFilters,
    ThemeTag,
)

SCHEMA_VERSION = 5
BUSY_SECONDS = 30  # how long a writer waits for another's lock

# Each entry migrates the schema from version i to i + 1. Never edit a shipped entry:
# append a new one, so that every existing data home can be brought forward.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        source TEXT NOT NULL UNIQUE,
        source_url TEXT,
        sha256 TEXT NOT NULL,
        format TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        page_count INTEGER NOT NULL,
        status TEXT NOT NULL,
        status_reason TEXT,
        review_type TEXT,
        nation TEXT,
        partnership TEXT,
        year INTEGER,
        child_code TEXT,
        age_band TEXT,
        outcome TEXT,
        metadata_json TEXT NOT NULL,
        provenance_json TEXT NOT NULL,
        text TEXT NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE INDEX reports_sha256 ON reports(sha256);
    CREATE INDEX reports_year ON reports(year);
    CREATE TABLE passages (
        rowid INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        text TEXT NOT NULL,
        heading TEXT NOT NULL,
        heading_path_json TEXT NOT NULL,
        section_kind TEXT NOT NULL,
        page_start INTEGER NOT NULL,
        page_end INTEGER NOT NULL,
        char_start INTEGER NOT NULL,
        char_end INTEGER NOT NULL,
        embedding BLOB
    );
    CREATE INDEX passages_report ON passages(report_id, ordinal);
    CREATE VIRTUAL TABLE passages_fts USING fts5(
        text, heading, content='passages', content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
        INSERT INTO passages_fts(rowid, text, heading) VALUES (new.rowid, new.text, new.heading);
    END;
    CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
        INSERT INTO passages_fts(passages_fts, rowid, text, heading)
        VALUES ('delete', old.rowid, old.text, old.heading);
    END;
    CREATE TABLE passage_themes (
        passage_rowid INTEGER NOT NULL REFERENCES passages(rowid) ON DELETE CASCADE,
        theme_id TEXT NOT NULL,
        confidence REAL NOT NULL,
        evidence TEXT NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        stage TEXT NOT NULL,
        PRIMARY KEY (passage_rowid, theme_id)
    );
    CREATE INDEX passage_themes_theme ON passage_themes(theme_id, confidence);
    CREATE TABLE recommendations (
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        number TEXT NOT NULL,
        text TEXT NOT NULL,
        addressee TEXT,
        page INTEGER,
        themes_json TEXT NOT NULL,
        PRIMARY KEY (report_id, ordinal)
    );
    """,
    # 2: training packs (ids are unguessable tokens; items keep a citation snapshot so an
    # export still cites a passage that a re-ingest replaced) and background jobs (in the
    # store so that any API worker can report a job another worker started).
    """
    CREATE TABLE packs (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE pack_items (
        pack_id TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        passage_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        snapshot_json TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (pack_id, passage_id)
    );
    CREATE INDEX pack_items_order ON pack_items(pack_id, position);
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        params_json TEXT NOT NULL,
        result_json TEXT,
        message TEXT,
        output_tail TEXT,
        pid INTEGER,
        host TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
    );
    CREATE INDEX jobs_status ON jobs(status, created_at);
    """,
    # 3: vectors of another embedding form, computed while a store is re-embedded (small
    # commits, so a stopped re-embed resumes); swapped in by one transaction at the end.
    # The store's form itself is the meta key 'embedding_form'.
    """
    CREATE TABLE embedding_rework (
        passage_rowid INTEGER PRIMARY KEY REFERENCES passages(rowid) ON DELETE CASCADE,
        form TEXT NOT NULL,
        embedding BLOB NOT NULL
    );
    """,
    # 4: read-only share links of packs (index/userdata.py, PackTable.share): a link's
    # token is its own unguessable value, so revoking it (deleting the row) leaves the
    # pack, its id and anyone's edit access untouched.
    """
    CREATE TABLE pack_shares (
        token TEXT PRIMARY KEY,
        pack_id TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    );
    CREATE INDEX pack_shares_pack ON pack_shares(pack_id);
    """,
    # 5: the paragraph of the report each passage starts in (1-based, headings not
    # counted): a web page has no pages, so it is cited by paragraph. NULL in rows stored
    # before; `scrkb retag` fills it from the kept copies (services/retag.py). Pack items'
    # saved citations held the passage number under that name: it is dropped.
    """
    ALTER TABLE passages ADD COLUMN paragraph INTEGER;
    UPDATE pack_items SET snapshot_json = json_remove(snapshot_json, '$.citation.paragraph');
    """,
]


def sql_statements(script: str) -> Iterator[str]:
    """A migration script's statements, split where SQLite says one is complete (the
    semicolons inside a trigger's body do not end it), so that they run inside the
    caller's transaction: ``executescript`` would commit it first."""
    current = ""
    pieces = script.split(";")
    for i, piece in enumerate(pieces):
        current += piece + (";" if i < len(pieces) - 1 else "")
        if sqlite3.complete_statement(current):
            if current.strip(" \n;"):
                yield current.strip()
            current = ""
    if current.strip(" \n;"):
        raise ValueError(f"incomplete SQL at the end of a migration: {current.strip()[:80]}")


# Stores written before forms were recorded hold sentence-transformers (torch) vectors.
LEGACY_FORM = "fp32"


def report_conditions(filters: SearchFilters) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``reports r`` for the report-level filters (not themes)."""
    where: list[str] = []
    params: list[Any] = []
    if filters.year_from is not None:
        where.append("r.year >= ?")
        params.append(filters.year_from)
    if filters.year_to is not None:
        where.append("r.year <= ?")
        params.append(filters.year_to)
    for column, values in (
        ("r.review_type", filters.review_types),
        ("r.nation", filters.nations),
        ("r.partnership", filters.partnerships),
        ("r.age_band", filters.age_bands),
        ("r.id", filters.report_ids),
    ):
        if values:
            # people type "england" or "Wales": match field values without regard to case
            where.append(f"{column} COLLATE NOCASE IN ({','.join('?' * len(values))})")
            params.extend(values)
    return where, params


def utcnow() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Store:
    """A connection to one data home's SQLite database.

    WAL mode lets other connections (other workers, an ingest process) read while one
    writes. Within one ``Store`` every call takes a lock, which makes it safe to share
    between threads but serialises them: open one ``Store`` per worker process.
    """

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            if not self.path.exists():
                raise NotFound(f"no knowledge base at {self.path}: run `scrkb ingest` first")
            self._conn = sqlite3.connect(self._read_only_uri(), uri=True, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=BUSY_SECONDS)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        if not readonly:
            try:
                self._use_wal()
                self._conn.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
            except BaseException:
                self._conn.close()
                raise
        else:  # mode=ro: SQLite itself refuses writes (temp tables, as search's, are fine)
            self._check_version()

    def _use_wal(self) -> None:
        """Switch to WAL once (it sticks to the file). SQLite answers "database is locked"
        at once, without its busy wait, while another connection to a new file is busy,
        as when a server and an ingest open one new home together: so wait here."""
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() != "wal":
                    self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _read_only_uri(self) -> str:
        """How to open the database without writing to it.

        On a writable folder, ``mode=ro`` reads alongside a live writer (WAL). On a
        read-only mount SQLite cannot create the ``-shm`` file a WAL database needs, so
        a snapshot (no ``-wal`` file: its last writer closed cleanly and checkpointed) is
        opened ``immutable``: no locks, no shared memory, nothing written."""
        uri = self.path.resolve().as_uri() + "?mode=ro"  # percent-encodes "#", "?"
        if os.access(self.path.parent, os.W_OK):
            return uri
        wal = self.path.with_name(self.path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise ConfigError(
                f"{wal} holds changes not yet in {self.path.name}, and the folder is "
                "read-only: take the snapshot after every scrkb writer has stopped"
            )
        return uri + "&immutable=1"

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise ReadOnly(f"{self.path} is open read-only: nothing can be changed")
        with self._lock:
            try:  # BEGIN inside: an exception raised by a signal handler just after it rolls back
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _schema_version(self) -> int:
        row = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        if row is None:
            return 0
        value = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(value[0]) if value else 0

    def _check_version(self) -> None:
        version = self._schema_version()
        if version != SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path} has schema version {version}, this scrkb needs {SCHEMA_VERSION}: "
                "open it once without read-only mode (any `scrkb ingest`) to migrate it"
            )

    def _migrate(self) -> None:
        """Bring the schema up to date, one version per transaction.

        The version is read inside the write lock (``BEGIN IMMEDIATE``): two processes
        opening one old or new store at once (a server and an ingest) would otherwise both
        read the old version and the second would re-run a migration the first had run.
        """
        with self._lock:
            if self._schema_version() == SCHEMA_VERSION:
                return  # versions only go up: a current store needs no lock to say so
            while True:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    version = self._schema_version()
                    if version > SCHEMA_VERSION:
                        raise ConfigError(
                            f"{self.path} was written by a newer scrkb (schema {version} > "
                            f"{SCHEMA_VERSION}); upgrade scrkb to read it"
                        )
                    if version < SCHEMA_VERSION:
                        # The schema change and its version number commit together, or not at all.
                        for statement in sql_statements(MIGRATIONS[version]):
                            self._conn.execute(statement)
                        self._conn.execute(
                            "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                            (str(version + 1),),
                        )
                        self._conn.execute(
                            "INSERT OR IGNORE INTO meta(key, value) VALUES ('generation', '0')"
                        )
                    self._conn.execute("COMMIT")
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
                if version >= SCHEMA_VERSION - 1:
                    return

    # ------------------------------------------------------------------ meta
    def generation(self) -> int:
        """Bumped by every write that changes passages: the vector index keys on it."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def annotations(self) -> int:
        """Bumped by every retag of a report (tags and metadata swapped, passages kept):
        the lexical index, which holds each passage's tags, keys on it beside the
        generation, while the vector index need not be rebuilt."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key='annotations'").fetchone()
        return int(row[0]) if row else 0

    def _bump_annotations(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('annotations', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
        )

    def _bump_generation(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
            "WHERE key='generation'"
        )

    # ------------------------------------------------------------------ embedding form
    def embedding_form(self) -> str | None:
        """The form of the stored vectors (``int8``, ``fp32``), or None while there are none."""
        with self._lock:
            return self._stored_form(self._conn)

    @staticmethod
    def _stored_form(conn: sqlite3.Connection) -> str | None:
        if (
            conn.execute("SELECT 1 FROM passages WHERE embedding IS NOT NULL LIMIT 1").fetchone()
            is None
        ):
            return None
        row = conn.execute("SELECT value FROM meta WHERE key='embedding_form'").fetchone()
        return row[0] if row else LEGACY_FORM

    def _claim_form(self, conn: sqlite3.Connection, form: str) -> None:
        stored = self._stored_form(conn)
        if stored is not None and stored != form:
            raise ConfigError(
                f"{self.path} holds {stored} embeddings and these are {form}: a store never "
                "mixes forms; re-embed it first (any `scrkb ingest` with this setting does)"
            )
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('embedding_form', ?)", (form,)
        )

    def rework_pending(self, form: str, limit: int = 256) -> list[tuple[int, str, list[str]]]:
        """(rowid, text, heading path) of passages with no ``form`` vector yet in the rework."""
        rows = self.execute(
            "SELECT p.rowid, p.text, p.heading_path_json FROM passages p "
            "LEFT JOIN embedding_rework w ON w.passage_rowid = p.rowid AND w.form = ? "
            "WHERE p.embedding IS NOT NULL AND w.passage_rowid IS NULL ORDER BY p.rowid LIMIT ?",
            (form, limit),
        )
        return [(int(r[0]), r[1], json.loads(r[2])) for r in rows]

    def rework_count(self, form: str) -> tuple[int, int]:
        """(passages with a ``form`` vector in the rework, passages with a vector)."""
        done = self.execute("SELECT COUNT(*) FROM embedding_rework WHERE form = ?", (form,))
        total = self.execute("SELECT COUNT(*) FROM passages WHERE embedding IS NOT NULL")
        return int(done[0][0]), int(total[0][0])

    def save_rework(self, rowids: Sequence[int], vectors: np.ndarray, form: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM embedding_rework WHERE form != ?", (form,))
            conn.executemany(
                "INSERT OR REPLACE INTO embedding_rework(passage_rowid, form, embedding) "
                "VALUES (?,?,?)",
                [
                    (int(r), form, np.ascontiguousarray(v, dtype=np.float32).tobytes())
                    for r, v in zip(rowids, vectors, strict=True)
                ],
            )

    def adopt_rework(self, form: str) -> int:
        """Swap every passage's vector for its ``form`` one, in one transaction.

        Returns how many passages still lack one (then nothing changes: a passage written
        meanwhile must be embedded first); 0 when the store now holds ``form`` vectors.
        """
        with self.transaction() as conn:
            missing = conn.execute(
                "SELECT COUNT(*) FROM passages p LEFT JOIN embedding_rework w "
                "ON w.passage_rowid = p.rowid AND w.form = ? "
                "WHERE p.embedding IS NOT NULL AND w.passage_rowid IS NULL",
                (form,),
            ).fetchone()[0]
            if missing:
                return int(missing)
            conn.execute(
                "UPDATE passages SET embedding = (SELECT w.embedding FROM embedding_rework w "
                "WHERE w.passage_rowid = passages.rowid) WHERE embedding IS NOT NULL"
            )
            conn.execute("DELETE FROM embedding_rework")
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('embedding_form', ?)", (form,)
            )
            self._bump_generation(conn)
        return 0

    # ------------------------------------------------------------------ writes
    def find_by_source(self, source: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, sha256, title, status FROM reports WHERE source = ?", (source,)
            ).fetchone()
        return dict(row) if row else None

    def find_by_sha256(self, sha256: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, source, title FROM reports WHERE sha256 = ? LIMIT 1", (sha256,)
            ).fetchone()
        return dict(row) if row else None

    def replace_report(
        self,
        report: Report,
        passages: Sequence[Passage],
        embeddings: np.ndarray | None,
        *,
        form: str | None = None,
        text: str = "",
    ) -> None:
        """Insert or replace a report and everything derived from it, in one transaction.

        ``form`` names the embedding form of ``embeddings`` (``nlp.embedding.FORMS``); a
        store holds one form, so vectors of another are refused (re-embed the store first).
        """
        if embeddings is not None and len(embeddings) != len(passages):
            raise ValueError("one embedding per passage is required")
        if embeddings is not None and len(passages) and form is None:
            raise ValueError("say which embedding form the vectors are (form=...)")
        meta = report.metadata
        with self.transaction() as conn:
            if embeddings is not None and len(passages):
                self._claim_form(conn, str(form))
            conn.execute(
                "DELETE FROM reports WHERE id = ? OR source = ?", (report.id, report.source)
            )
            conn.execute(
                """INSERT INTO reports (id, title, source, source_url, sha256, format, size_bytes,
                    page_count, status, status_reason, review_type, nation, partnership, year,
                    child_code, age_band, outcome, metadata_json, provenance_json, text, ingested_at)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (
                    report.id,
                    report.title,
                    report.source,
                    report.source_url,
                    report.sha256,
                    report.format,
                    report.size_bytes,
                    report.page_count,
                    report.status,
                    report.status_reason,
                    meta.review_type,
                    meta.nation,
                    meta.partnership,
                    meta.year,
                    meta.child_code,
                    meta.age_band,
                    meta.outcome,
                    meta.model_dump_json(),
                    json.dumps(report.provenance),
                    text,
                    (report.ingested_at.isoformat() if report.ingested_at else utcnow()),
                ),
            )
            for i, passage in enumerate(passages):
                blob = (
                    np.ascontiguousarray(embeddings[i], dtype=np.float32).tobytes()
                    if embeddings is not None
                    else None
                )
                cur = conn.execute(
                    """INSERT INTO passages (id, report_id, ordinal, text, heading,
                        heading_path_json, section_kind, page_start, page_end, char_start,
                        char_end, embedding, paragraph) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                    (
                        passage.id,
                        report.id,
                        passage.ordinal,
                        passage.text,
                        " / ".join(passage.heading_path),
                        json.dumps(passage.heading_path),
                        passage.section_kind,
                        passage.page_start,
                        passage.page_end,
                        passage.char_start,
                        passage.char_end,
                        blob,
                        passage.paragraph,
                    ),
                )
                self._insert_themes(conn, int(cur.lastrowid), passage.themes)
            self._insert_recommendations(conn, report.id, report.recommendations)
            self._bump_generation(conn)

    @staticmethod
    def _insert_themes(conn: sqlite3.Connection, rowid: int, themes: Iterable[ThemeTag]) -> None:
        conn.executemany(
            """INSERT INTO passage_themes (passage_rowid, theme_id, confidence, evidence, start,
               end, stage) VALUES (?,?,?,?,?,?,?)""",
            [
                (rowid, t.theme_id, t.confidence, t.evidence, t.start, t.end, t.stage)
                for t in themes
            ],
        )

    @staticmethod
    def _insert_recommendations(
        conn: sqlite3.Connection, report_id: str, recs: Iterable[Recommendation]
    ) -> None:
        conn.executemany(
            """INSERT INTO recommendations (report_id, ordinal, number, text, addressee, page,
               themes_json) VALUES (?,?,?,?,?,?,?)""",
            [
                (report_id, i, r.number, r.text, r.addressee, r.page, json.dumps(r.themes))
                for i, r in enumerate(recs)
            ],
        )

    def replace_annotations(
        self,
        report_id: str,
        metadata: ReportMetadata,
        recommendations: Sequence[Recommendation],
        themes_by_passage: dict[str, list[ThemeTag]],
        *,
        paragraphs: dict[str, tuple[int, int, int]] | None = None,
    ) -> None:
        """Swap a report's tags, metadata and recommendations (``scrkb retag``) atomically;
        ``paragraphs`` (by passage id: paragraph, char_start, char_end) fills the paragraph
        of passages stored without one, where the passage still has the same offsets."""
        with self.transaction() as conn:
            self._bump_annotations(conn)
            conn.executemany(
                "UPDATE passages SET paragraph = ? WHERE report_id = ? AND id = ? "
                "AND char_start = ? AND char_end = ? AND paragraph IS NULL",
                [
                    (n, report_id, pid, start, end)
                    for pid, (n, start, end) in (paragraphs or {}).items()
                ],
            )
            rows = conn.execute(
                "SELECT rowid, id FROM passages WHERE report_id = ?", (report_id,)
            ).fetchall()
            conn.execute(
                "DELETE FROM passage_themes WHERE passage_rowid IN "
                "(SELECT rowid FROM passages WHERE report_id = ?)",
                (report_id,),
            )
            for row in rows:
                self._insert_themes(conn, row["rowid"], themes_by_passage.get(row["id"], []))
            conn.execute(
                """UPDATE reports SET review_type=?, nation=?, partnership=?, year=?, child_code=?,
                   age_band=?, outcome=?, metadata_json=? WHERE id=?""",
                (
                    metadata.review_type,
                    metadata.nation,
                    metadata.partnership,
                    metadata.year,
                    metadata.child_code,
                    metadata.age_band,
                    metadata.outcome,
                    metadata.model_dump_json(),
                    report_id,
                ),
            )
            conn.execute("DELETE FROM recommendations WHERE report_id = ?", (report_id,))
            self._insert_recommendations(conn, report_id, recommendations)

    def update_provenance(self, report_id: str, changes: dict[str, Any]) -> None:
        """Merge crawl facts (e.g. ``no_longer_online_since``) into a report's provenance."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT provenance_json FROM reports WHERE id = ?", (report_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no report with id {report_id!r}")
            provenance = json.loads(row[0])
            provenance.update(changes)
            conn.execute(
                "UPDATE reports SET provenance_json = ? WHERE id = ?",
                (json.dumps(provenance), report_id),
            )

    def delete_report(self, report_id: str) -> None:
        with self.transaction() as conn:
            if conn.execute("DELETE FROM reports WHERE id = ?", (report_id,)).rowcount:
                self._bump_generation(conn)

    # ------------------------------------------------------------------ reads
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def report_ids(self) -> list[str]:
        return [r[0] for r in self.execute("SELECT id FROM reports ORDER BY id")]

    def get_report(self, report_id: str) -> Report:
        rows = self.execute("SELECT * FROM reports WHERE id = ?", (report_id,))
        if not rows:
            raise NotFound(f"no report with id {report_id!r}")
        return self._row_to_report(rows[0])

    def _row_to_report(self, row: sqlite3.Row) -> Report:
        recs = self.execute(
            "SELECT * FROM recommendations WHERE report_id = ? ORDER BY ordinal", (row["id"],)
        )
        return Report(
            id=row["id"],
            title=row["title"],
            source=row["source"],
            source_url=row["source_url"],
            sha256=row["sha256"],
            format=row["format"],
            size_bytes=row["size_bytes"],
            page_count=row["page_count"],
            status=row["status"],
            status_reason=row["status_reason"],
            metadata=ReportMetadata.model_validate_json(row["metadata_json"]),
            recommendations=[
                Recommendation(
                    number=r["number"],
                    text=r["text"],
                    addressee=r["addressee"],
                    page=r["page"],
                    themes=json.loads(r["themes_json"]),
                )
                for r in recs
            ],
            provenance=json.loads(row["provenance_json"]),
            ingested_at=datetime.fromisoformat(row["ingested_at"]),
        )

    def report_text(self, report_id: str) -> str:
        rows = self.execute("SELECT text FROM reports WHERE id = ?", (report_id,))
        if not rows:
            raise NotFound(f"no report with id {report_id!r}")
        return rows[0][0]

    def passages_for_report(self, report_id: str) -> list[Passage]:
        rows = self.execute(
            "SELECT rowid, * FROM passages WHERE report_id = ? ORDER BY ordinal", (report_id,)
        )
        themes = self.themes_for_rowids([r["rowid"] for r in rows])
        return [self._row_to_passage(r, themes.get(r["rowid"], [])) for r in rows]

    def passages_by_rowid(self, rowids: Sequence[int]) -> dict[int, Passage]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        rows = self.execute(f"SELECT rowid, * FROM passages WHERE rowid IN ({marks})", rowids)
        themes = self.themes_for_rowids(rowids)
        return {r["rowid"]: self._row_to_passage(r, themes.get(r["rowid"], [])) for r in rows}

    def passage(self, passage_id: str) -> Passage:
        rows = self.execute("SELECT rowid, * FROM passages WHERE id = ?", (passage_id,))
        if not rows:
            raise NotFound(f"no passage with id {passage_id!r}")
        themes = self.themes_for_rowids([rows[0]["rowid"]])
        return self._row_to_passage(rows[0], themes.get(rows[0]["rowid"], []))

    def themes_for_rowids(self, rowids: Sequence[int]) -> dict[int, list[ThemeTag]]:
        out: dict[int, list[ThemeTag]] = {}
        for chunk_start in range(0, len(rowids), 900):
            chunk = list(rowids[chunk_start : chunk_start + 900])
            marks = ",".join("?" * len(chunk))
            for r in self.execute(
                f"SELECT * FROM passage_themes WHERE passage_rowid IN ({marks}) "
                "ORDER BY confidence DESC",
                chunk,
            ):
                out.setdefault(r["passage_rowid"], []).append(
                    ThemeTag(
                        theme_id=r["theme_id"],
                        confidence=r["confidence"],
                        evidence=r["evidence"],
                        start=r["start"],
                        end=r["end"],
                        stage=r["stage"],
                    )
                )
        return out

    @staticmethod
    def _row_to_passage(row: sqlite3.Row, themes: list[ThemeTag]) -> Passage:
        return Passage(
            id=row["id"],
            report_id=row["report_id"],
            ordinal=row["ordinal"],
            text=row["text"],
            heading_path=json.loads(row["heading_path_json"]),
            section_kind=row["section_kind"],
            page_start=row["page_start"],
            page_end=row["page_end"],
            char_start=row["char_start"],
            char_end=row["char_end"],
            paragraph=row["paragraph"],
            themes=themes,
        )

    def passage_count(self) -> int:
        return int(self.execute("SELECT COUNT(*) FROM passages")[0][0])

    def passage_vectors(self, report_id: str) -> tuple[list[str], np.ndarray | None]:
        """A report's passage ids in reading order and their stored embeddings (None when
        any passage lacks one)."""
        rows = self.execute(
            "SELECT id, embedding FROM passages WHERE report_id = ? ORDER BY ordinal",
            (report_id,),
        )
        if not rows or any(r[1] is None for r in rows):
            return [r[0] for r in rows], None
        return [r[0] for r in rows], np.vstack(
            [np.frombuffer(r[1], dtype=np.float32) for r in rows]
        )

    def passage_refs(self, rowids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """rowid -> (passage id, report id), for the rowids still in the store."""
        out: dict[int, tuple[str, str]] = {}
        for start in range(0, len(rowids), 900):
            chunk = list(rowids[start : start + 900])
            for r in self.execute(
                "SELECT rowid, id, report_id FROM passages "
                f"WHERE rowid IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                out[int(r[0])] = (r[1], r[2])
        return out

    def recommendations_for_reports(
        self, report_ids: Sequence[str]
    ) -> dict[str, list[Recommendation]]:
        """Each report's recommendations, in the report's order."""
        if not report_ids:
            return {}
        out: dict[str, list[Recommendation]] = {}
        for r in self.execute(
            "SELECT report_id, number, text, addressee, page, themes_json FROM recommendations "
            f"WHERE report_id IN ({','.join('?' * len(report_ids))}) ORDER BY report_id, ordinal",
            list(report_ids),
        ):
            out.setdefault(r[0], []).append(
                Recommendation(
                    number=r[1], text=r[2], addressee=r[3], page=r[4], themes=json.loads(r[5])
                )
            )
        return out

    def iter_embeddings(self, batch: int = 20000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (rowids, vectors) in batches, for rebuilding the vector index."""
        last = 0
        while True:
            rows = self.execute(
                "SELECT rowid, embedding FROM passages WHERE rowid > ? AND embedding IS NOT NULL "
                "ORDER BY rowid LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            vecs = np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
            last = int(ids[-1])
            yield ids, vecs

    # ------------------------------------------------------------------ filters
    def filter_sql(self, filters: SearchFilters) -> tuple[str, list[Any]]:
        """SQL over ``passages p JOIN reports r`` selecting passage rowids that pass the filters."""
        where, params = report_conditions(filters)
        for theme in filters.themes:
            where.append("p.rowid IN (SELECT passage_rowid FROM passage_themes WHERE theme_id = ?)")
            params.append(theme)
        clause = " AND ".join(where) if where else "1"
        return (
            f"SELECT p.rowid FROM passages p JOIN reports r ON r.id = p.report_id WHERE {clause}",
            params,
        )

    def passage_rowids(self) -> np.ndarray:
        """Every stored passage's rowid, in no set order: SQLite reads them from its
        smallest index (a tenth of a second at 300k passages; in rowid order it would read
        the whole table, several times slower)."""
        rows = self.execute("SELECT rowid FROM passages")
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def passages_kept_upto(self, rowid: int) -> int:
        """How many stored passages have a rowid of at most ``rowid`` (rowids are never
        reused: fewer than were there means some were deleted). Milliseconds at 300k."""
        # one statement, so one snapshot: a write between two counts could hide a deletion
        sql = (
            "SELECT (SELECT COUNT(*) FROM passages)"
            " - (SELECT COUNT(*) FROM passages WHERE rowid > ?)"
        )
        return int(self.execute(sql, (rowid,))[0][0])

    def filtered_rowids(self, filters: SearchFilters) -> np.ndarray:
        sql, params = self.filter_sql(filters)
        rows = self.execute(sql, params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    # ------------------------------------------------------------------ stats
    def stats(self) -> dict[str, Any]:
        one = lambda sql: self.execute(sql)[0][0]  # noqa: E731
        return {
            "reports": one("SELECT COUNT(*) FROM reports"),
            "reports_without_text": one("SELECT COUNT(*) FROM reports WHERE status='no_text'"),
            "passages": one("SELECT COUNT(*) FROM passages"),
            "pages": one("SELECT COALESCE(SUM(page_count), 0) FROM reports"),
            "tagged_passages": one("SELECT COUNT(DISTINCT passage_rowid) FROM passage_themes"),
            "theme_tags": one("SELECT COUNT(*) FROM passage_themes"),
            "recommendations": one("SELECT COUNT(*) FROM recommendations"),
            "years": [
                r[0]
                for r in self.execute(
                    "SELECT DISTINCT year FROM reports WHERE year IS NOT NULL ORDER BY year"
                )
            ],
            "review_types": {
                r[0]: r[1]
                for r in self.execute(
                    "SELECT COALESCE(review_type, 'unknown'), COUNT(*) FROM reports GROUP BY 1"
                )
            },
            "nations": {
                r[0]: r[1]
                for r in self.execute(
                    "SELECT COALESCE(nation, 'unknown'), COUNT(*) FROM reports GROUP BY 1"
                )
            },
            "generation": self.generation(),
        }
