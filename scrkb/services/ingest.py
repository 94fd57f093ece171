"""Ingest: files on disk → extracted, structured, tagged, embedded passages in the store.

Every file is hashed once, first, before anything is extracted: a file whose source and
content are already stored is ``unchanged``, one whose content is stored (or earlier in
the batch) under another source is a ``duplicate``. Re-ingesting an unchanged folder
therefore reads each file once and loads no model.

The rest go through ``services.pipeline``: ``ingest.extract`` → ``nlp.structure`` →
``nlp.passages`` → ``nlp.annotate.describe`` (title, metadata, recommendations) in worker
processes, ``nlp.embedding`` here, ``nlp.annotate.tag_report`` in the workers again, then
``index.store`` here. Each file is one unit of work that either lands whole (one SQLite
transaction) or not at all; a bad file is reported with a one-line reason and the batch
carries on. A store embedded in another form is re-embedded first (``services.reembed``),
and the vector index is brought up to date once, at the end of the batch.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np

from scrkb.config import Settings
from scrkb.errors import ExtractionError, ReadOnly, ScrkbError
from scrkb.index.lexical import LEXICAL_DIR, sync_lexical_index
from scrkb.index.store import Store
from scrkb.index.vectors import sync_vector_index
from scrkb.ingest.files import discover, report_id_for, sha256_file
from scrkb.ingest.guards import ExtractLimits
from scrkb.ingest.isolate import InProcessExtractor, IsolatedExtractor
from scrkb.ingest.ocr import OcrOptions, tesseract_version
from scrkb.models import Passage, Recommendation, Report, ReportMetadata
from scrkb.nlp.embedding import Embedder, embedding_text, get_embedder
from scrkb.nlp.metadata import fill_from_listing
from scrkb.services.pipeline import (
    PARALLEL_MIN_UNITS,
    StageSeconds,
    Tagged,
    TagJob,
    Unit,
    Workers,
    cpu_now,
    run_units,
    worker_count,
)

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
    # CPU seconds per stage, summed over processes (hash, store and vectors: wall
    # seconds here): with workers they add up to more than the wall time.
    seconds: dict[str, float] = field(
        default_factory=lambda: {
            "hash": 0.0,
            "extract": 0.0,
            "structure": 0.0,
            "describe": 0.0,
            "embed": 0.0,
            "tag": 0.0,
            "store": 0.0,
            "vectors": 0.0,
        }
    )
    workers: int = 0  # worker processes used (0: all in this process)
    embedding: str | None = None  # the form and runtime the passages were embedded with

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
            "workers": self.workers,
            "embedding": self.embedding,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "files": [o.__dict__ for o in self.outcomes],
        }


# --------------------------------------------------------------------------- prepare (worker)
@dataclass(frozen=True)
class ExtractorSpec:
    """How files are read (main's hardening, the same on both paths): the limits of
    ``guards.py``, and a child process with a memory ceiling of ``memory_mb`` (0: in the
    process that prepares the file)."""

    max_bytes: int
    max_pages: int
    limits: ExtractLimits
    memory_mb: int
    ocr: OcrOptions | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractorSpec:
        return cls(
            max_bytes=settings.max_file_mb * 2**20,
            max_pages=settings.max_pages,
            limits=ExtractLimits.from_settings(settings),
            memory_mb=settings.extract_memory_mb,
            ocr=OcrOptions.from_settings(settings),
        )

    def build(self) -> IsolatedExtractor | InProcessExtractor:
        common: dict[str, Any] = {
            "max_bytes": self.max_bytes,
            "max_pages": self.max_pages,
            "limits": self.limits,
            "ocr": self.ocr,
        }
        if self.memory_mb > 0:
            return IsolatedExtractor(**common, memory_mb=self.memory_mb)
        return InProcessExtractor(**common)


_worker_extractor: tuple[ExtractorSpec, InProcessExtractor] | None = None
_finalizer: list[Any] = []  # the one exit hook that stops it, registered once per process


def worker_extractor(spec: ExtractorSpec) -> InProcessExtractor:
    """This worker process's extractor: one bounded child serves every file the worker
    prepares (started once, replaced after a file that failed or grew), and is stopped
    when the worker exits."""
    global _worker_extractor
    if _worker_extractor is not None and _worker_extractor[0] == spec:
        return _worker_extractor[1]
    if _worker_extractor is not None:
        _worker_extractor[1].close()
    elif not _finalizer:
        from multiprocessing import util

        _finalizer.append(util.Finalize(None, close_worker_extractor, exitpriority=10))
    _worker_extractor = (spec, spec.build())
    return _worker_extractor[1]


def load_prepare_stage(spec: ExtractorSpec, extractor: InProcessExtractor | None = None) -> None:
    """Load what the prepare stage reads on first use (the word lists of cleaning, the
    publisher gazetteer of metadata) and start the extractor (``extractor``, else this
    worker's): a warmed worker's first report costs what any other does."""
    from scrkb.nlp.annotate import describe  # noqa: F401 - the imports are the point
    from scrkb.nlp.clean import load_word_lists
    from scrkb.nlp.passages import split_passages  # noqa: F401
    from scrkb.nlp.structure import structure  # noqa: F401
    from scrkb.reference import find_publishers

    load_word_lists()
    find_publishers("")  # builds the gazetteer's pattern
    (extractor or worker_extractor(spec)).start()


def close_worker_extractor() -> None:
    """Stop this process's extractor child (a worker's at exit; retag's own when it ran
    without workers)."""
    global _worker_extractor
    if _worker_extractor is not None:
        _worker_extractor[1].close()
        _worker_extractor = None


@dataclass
class PrepareJob:
    path: str
    sha256: str | None
    report_id: str
    files_dir: str
    extract: ExtractorSpec


@dataclass
class Refused:
    reason: str
    message: str
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Prepared:
    """Everything about one file that needs no vectors."""

    sha256: str
    format: str
    size_bytes: int
    page_count: int
    has_text: bool
    doc_title: str | None
    original: str
    extracted: dict[str, Any] = field(default_factory=dict)  # how the text was read (OCR)
    no_text_reason: str | None = None
    text: str = ""
    passages: list[Passage] = field(default_factory=list)
    title: str | None = None
    metadata: ReportMetadata = field(default_factory=ReportMetadata)
    recommendations: list[Recommendation] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def prepare_file(
    job: PrepareJob, extractor: InProcessExtractor | None = None
) -> Prepared | Refused:
    """The ``prepare`` stage of one file (in a worker, with the worker's extractor; in
    this process, with the batch's own): a refusal is a value, not a raise."""
    try:
        return _prepare(job, extractor or worker_extractor(job.extract))
    except ExtractionError as exc:
        return Refused(exc.reason, exc.message)
    except ScrkbError as exc:
        return Refused("error", exc.message)
    except MemoryError:
        return Refused("too_large", "ran out of memory")
    except Exception as exc:  # one bad file must never stop the batch
        log.error("unexpected error ingesting %s:\n%s", job.path, traceback.format_exc())
        return Refused("error", f"unexpected error: {type(exc).__name__}: {exc}")


def _prepare(job: PrepareJob, extractor: InProcessExtractor) -> Prepared:
    from scrkb.nlp.annotate import describe
    from scrkb.nlp.passages import split_passages
    from scrkb.nlp.structure import structure

    path = Path(job.path)
    seconds: dict[str, float] = {}  # CPU seconds of this worker (and its OCR processes)
    t = cpu_now()
    # Files come from outside: each is read in a child with a memory ceiling and a time
    # limit (``ingest/isolate.py``); only its text comes back, with the CPU it cost.
    doc = extractor.extract(path, sha256=job.sha256)
    seconds["extract"] = cpu_now() - t
    if isinstance(extractor, IsolatedExtractor):
        seconds["extract"] += extractor.cpu_seconds
    prepared = Prepared(
        sha256=doc.sha256,
        format=doc.format,
        size_bytes=doc.size_bytes,
        page_count=doc.page_count,
        has_text=doc.has_text,
        doc_title=doc.title,
        original=keep_original(path, doc.sha256, Path(job.files_dir)),
        extracted=ocr_provenance(doc),
        no_text_reason=next((w for w in doc.warnings if "scanned page" in w), None),
        seconds=seconds,
    )
    if not doc.has_text:
        return prepared
    t = cpu_now()
    structured = structure(doc)
    prepared.passages = split_passages(structured, job.report_id)
    prepared.text = structured.text
    seconds["structure"] = cpu_now() - t
    t = cpu_now()
    described = describe(doc, structured)
    prepared.title = described.title
    prepared.metadata = described.metadata
    prepared.recommendations = described.recommendations
    seconds["describe"] = cpu_now() - t
    return prepared


def keep_original(path: Path, sha256: str, target_dir: Path) -> str:
    """Keep a copy of the file so its link keeps working when the source moves."""
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{sha256}{path.suffix.lower()}"
    if not target.exists():
        # A copy, not a hard link: a source rewritten in place must not change it.
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    return target.name


# --------------------------------------------------------------------------- one file
class FileUnit(Unit):
    """One file through the pipeline; written to the store by ``tagged``."""

    def __init__(
        self,
        ingestor: Ingestor,
        index: int,
        path: Path,
        source: str,
        sha256: str | None,
        existing: dict[str, Any] | None,
        provenance: dict[str, Any] | None,
    ) -> None:
        self.ingestor = ingestor
        self.index = index
        self.path = path
        self.source = source
        self.sha256 = sha256
        self.existing = existing
        self.report_id = existing["id"] if existing else report_id_for(source)
        self.provenance = provenance or {}
        self.twins: list[
            tuple[int, str]
        ] = []  # later files of the batch, same content: (index, source)
        self.doc: Prepared | None = None
        self.vectors: np.ndarray | None = None
        self.outcome: FileOutcome | None = None
        self._texts: list[str] | None = None

    @property
    def shown(self) -> str:
        return str(self.path)

    def prepare_call(self):  # noqa: ANN201
        settings = self.ingestor.settings
        job = PrepareJob(
            path=str(self.path),
            sha256=self.sha256,
            report_id=self.report_id,
            files_dir=str(settings.home / "files"),
            extract=self.ingestor.extract_spec,
        )
        if self.ingestor.inline:  # no worker: this process reads with the batch's extractor
            return prepare_file, (job, self.ingestor.extractor)
        return prepare_file, (job,)

    def prepared(self, result: Prepared | Refused) -> bool:
        for stage, value in result.seconds.items():
            self.ingestor.seconds.add(stage, value)
        if isinstance(result, Refused):
            self.outcome = FileOutcome(
                self.shown, "failed", reason=result.reason, message=result.message
            )
            return False
        self.doc = result
        if result.has_text:
            return True
        reason = result.no_text_reason
        report = self._report(
            title=result.doc_title or self.path.stem,
            status="no_text",
            status_reason="no text layer (needs OCR)" + (f": {reason}" if reason else ""),
            metadata=fill_from_listing(ReportMetadata(), self._provenance()),
        )
        self._write(report, [], None)
        if self.outcome is None:
            self.outcome = FileOutcome(
                self.shown,
                "no_text",
                report_id=self.report_id,
                title=report.title,
                pages=result.page_count,
                reason="scanned",
                message="no text layer (needs OCR): kept as a document without passages",
            )
        return False

    def embed_texts(self) -> list[str]:
        if self._texts is None:
            doc = self.doc
            assert doc is not None
            self._texts = [embedding_text(p.text, p.heading_path) for p in doc.passages] + [
                r.text for r in doc.recommendations
            ]
        return self._texts

    def tag_job(self, vectors: np.ndarray) -> TagJob:
        doc = self.doc
        assert doc is not None
        n = len(doc.passages)
        self.vectors = vectors[:n]
        return TagJob(
            passages=doc.passages,
            vectors=vectors[:n],
            recommendations=doc.recommendations,
            recommendation_vectors=vectors[n:] if doc.recommendations else None,
        )

    def tagged(self, result: Tagged) -> None:
        doc = self.doc
        assert doc is not None
        self.ingestor.seconds.add("tag", result.seconds)
        provenance = self._provenance()
        report = self._report(
            title=doc.title or doc.doc_title or self.path.stem,
            metadata=fill_from_listing(doc.metadata, provenance),
            recommendations=result.recommendations,
        )
        self._write(report, result.passages, self.vectors, text=doc.text)
        if self.outcome is None:
            self.outcome = FileOutcome(
                self.shown,
                "replaced" if self.existing else "added",
                report_id=self.report_id,
                title=report.title,
                passages=len(result.passages),
                pages=doc.page_count,
            )

    def fail(self, message: str) -> None:
        log.error("ingesting %s: %s", self.path, message)
        self.outcome = FileOutcome(self.shown, "failed", reason="error", message=message)

    def release(self) -> None:
        self.doc, self.vectors, self._texts = None, None, None

    def _provenance(self) -> dict[str, Any]:
        assert self.doc is not None
        prov: dict[str, Any] = {"ingested_from": str(self.path), "original": self.doc.original}
        prov.update(self.doc.extracted)
        prov.update(self.provenance)
        return prov

    def _report(self, **fields: Any) -> Report:
        doc = self.doc
        assert doc is not None
        provenance = self._provenance()
        return Report(
            id=self.report_id,
            source=self.source,
            source_url=provenance.get("url"),
            sha256=doc.sha256,
            format=doc.format,
            size_bytes=doc.size_bytes,
            page_count=doc.page_count,
            provenance=provenance,
            **fields,
        )

    def _write(
        self, report: Report, passages: list[Passage], vectors: np.ndarray | None, text: str = ""
    ) -> None:
        t = time.perf_counter()
        try:
            self.ingestor.store.replace_report(
                report, passages, vectors, form=self.ingestor.batch_form, text=text
            )
        except ScrkbError as exc:
            self.outcome = FileOutcome(self.shown, "failed", reason="error", message=exc.message)
        self.ingestor.seconds.add("store", time.perf_counter() - t)


# --------------------------------------------------------------------------- the batch
class Ingestor:
    """Holds the store, the embedder and the worker processes, so models load once."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        if settings.is_read_only():
            raise ReadOnly(
                f"the data home {settings.home} is read-only: ingest into a writable copy "
                "and publish it as a new snapshot"
            )
        self.settings = settings
        self.store = store or Store(settings.db_path)
        self._owns_store = store is None
        self.seconds = StageSeconds()
        self._workers: Workers | None = None
        self.batch_form: str | None = None  # the form this batch's vectors are in
        self.extract_spec = ExtractorSpec.from_settings(settings)
        self.inline = True  # whether the batch runs without workers (set per batch)
        self._again: list[int] = []  # twins of files that failed, to be read on their own
        self._extractor: InProcessExtractor | None = None

    @property
    def extractor(self) -> InProcessExtractor:
        """How this process reads files when a batch runs without workers (each worker
        has its own): a bounded child, started on first use, kept for the batch."""
        if self._extractor is None:
            self._extractor = self.extract_spec.build()
        return self._extractor

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()
            self._workers = None
        if self._extractor is not None:
            self._extractor.close()
            self._extractor = None
        if self._owns_store:
            self.store.close()

    def warm(self, files: int = PARALLEL_MIN_UNITS) -> list[int]:
        """Load every model now, for a batch of about ``files`` files: the embedder here,
        and spaCy, the tagger, the word lists and the extractor in each worker (or here,
        when the batch runs here).
        Returns the workers' process ids. Benchmarks start their clock after this."""
        self.embedder.encode(["warm up"])
        count = worker_count(self.settings, files)
        if self._workers is None or self._workers.count != count:
            if self._workers is not None:
                self._workers.close()
            self._workers = Workers(self.settings, count, form=self.form)
        if not count:
            from scrkb.nlp.themes import get_tagger

            get_tagger()
            load_prepare_stage(self.extract_spec, self.extractor)
        return self._workers.warm(partial(load_prepare_stage, self.extract_spec))

    @property
    def form(self) -> str:
        """The form this batch embeds in: the configured one, else the store's (int8 for a
        new store)."""
        return self.settings.embedding_form_for(self.store.embedding_form())

    @property
    def embedder(self) -> Embedder:
        return get_embedder(
            self.settings.resolved_model_path(),
            self.settings.embed_batch_size,
            form=self.form,  # type: ignore[arg-type]
        )

    def ingest(
        self,
        paths: Iterable[Path],
        *,
        provenance: dict[str, dict[str, Any]] | None = None,
        on_file: Callable[[Path, FileOutcome], None] | None = None,
        on_start: Callable[[int], None] | None = None,
        on_reembed: Callable[[int, int], None] | None = None,
    ) -> IngestSummary:
        files = discover(paths)
        if on_start:
            on_start(len(files))
        summary = IngestSummary()
        self.seconds = StageSeconds(summary.seconds)
        outcomes: list[FileOutcome | None] = [None] * len(files)

        def record(index: int, outcome: FileOutcome) -> None:
            outcomes[index] = outcome
            if on_file:
                on_file(files[index], outcome)

        generation_before = self.store.generation()
        units = self._triage(files, provenance or {}, record)
        if units:
            self.reembed_if_needed(on_reembed)
            # files refused on their size alone (empty, too large) need no worker
            summary.workers = worker_count(self.settings, sum(1 for u in units if u.sha256))
            summary.embedding = f"{self.embedder.form} ({self.embedder.runtime})"
            self._run(units, summary.workers, files, record)
        # A file with the content of one that failed, under another name, is read on its
        # own: a refusal can depend on the name (an .html page is read, the same bytes
        # named .docx are refused as "not a Word document"), and its message names it.
        while self._again:
            again, self._again = sorted(self._again), []
            units = self._triage(files, provenance or {}, record, only=again)
            if units:
                self._run(units, worker_count(self.settings, len(units)), files, record)
        summary.outcomes = [o for o in outcomes if o is not None]
        if self.store.generation() != generation_before:
            t = time.perf_counter()
            sync_vector_index(
                self.store,
                self.settings.vectors_dir,
                model_path=self.settings.resolved_model_path(),
            )
            sync_lexical_index(self.store, self.settings.home / LEXICAL_DIR)
            self.seconds.add("vectors", time.perf_counter() - t)
        return summary

    def reembed_if_needed(self, on_progress: Callable[[int, int], None] | None = None) -> int:
        """Re-embed the store when its vectors are of another form than this ingest's."""
        from scrkb.services.reembed import reembed_store

        t = time.perf_counter()
        count = reembed_store(
            self.store, self.settings, form=self.settings.embedding_form, on_progress=on_progress
        )
        if count:
            self.seconds.add("reembed", time.perf_counter() - t)
        return count

    def _triage(
        self,
        files: list[Path],
        provenance: dict[str, dict[str, Any]],
        record: Callable[[int, FileOutcome], None],
        only: list[int] | None = None,
    ) -> list[FileUnit]:
        """One hash per file, before any extraction: what needs no work is settled here.
        ``only``: these indices of ``files`` (a later pass), else all."""
        units: list[FileUnit] = []
        first_with: dict[str, FileUnit] = {}
        max_bytes = self.settings.max_file_mb * 2**20
        for index in range(len(files)) if only is None else only:
            path = files[index]
            shown = str(path)
            if not path.exists():
                record(
                    index,
                    FileOutcome(shown, "failed", reason="unreadable", message="file not found"),
                )
                continue
            if not path.is_file():
                record(
                    index,
                    FileOutcome(shown, "failed", reason="unreadable", message="not a regular file"),
                )
                continue
            extra = provenance.get(str(path))
            source = (extra or {}).get("url") or str(path.resolve())
            size = path.stat().st_size
            existing = self.store.find_by_source(source)
            sha = None
            if 0 < size <= max_bytes:  # empty and oversized files are refused by extract
                t = time.perf_counter()
                sha = sha256_file(path)
                self.seconds.add("hash", time.perf_counter() - t)
                if existing and existing["sha256"] == sha:
                    record(
                        index,
                        FileOutcome(
                            shown, "unchanged", report_id=existing["id"], title=existing["title"]
                        ),
                    )
                    continue
                twin = self.store.find_by_sha256(sha)
                if twin and twin["source"] != source:
                    record(index, _duplicate(shown, twin["id"], twin["title"]))
                    continue
                if sha in first_with:
                    first_with[sha].twins.append((index, source))
                    continue
            unit = FileUnit(self, index, path, source, sha, existing, extra)
            units.append(unit)
            if sha:
                first_with[sha] = unit
        return units

    def _run(
        self,
        units: list[FileUnit],
        workers: int,
        files: list[Path],
        record: Callable[[int, FileOutcome], None],
    ) -> None:
        embedder = self.embedder
        self.batch_form = embedder.form
        if (
            self._workers is not None
            and self._workers.count == workers
            and self._workers.form == embedder.form
        ):
            pool, owned = self._workers, False  # started by ``warm``: kept for the next batch
        else:
            pool, owned = Workers(self.settings, workers, form=embedder.form), True
        self.inline = pool.count == 0

        def done(unit: Unit) -> None:
            assert isinstance(unit, FileUnit) and unit.outcome is not None
            record(unit.index, unit.outcome)
            for index, source in unit.twins:
                if unit.outcome.status == "failed" and source != unit.source:
                    self._again.append(index)  # read on its own, in a later pass
                else:
                    record(index, _twin_outcome(str(files[index]), source, unit))

        try:
            run_units(
                units,
                workers=pool,
                embedder=embedder,
                seconds=self.seconds,
                on_done=done,
            )
        except BaseException:
            if owned:  # interrupted or failed: files in flight are not waited for
                pool.abort()
            raise
        if owned:
            pool.close()


def _duplicate(shown: str, report_id: str, title: str) -> FileOutcome:
    return FileOutcome(
        shown,
        "duplicate",
        report_id=report_id,
        title=title,
        message=f"same content as already ingested {title!r}",
    )


def _twin_outcome(shown: str, source: str, first: FileUnit) -> FileOutcome:
    """A later file of the batch with the same content as ``first``, now that it is done."""
    outcome = first.outcome
    assert outcome is not None
    if outcome.status == "failed":  # the same file named twice: the same refusal
        return FileOutcome(shown, "failed", reason=outcome.reason, message=outcome.message)
    if source == first.source:  # the same file named twice
        return FileOutcome(shown, "unchanged", report_id=first.report_id, title=outcome.title)
    return _duplicate(shown, first.report_id, outcome.title or first.path.name)


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
    on_reembed: Callable[[int, int], None] | None = None,
) -> IngestSummary:
    """Ingest files and folders into the data home named by ``settings``.

    ``provenance`` maps a file path (as given) to crawl facts: ``url`` (becomes the
    report's source and link), listing metadata, fetched-at, HTTP status, ETag...
    ``on_reembed(done, total)`` reports a re-embedding of the store, when one is needed.
    """
    ingestor = Ingestor(settings)
    try:
        return ingestor.ingest(
            paths,
            provenance=provenance,
            on_file=on_file,
            on_start=on_start,
            on_reembed=on_reembed,
        )
    finally:
        ingestor.close()
