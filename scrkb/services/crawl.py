"""Crawl, then ingest: the documents a crawl kept go through the ingest pipeline.

The crawl itself (``scrkb.ingest.crawl.runner.crawl``) runs Scrapy in a child process and
records what it found in the crawl state; this use case ingests the documents the
knowledge base lacks, with their crawl facts as provenance, and keeps each report's
"no longer online since" mark in step with the crawl state.

``scrkb crawl`` runs it in the calling process. A crawl job started through the API runs
it in a child process (``python -m scrkb.services.crawl SOURCE --home DIR``), so that a
crawl that crashes cannot take the API worker with it; that entry point prints one line
per event and a JSON summary last.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrkb.config import Settings, settings_for
from scrkb.errors import ConfigError, ScrkbError
from scrkb.index.store import Store
from scrkb.ingest.crawl.runner import ALL_SOURCES, Event, crawl, provenance_for
from scrkb.ingest.crawl.settings import crawl_dir, state_path
from scrkb.ingest.crawl.state import CrawlState, RunSummary
from scrkb.services.ingest import IngestSummary, ingest_paths


def ingest_crawled(
    settings: Settings,
    *,
    on_file: Callable[[Path, Any], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> IngestSummary | None:
    """Ingest every kept document whose current content the knowledge base lacks.

    Returns the ``IngestSummary`` (None when there was nothing to ingest), then brings
    "no longer online since" marks in the knowledge base in line with the crawl state.
    """
    state = CrawlState(state_path(settings))
    try:
        rows = [r for r in state.iter_to_ingest() if Path(r["path"]).exists()]
        summary = None
        if rows:
            provenance = {str(Path(r["path"])): provenance_for(r) for r in rows}
            summary = ingest_paths(
                [Path(r["path"]) for r in rows],
                settings,
                provenance=provenance,
                on_file=on_file,
                on_start=on_start,
            )
            by_path = {str(Path(r["path"])): r for r in rows}
            for outcome in summary.outcomes:
                row = by_path.get(outcome.path)
                if row and outcome.status != "failed":
                    state.upsert_document(
                        row["url"], ingested_sha256=row["sha256"], report_id=outcome.report_id
                    )
        sync_online_marks(state, settings)
        return summary
    finally:
        state.close()


def sync_online_marks(state: CrawlState, settings: Settings) -> int:
    """Copy each crawled document's "no longer online since" into its report's provenance."""
    if not settings.db_path.exists():
        return 0
    changed = 0
    store = Store(settings.db_path)
    try:
        for row in state.documents("report_id IS NOT NULL"):
            found = store.find_by_source(row.get("final_url") or row["url"])
            if not found:
                continue
            report = store.get_report(found["id"])
            if report.provenance.get("no_longer_online_since") != row["no_longer_online_since"]:
                store.update_provenance(
                    found["id"], {"no_longer_online_since": row["no_longer_online_since"]}
                )
                changed += 1
    finally:
        store.close()
    return changed


@dataclass
class CrawlOutcome:
    crawls: list[RunSummary]
    ingest: IngestSummary | None

    @property
    def failed(self) -> int:
        """Documents that failed to download or to ingest."""
        crawl_failed = sum(sum(s.failed.values()) for s in self.crawls)
        return crawl_failed + (len(self.ingest.failures) if self.ingest else 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "crawls": [s.as_dict() for s in self.crawls],
            "ingest": self.ingest.as_dict() if self.ingest else None,
        }

    def as_job_result(self, settings: Settings) -> dict[str, Any]:
        """``as_dict`` for a job record, which every API client can list: downloaded files
        named from the home's crawl folder down (``crawl/files/…``), not by server path."""
        from scrkb.services.jobs import shown_ingest_result

        result = self.as_dict()
        if result["ingest"] is not None:
            result["ingest"] = shown_ingest_result(result["ingest"], [crawl_dir(settings)])
        return result


