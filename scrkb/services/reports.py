"""Reports: the original file a report was read from, and counts over the knowledge base."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from scrkb.errors import NotFound
from scrkb.index.catalog import file_name
from scrkb.models import Stats
from scrkb.nlp.taxonomy import default_taxonomy
from scrkb.reference import media_type_for
from scrkb.services.container import Services

_KEPT_NAME = re.compile(r"[0-9a-f]{64}\.[a-z0-9]{1,8}")


@dataclass
class OriginalFile:
    """Where to read a report's original: the copy kept at ingest, or its address online."""

    path: Path | None = None
    media_type: str = "application/octet-stream"
    filename: str | None = None
    url: str | None = None


def original_file(services: Services, report_id: str) -> OriginalFile:
    """The copy of the file kept at ingest (it is what was indexed, so its pages match the
    citations), else the original online; NotFound when there is neither."""
    report = services.store.get_report(report_id)
    name = report.provenance.get("original")
    files = (services.settings.home / "files").resolve()
    if isinstance(name, str) and _KEPT_NAME.fullmatch(name):
        path = files / name
        if path.is_file():
            return OriginalFile(
                path=path,
                media_type=media_type_for(report.format),
                filename=file_name(report.source, report.provenance.get("ingested_from")) or name,
            )
    if report.source_url and report.source_url.startswith(("https://", "http://")):
        return OriginalFile(url=report.source_url)
    raise NotFound(f"the original of report {report_id!r} is not kept on this server")


def stats(services: Services) -> Stats:
    """Counts of reports, passages, tags, recommendations, packs and running jobs."""
    return Stats(
        **services.store.stats(),
        themes=len(default_taxonomy().themes),
        packs=services.packs.count(),
        jobs_active=services.jobs.active(),
    )
