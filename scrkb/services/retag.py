"""Re-tag a whole store after a taxonomy or model change, without re-embedding anything.

Passages and their vectors stay as they are (their ids are cited by packs); theme tags,
recommendations and metadata are recomputed. Metadata and recommendations need the
report's layout, so they come from the copy of the original kept at ingest; a report
whose copy is missing keeps its metadata and only gets new passage tags.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from scrkb.config import Settings
from scrkb.index.store import Store
from scrkb.models import Recommendation, ReportMetadata, ThemeTag
from scrkb.nlp.metadata import fill_from_listing

RETAG_BATCH_REPORTS = 50  # reports tagged per call: enough passages to use both cores


def _reannotate_from_original(
    path: Path,
) -> tuple[ReportMetadata, list[Recommendation]] | None:
    from scrkb.errors import ScrkbError
    from scrkb.ingest.extract import extract
    from scrkb.nlp.annotate import detect_title
    from scrkb.nlp.metadata import extract_metadata
    from scrkb.nlp.recommendations import extract_recommendations
    from scrkb.nlp.structure import structure

    try:
        doc = extract(path)
    except ScrkbError:
        return None
    structured = structure(doc)
    return (
        extract_metadata(doc, structured, detect_title(doc)),
        extract_recommendations(structured),
    )


def retag_store(
    settings: Settings,
    *,
    on_start: Callable[[int], None] | None = None,
    on_report: Callable[[str], None] | None = None,
) -> dict:
    from scrkb.nlp.themes import get_tagger

    tagger = get_tagger()
    processes = os.cpu_count() or 1
    totals = {"reports": 0, "passages": 0, "tags": 0, "tagger": tagger.version}
    with Store(settings.db_path) as store:
        report_ids = store.report_ids()
        if on_start:
            on_start(len(report_ids))
        for batch_start in range(0, len(report_ids), RETAG_BATCH_REPORTS):
            batch = report_ids[batch_start : batch_start + RETAG_BATCH_REPORTS]
            tagged = _tag_batch(store, tagger, batch, processes)
            for report_id in batch:
                themes = tagged[report_id]
                report = store.get_report(report_id)
                metadata, recommendations = report.metadata, report.recommendations
                original = report.provenance.get("original")
                if original and report.status == "ok":
                    fresh = _reannotate_from_original(settings.home / "files" / str(original))
                    if fresh is not None:
                        metadata, recommendations = fresh
                metadata = fill_from_listing(metadata, report.provenance)
                if recommendations:
                    tagger.tag_recommendations(recommendations)
                store.replace_annotations(report_id, metadata, recommendations, themes)
                totals["reports"] += 1
                totals["passages"] += len(themes)
                totals["tags"] += sum(len(t) for t in themes.values())
                if on_report:
                    on_report(report_id)
    return totals


def _tag_batch(store: Store, tagger, report_ids: list[str],  # noqa: ANN001 - Tagger
               processes: int) -> dict[str, dict[str, list[ThemeTag]]]:
    """Tag the passages of several reports in one call, so parsing runs on every core."""
    passages, vectors, owner = [], [], []
    for report_id in report_ids:
        report_passages = store.passages_for_report(report_id)
        _, report_vectors = store.passage_vectors(report_id)
        if report_passages and report_vectors is None:  # not embedded: tag this one alone
            report_vectors = tagger.embedder.encode([p.text for p in report_passages])
        passages.extend(report_passages)
        if report_passages:
            vectors.append(report_vectors)
        owner.extend([report_id] * len(report_passages))
    out: dict[str, dict[str, list[ThemeTag]]] = {rid: {} for rid in report_ids}
    if not passages:
        return out
    tagged = tagger.tag_passages(passages, np.vstack(vectors), processes=processes)
    for report_id, passage in zip(owner, tagged, strict=True):
        out[report_id][passage.id] = passage.themes
    return out
