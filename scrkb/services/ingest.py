"""Ingest: files on disk → extracted, structured, tagged, embedded passages in the store.

The use case that runs every stage in turn: ``ingest.extract`` → ``nlp.structure`` →
``nlp.passages`` → ``nlp.embedding`` → ``nlp.annotate`` (themes, metadata,
recommendations) → ``index.store`` and ``index.vectors``.

Each file is one unit of work that either lands whole (one SQLite transaction) or not at
all; a bad file is reported with a one-line reason and the batch carries on. The vector
index is brought up to date once, at the end of the batch.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scrkb.config import Settings
from scrkb.errors import ExtractionError, ReadOnly, ScrkbError
from scrkb.index.store import Store
from scrkb.index.vectors import sync_vector_index
from scrkb.ingest.files import discover, report_id_for, sha256_file
from scrkb.ingest.isolate import extractor_for
from scrkb.ingest.ocr import tesseract_version
from scrkb.models import Report, ReportMetadata
from scrkb.nlp.embedding import embedding_text, get_embedder
from scrkb.nlp.metadata import fill_from_listing

log = logging.getLogger(__name__)

Status = Literal["added", "replaced", "unchanged", "duplicate", "no_text", "failed"]


@dataclass
class FileOutcome:
    path: str
    status: Status
    report_id: str | None = None
    title: str | None = None
    passages: int = 0
    pages: int = 0
    reason: str | None = None  # machine-readable, for failures
    message: str | None = None  # one line for people


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: dict[str, float] = field(
        default_factory=lambda: {
            "extract": 0.0,
            "structure": 0.0,
            "annotate": 0.0,
            "embed": 0.0,
            "store": 0.0,
            "vectors": 0.0,
        }
    )

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def documents(self) -> int:
        return sum(1 for o in self.outcomes if o.status in ("added", "replaced", "no_text"))

    @property
    def passages(self) -> int:
        return sum(o.passages for o in self.outcomes)

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outcomes)

    @property
    def failures(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "added": self.count("added"),
            "replaced": self.count("replaced"),
            "unchanged": self.count("unchanged"),
            "duplicates": self.count("duplicate"),
            "no_text": self.count("no_text"),
            "failed": len(self.failures),
            "passages": self.passages,
            "pages": self.pages,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "files": [o.__dict__ for o in self.outcomes],
        }


class Ingestor:
    """Holds the store and models for a batch, so they load once."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        if settings.is_read_only():
            raise ReadOnly(
                f"the data home {settings.home} is read-only: ingest into a writable copy "
                "and publish it as a new snapshot"
            )
        self.settings = settings
        self.store = store or Store(settings.db_path)
        self._owns_store = store is None
        self._annotator = None
        # Files come from outside: each is read in a child with a memory ceiling.
        self.extractor = extractor_for(settings)

    def close(self) -> None:
        self.extractor.close()
        if self._owns_store:
            self.store.close()

    @property
    def annotator(self):  # noqa: ANN201 - heavy, built on first use
        if self._annotator is None:
            from scrkb.nlp.annotate import get_annotator

            self._annotator = get_annotator()
        return self._annotator

    def ingest(
        self,
        paths: Iterable[Path],
        *,
        provenance: dict[str, dict[str, Any]] | None = None,
        on_file: Callable[[Path, FileOutcome], None] | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> IngestSummary:
        files = discover(paths)
        if on_start:
            on_start(len(files))
        summary = IngestSummary()
        generation_before = self.store.generation()
        for path in files:
            extra = (provenance or {}).get(str(path))
            outcome = self._ingest_one(path, summary, extra)
            summary.outcomes.append(outcome)
            if on_file:
                on_file(path, outcome)
        if self.store.generation() != generation_before:
            t = time.perf_counter()
            sync_vector_index(
                self.store,
                self.settings.vectors_dir,
                model_path=self.settings.resolved_model_path(),
            )
            summary.seconds["vectors"] += time.perf_counter() - t
        return summary

    def _ingest_one(
        self, path: Path, summary: IngestSummary, provenance: dict[str, Any] | None
    ) -> FileOutcome:
        shown = str(path)
        try:
            return self._process(path, summary, provenance)
        except ExtractionError as exc:
            return FileOutcome(shown, "failed", reason=exc.reason, message=exc.message)
        except ScrkbError as exc:
            return FileOutcome(shown, "failed", reason="error", message=exc.message)
        except MemoryError:
            return FileOutcome(shown, "failed", reason="too_large", message="ran out of memory")
        except Exception as exc:  # one bad file must never stop the batch
            log.error("unexpected error ingesting %s:\n%s", path, traceback.format_exc())
            return FileOutcome(
                shown,
                "failed",
                reason="error",
                message=f"unexpected error: {type(exc).__name__}: {exc}",
            )

    def _process(
        self, path: Path, summary: IngestSummary, provenance: dict[str, Any] | None
    ) -> FileOutcome:
        from scrkb.nlp.passages import split_passages
        from scrkb.nlp.structure import structure

        shown = str(path)
        if not path.exists():
            return FileOutcome(shown, "failed", reason="unreadable", message="file not found")
        if not path.is_file():
            return FileOutcome(shown, "failed", reason="unreadable", message="not a regular file")
        source = (provenance or {}).get("url") or str(path.resolve())
        size = path.stat().st_size
        existing = self.store.find_by_source(source)
        if size <= self.settings.max_file_mb * 2**20 and size > 0:
            sha = sha256_file(path)
            if existing and existing["sha256"] == sha:
                return FileOutcome(
                    shown, "unchanged", report_id=existing["id"], title=existing["title"]
                )
            twin = self.store.find_by_sha256(sha)
            if twin and twin["source"] != source:
                return FileOutcome(
                    shown,
                    "duplicate",
                    report_id=twin["id"],
                    title=twin["title"],
                    message=f"same content as already ingested {twin['title']!r}",
                )

        t = time.perf_counter()
        doc = self.extractor.extract(path)
        summary.seconds["extract"] += time.perf_counter() - t
        report_id = existing["id"] if existing else report_id_for(source)
        original = self._keep_original(path, doc.sha256)
        prov: dict[str, Any] = {"ingested_from": str(path), "original": original}
        prov.update(ocr_provenance(doc))
        prov.update(provenance or {})

        def report_of(**fields: Any) -> Report:
            return Report(
                id=report_id,
                source=source,
                source_url=prov.get("url"),
                sha256=doc.sha256,
                format=doc.format,
                size_bytes=doc.size_bytes,
                page_count=doc.page_count,
                provenance=prov,
                **fields,
            )

        if not doc.has_text:
            reason = next((w for w in doc.warnings if "scanned page" in w), None)
            report = report_of(
                title=doc.title or path.stem,
                status="no_text",
                status_reason="no text layer (needs OCR)" + (f": {reason}" if reason else ""),
                metadata=fill_from_listing(ReportMetadata(), prov),
            )
            self.store.replace_report(report, [], None)
            return FileOutcome(
                shown,
                "no_text",
                report_id=report_id,
                title=report.title,
                pages=doc.page_count,
                reason="scanned",
                message="no text layer (needs OCR): kept as a document without passages",
            )

        t = time.perf_counter()
        structured = structure(doc)
        passages = split_passages(structured, report_id)
        summary.seconds["structure"] += time.perf_counter() - t

        t = time.perf_counter()
        embedder = get_embedder(self.settings.resolved_model_path(), self.settings.embed_batch_size)
        vectors = embedder.encode([embedding_text(p.text, p.heading_path) for p in passages])
        summary.seconds["embed"] += time.perf_counter() - t

        t = time.perf_counter()
        annotation = self.annotator.annotate(doc, structured, passages, vectors)
        summary.seconds["annotate"] += time.perf_counter() - t

        report = report_of(
            title=annotation.title or doc.title or path.stem,
            metadata=fill_from_listing(annotation.metadata, prov),
            recommendations=annotation.recommendations,
        )
        t = time.perf_counter()
        self.store.replace_report(report, annotation.passages, vectors, text=structured.text)
        summary.seconds["store"] += time.perf_counter() - t
        return FileOutcome(
            shown,
            "replaced" if existing else "added",
            report_id=report_id,
            title=report.title,
            passages=len(passages),
            pages=doc.page_count,
        )

    def _keep_original(self, path: Path, sha256: str) -> str:
        """Keep a copy of the file so its link keeps working when the source moves."""
        target_dir = self.settings.home / "files"
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / f"{sha256}{path.suffix.lower()}"
        if not target.exists():
            # A copy, not a hard link: a source rewritten in place must not change it.
            tmp = target.with_suffix(target.suffix + ".tmp")
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        return target.name


def ocr_provenance(doc: Any) -> dict[str, str | int | None]:
    """Provenance marks for text that came from OCR: engine, pages, mean word confidence."""
    pages = [p for p in doc.pages if p.ocr_confidence is not None]
    if not pages:
        return {"text_layer": "original"} if doc.format == "pdf" else {}
    mean = sum(p.ocr_confidence for p in pages) / len(pages)
    return {
        "text_layer": "ocr" if len(pages) == doc.page_count else "original+ocr",
        "ocr_engine": tesseract_version(),
        "ocr_pages": ",".join(str(p.number) for p in pages),
        "ocr_confidence": round(mean),
    }


def ingest_paths(
    paths: Iterable[Path],
    settings: Settings,
    *,
    provenance: dict[str, dict[str, Any]] | None = None,
    on_file: Callable[[Path, FileOutcome], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Ingest files and folders into the data home named by ``settings``.

    ``provenance`` maps a file path (as given) to crawl facts: ``url`` (becomes the
    report's source and link), listing metadata, fetched-at, HTTP status, ETag...
    """
    ingestor = Ingestor(settings)
    try:
        return ingestor.ingest(paths, provenance=provenance, on_file=on_file, on_start=on_start)
    finally:
        ingestor.close()
