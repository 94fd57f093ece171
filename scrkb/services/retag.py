"""Re-tag a whole store after a taxonomy or model change, without re-embedding anything.

Passages and their vectors stay as they are (their ids are cited by packs); theme tags,
recommendations and metadata are recomputed. Metadata and recommendations need the
report's layout, so they come from the copy of the original kept at ingest; a report
whose copy is missing keeps its metadata and only gets new passage tags.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scrkb.config import Settings
from scrkb.index.store import Store
from scrkb.models import Recommendation, ReportMetadata, ThemeTag
from scrkb.nlp.metadata import fill_from_listing


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
    totals = {"reports": 0, "passages": 0, "tags": 0, "tagger": tagger.version}
    with Store(settings.db_path) as store:
        report_ids = store.report_ids()
        if on_start:
            on_start(len(report_ids))
        for report_id in report_ids:
            report = store.get_report(report_id)
            passages = store.passages_for_report(report_id)
            ids, vectors = store.passage_vectors(report_id)
            tagged = tagger.tag_passages(passages, vectors) if passages else []
            themes: dict[str, list[ThemeTag]] = {p.id: p.themes for p in tagged}
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
            totals["passages"] += len(ids)
            totals["tags"] += sum(len(t) for t in themes.values())
            if on_report:
                on_report(report_id)
    return totals
