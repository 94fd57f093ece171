"""Re-tag a whole store after a taxonomy or model change, without re-embedding anything.

Passages and their vectors stay as they are (their ids are cited by packs); theme tags,
recommendations and metadata are recomputed. Metadata and recommendations need the
report's layout, so they come from the copy of the original kept at ingest; a report
whose copy is missing keeps its metadata and only gets new passage tags.

Retag takes ingest's path (``services.pipeline``): the originals are re-read and the
passages tagged in worker processes on every core, while this process reads the stored
vectors, embeds the recommendations and writes each report's annotations in one
transaction. A store embedded in another form than the configured one is re-embedded
first: the tagger compares passage vectors with its own, so they must be of one form.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from scrkb.config import Settings
from scrkb.errors import ScrkbError
from scrkb.index.lexical import LEXICAL_DIR, sync_lexical_index
from scrkb.index.store import Store
from scrkb.models import Passage, Recommendation, ReportMetadata, ThemeTag
from scrkb.nlp.embedding import get_embedder
from scrkb.nlp.metadata import fill_from_listing
from scrkb.services.ingest import ExtractorSpec, close_worker_extractor, worker_extractor
from scrkb.services.pipeline import (
    StageSeconds,
    Tagged,
    TagJob,
    Unit,
    Workers,
    run_units,
    worker_count,
)

# What retag reads again from a kept copy: metadata, recommendations, and by passage id
# the paragraph it starts in with its offsets (to match only a passage cut the same way).
Described = tuple[ReportMetadata, list[Recommendation], dict[str, tuple[int, int, int]]]


def describe_original(path: str, report_id: str, spec: ExtractorSpec) -> Described | None:
    """Worker side of retag's ``prepare``: metadata and recommendations from the kept copy,
    and the paragraph each passage starts in (by passage id: the same text cut the same
    way has the same id), for passages stored before paragraphs were counted.

    The copy is read as ingest reads a file (``worker_extractor``: a child with a memory
    ceiling and a time limit, under the settings' limits): a kept copy is a stranger's
    file too, and a retag of thousands must not be stopped by one."""
    from scrkb.nlp.annotate import describe
    from scrkb.nlp.passages import split_passages
    from scrkb.nlp.structure import structure

    try:
        doc = worker_extractor(spec).extract(Path(path))
    except ScrkbError:
        return None
    structured = structure(doc)
    described = describe(doc, structured)
    paragraphs = {
        p.id: (p.paragraph, p.char_start, p.char_end)
        for p in split_passages(structured, report_id)
        if p.paragraph
    }
    return described.metadata, described.recommendations, paragraphs


def tagger_version() -> str:
    from scrkb.nlp.themes import get_tagger

    return get_tagger().version


class ReportUnit(Unit):
    """One stored report: re-read, re-tagged with its stored vectors, annotations swapped."""

    def __init__(
        self,
        store: Store,
        files_dir: Path,
        report_id: str,
        totals: dict[str, Any],
        extract: ExtractorSpec,
    ):
        self.store = store
        self.files_dir = files_dir
        self.extract = extract
        self.report_id = report_id
        self.totals = totals
        self.error: str | None = None
        self.passages: list[Passage] = []
        self.vectors: np.ndarray | None = None
        self.metadata = ReportMetadata()
        self.recommendations: list[Recommendation] = []
        self.provenance: dict[str, Any] = {}
        self.paragraphs: dict[str, tuple[int, int, int]] = {}
        self._texts: list[str] = []

    def prepare_call(self):  # noqa: ANN201
        report = self.store.get_report(self.report_id)
        self.passages = self.store.passages_for_report(self.report_id)
        _, self.vectors = self.store.passage_vectors(self.report_id)
        self.metadata, self.recommendations = report.metadata, report.recommendations
        self.provenance = report.provenance
        original = report.provenance.get("original")
        if original and report.status == "ok":
            path = str(self.files_dir / str(original))
            return describe_original, (path, self.report_id, self.extract)
        return None

    def prepared(self, result: Described | None) -> bool:
        if result is not None:
            self.metadata, self.recommendations, self.paragraphs = result
        return True

    def embed_texts(self) -> list[str]:
        if not self._texts:
            # what the tagger would embed itself: plain text (passages only when a stored
            # vector is missing, which ingest never leaves)
            missing = [p.text for p in self.passages] if self.vectors is None else []
            self._texts = missing + [r.text for r in self.recommendations]
        return self._texts

    def tag_job(self, vectors: np.ndarray) -> TagJob:
        if self.vectors is None:
            self.vectors, vectors = vectors[: len(self.passages)], vectors[len(self.passages) :]
        return TagJob(
            passages=self.passages,
            vectors=self.vectors,
            recommendations=self.recommendations,
            recommendation_vectors=vectors if self.recommendations else None,
        )

    def tagged(self, result: Tagged) -> None:
        themes: dict[str, list[ThemeTag]] = {p.id: p.themes for p in result.passages}
        metadata = fill_from_listing(self.metadata, self.provenance)
        self.store.replace_annotations(
            self.report_id, metadata, result.recommendations, themes, paragraphs=self.paragraphs
        )
        self.totals["reports"] += 1
        self.totals["passages"] += len(result.passages)
        self.totals["tags"] += sum(len(t) for t in themes.values())

    def fail(self, message: str) -> None:
        self.error = message
        self.totals["failed"].append({"report_id": self.report_id, "message": message})

    def release(self) -> None:
        self.passages, self.vectors, self.recommendations = [], None, []
        self.paragraphs, self._texts = {}, []


def retag_store(
    settings: Settings,
    *,
    on_start: Callable[[int], None] | None = None,
    on_report: Callable[[str], None] | None = None,
    on_reembed: Callable[[int, int], None] | None = None,
) -> dict:
    from scrkb.services.reembed import reembed_store

    with Store(settings.db_path) as store:
        report_ids = store.report_ids()
        if on_start:
            on_start(len(report_ids))
        reembed_store(store, settings, on_progress=on_reembed)
        form = settings.embedding_form_for(store.embedding_form())
        workers = Workers(settings, worker_count(settings, len(report_ids)), form=form)
        totals: dict[str, Any] = {
            "reports": 0,
            "passages": 0,
            "tags": 0,
            "workers": workers.count,
            "failed": [],
        }
        embedder = get_embedder(
            settings.resolved_model_path(),
            settings.embed_batch_size,
            form=form,  # type: ignore[arg-type]
        )
        files_dir = settings.home / "files"
        extract = ExtractorSpec.from_settings(settings)
        try:
            totals["tagger"] = workers.executor().submit(tagger_version).result()
            run_units(
                [ReportUnit(store, files_dir, rid, totals, extract) for rid in report_ids],
                workers=workers,
                embedder=embedder,
                seconds=StageSeconds(),
                on_done=lambda unit: on_report(unit.report_id) if on_report else None,  # type: ignore[attr-defined]
            )
        except BaseException:
            workers.abort()  # interrupted or failed: reports in flight are not waited for
            raise
        finally:
            workers.close()
            close_worker_extractor()  # the child that read the copies here, if any
        # the BM25 index holds each passage's tags: rebuilt now, not at the first search
        sync_lexical_index(store, settings.home / LEXICAL_DIR)
    return totals