def crawl_and_ingest(
    source: str,
    settings: Settings,
    *,
    start_url: str | None = None,
    limit: int | None = None,
    since: int | None = None,
    ingest: bool = True,
    on_crawl: Callable[[str], Callable[[Event], None] | None] | None = None,
    on_file: Callable[[Path, Any], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> CrawlOutcome:
    """Crawl ``source`` (or ``all`` sources, one after another), then ingest what was kept.

    ``on_crawl(name)`` is called as each source starts and may return an event callback.
    """
    if source == "all" and start_url:
        raise ConfigError("--start-url names one source, not all")
    sources = list(ALL_SOURCES) if source == "all" else [source]
    summaries = []
    for name in sources:
        on_event = on_crawl(name) if on_crawl else None
        summaries.append(
            crawl(
                name,
                settings,
                start_url=start_url,
                limit=limit,
                since=since,
                on_event=on_event,
            )
        )
    summary = ingest_crawled(settings, on_file=on_file, on_start=on_start) if ingest else None
    return CrawlOutcome(summaries, summary)


def main(argv: list[str] | None = None) -> int:
    """``python -m scrkb.services.crawl SOURCE --home DIR [--limit N]`` (crawl jobs)."""
    parser = argparse.ArgumentParser(prog="python -m scrkb.services.crawl")
    parser.add_argument("source")
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    settings = settings_for(args.home)
    from scrkb.services.jobs import hide_home

    def say(line: str) -> None:  # the job's output tail is listed over the API
        print(hide_home(line, settings), flush=True)

    def on_crawl(name: str) -> Callable[[Event], None]:
        say(f"crawl {name}")
        return lambda event: say(json.dumps(event))

    def on_file(path: Path, outcome: Any) -> None:
        say(f"ingest {outcome.status}: {path.name}")

    try:
        outcome = crawl_and_ingest(
            args.source, settings, limit=args.limit, on_crawl=on_crawl, on_file=on_file
        )
    except ScrkbError as exc:
        say(f"error: {exc.message}")
        return 2
    say(json.dumps(outcome.as_job_result(settings)))
    return 1 if outcome.failed else 0


if __name__ == "__main__":  # pragma: no cover - run by crawl jobs
    sys.exit(main())


def check_registry(
    settings: Settings,
    source: str | None = None,
    *,
    on_check: Callable[[Any], None] | None = None,
) -> list[Any]:
    """``scrkb crawl --check``: each source's listing page fetched once and parsed.

    ``source`` narrows it: ``partnerships`` (every publisher in the registry), one of the
    national sources (``nspcc-updates``, ``nspcc-library``, ``govuk-panel``, or a
    collection's id), or a publisher's id; None or ``all`` checks everything. Returns the
    ``SourceCheck`` of each, in registry order.
    """
    from scrkb.ingest.crawl.check import Target, check_sources
    from scrkb.ingest.crawl.registry import load_collections, load_registry

    urls = {
        "nspcc-updates": settings.crawl_nspcc_updates_url,
        "nspcc-library": settings.crawl_nspcc_library_url,
        "govuk-panel": f"{settings.crawl_govuk_url.rstrip('/')}/api/search.json"
        "?filter_organisations=child-safeguarding-practice-review-panel&count=20",
    }
    path = settings.crawl_sources_file
    national = [
        Target(c.id, c.name, urls.get(c.id, c.url), c.spider) for c in load_collections(path)
    ]
    for spider, url in urls.items():
        if not any(t.id == spider for t in national):
            national.append(Target(spider, spider, url, spider))
    local = [Target(p.id, p.name or p.id, p.url) for p in load_registry(path)]
    if source in (None, "all"):
        targets = national + local
    elif source == "partnerships":
        targets = local
    else:
        targets = [t for t in national + local if t.id == source]
        if not targets:
            raise ConfigError(f"no source {source!r} in the registry or the national sources")
    return check_sources(
        targets,
        user_agent=settings.user_agent,
        timeout=settings.crawl_timeout,
        on_check=on_check,
    )
