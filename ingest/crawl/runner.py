"""Run a crawl: a subprocess per crawl, then ingest in the calling process.

Why a subprocess: Twisted's reactor cannot be restarted within one process, so a CLI that
runs ``crawl all`` (four crawls) or a test suite that crawls dozens of times would need
tricks (crochet, a reactor thread) to crawl in-process. A child process per crawl keeps
each crawl independent and lets an interrupted crawl die without taking the caller down.
The child (``python -m scrkb.ingest.crawl.runner OPTIONS.json``) writes everything to the
state database and prints one JSON line per event on stdout; the parent turns those lines
into the progress display and reads the summary from the state database.

Ingest runs in the parent, after the crawl: it loads the embedding model once per batch,
and a crawl that is interrupted has still saved every file it fetched, ready for the next
``scrkb crawl`` (or ``--no-ingest`` now and a later crawl) to ingest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrkb.config import Settings
from scrkb.errors import ConfigError, ScrkbError
from scrkb.ingest.crawl.settings import crawl_dir, scrapy_settings, state_path
from scrkb.ingest.crawl.state import CrawlState, RunSummary

SOURCES = ("nspcc-updates", "nspcc-library", "govuk-panel", "partnerships", "site")
ALL_SOURCES = ("nspcc-updates", "nspcc-library", "govuk-panel", "partnerships")

Event = dict[str, Any]


def crawl(
    source: str,
    settings: Settings,
    *,
    start_url: str | None = None,
    limit: int | None = None,
    since: int | None = None,
    on_event: Callable[[Event], None] | None = None,
    log_level: str = "WARNING",
) -> RunSummary:
    """Crawl one source in a child process; return what happened (from the state database).

    Raises ``ConfigError`` for a bad source or missing start URL (before anything starts)
    and ``ScrkbError`` if the child dies without finishing its run.
    """
    if source not in SOURCES:
        raise ConfigError(f"unknown source {source!r}: choose one of {', '.join(SOURCES)} or all")
    if source == "site" and not start_url:
        raise ConfigError(
            "`scrkb crawl site` needs --start-url URL (the partnership's review page)"
        )
    base = crawl_dir(settings)
    (base / "logs").mkdir(parents=True, exist_ok=True)
    options = {
        "source": source,
        "start_url": start_url,
        "limit": limit,
        "since": since,
        "log_level": log_level,
        "settings": json.loads(settings.model_dump_json()),
    }
    key = hashlib.sha1(f"{source} {start_url or ''}".encode()).hexdigest()[:10]
    options_path = base / "logs" / f"options-{source}-{key}.json"
    options_path.write_text(json.dumps(options, indent=1), encoding="utf-8")
    log_path = base / "logs" / f"{source}-{key}.log"
    run_id: int | None = None
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scrkb.ingest.crawl.runner", str(options_path)],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            bufsize=1,
        )
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "run":
                    run_id = int(event["run_id"])
                if on_event:
                    on_event(event)
            proc.wait()
        except BaseException:
            # Ctrl-C: let the child close cleanly (Scrapy saves its queue in JOBDIR).
            proc.terminate()
            proc.wait(timeout=30)
            raise
    if run_id is None or proc.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise ScrkbError(
            f"crawl of {source} failed (exit {proc.returncode}); log {log_path}:\n{tail}"
        )
    state = CrawlState(state_path(settings))
    try:
        return state.summary(run_id)
    finally:
        state.close()


# --------------------------------------------------------------------------- child side
def _spider(source: str, settings: Settings, start_url: str | None) -> tuple[type, dict[str, Any]]:
    from scrkb.ingest.crawl.registry import load_registry
    from scrkb.ingest.crawl.spiders.nspcc import NspccLibrarySpider, NspccUpdatesSpider
    from scrkb.ingest.crawl.spiders.panel import GovukPanelSpider
    from scrkb.ingest.crawl.spiders.partnership import PartnershipSpider

    if source == "nspcc-updates":
        return NspccUpdatesSpider, {"start_urls": [start_url or settings.crawl_nspcc_updates_url]}
    if source == "nspcc-library":
        return NspccLibrarySpider, {"start_urls": [start_url or settings.crawl_nspcc_library_url]}
    if source == "govuk-panel":
        if start_url and "/api/search.json" in start_url:
            parts = urlsplit(start_url)
            return GovukPanelSpider, {
                "base_url": f"{parts.scheme}://{parts.netloc}",
                "start_urls": [start_url],
            }
        return GovukPanelSpider, {"base_url": start_url or settings.crawl_govuk_url}
    if source == "partnerships" and not start_url:
        sites = [
            p.spider_site() for p in load_registry(settings.crawl_sources_file, with_url_only=True)
        ]
        return PartnershipSpider, {"sites": sites, "source": "partnerships"}
    return PartnershipSpider, {"start_urls": [start_url], "source": source}


def _child(options_path: Path) -> int:
    from scrapy.crawler import CrawlerProcess

    options = json.loads(options_path.read_text(encoding="utf-8"))
    settings = Settings(**options["settings"])
    source, start_url = options["source"], options.get("start_url")
    limit, since = options.get("limit"), options.get("since")
    state = CrawlState(state_path(settings))
    run_id = state.start_run(source, {k: v for k, v in options.items() if k != "settings"})
    print(json.dumps({"event": "run", "run_id": run_id}), flush=True)

    spider_cls, kwargs = _spider(source, settings, start_url)
    resume = state.pending(source)
    if source == "site" or (source == "partnerships" and start_url):
        resume = [r for r in resume if r.get("scope") == f"site:{start_url}"]
    kwargs["resume"] = resume
    key = hashlib.sha1(f"{source} {start_url or ''}".encode()).hexdigest()[:10]
    jobdir = crawl_dir(settings) / "jobs" / f"{source}-{key}"
    resumed = jobdir.exists() or bool(resume)
    process = CrawlerProcess(
        scrapy_settings(
            settings,
            run_id=run_id,
            jobdir=jobdir,
            limit=limit,
            since=since,
            log_level=options.get("log_level", "WARNING"),
        )
    )
    if limit:
        process.settings.set("CLOSESPIDER_ITEMCOUNT", limit, priority="cmdline")
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, **kwargs)
    process.start()

    reason = str(crawler.stats.get_value("finish_reason") or "unknown")
    complete = reason == "finished" and not limit and not since
    ctx = getattr(crawler, "_scrkb_context", None)
    if reason == "finished":
        shutil.rmtree(jobdir, ignore_errors=True)  # nothing left to resume
    reached = set(ctx.reached_scopes) if ctx and complete and not resumed else set()
    gone = set(ctx.gone_urls) if ctx else set()
    for url in state.mark_gone(run_id, reached, also=gone):
        state.record(run_id, url, "gone", "no_longer_online", "kept in the knowledge base")
    state.finish_run(run_id, reason, complete)
    print(json.dumps({"event": "done", "run_id": run_id, "finish_reason": reason}), flush=True)
    state.close()
    return 0


# --------------------------------------------------------------------------- ingest
def provenance_for(row: dict[str, Any]) -> dict[str, str | int | None]:
    """The report's provenance: crawl facts, flattened to the store's str/int values."""
    listing = json.loads(row.get("listing_json") or "{}")
    labels = listing.get("source_labels") or []
    prov: dict[str, Any] = {
        "url": row.get("final_url") or row["url"],
        "listed_url": row["url"],
        "crawl_source": row["source"],
        "found_on": listing.get("found_on"),
        "fetched_at": row.get("fetched_at"),
        "http_status": row.get("http_status"),
        "etag": row.get("etag"),
        "last_modified": row.get("last_modified"),
        "sha256": row.get("sha256"),
        "content_type": row.get("content_type"),
        "document_kind": row.get("kind"),
        "classified_by": row.get("classified_by"),
        "classification": row.get("class_reason"),
        "metadata_only": int(row.get("metadata_only") or 0),
        "no_longer_online_since": row.get("no_longer_online_since"),
        "source_labels": "; ".join(labels) if labels else None,
        "listing": json.dumps(listing, ensure_ascii=False, default=str),
    }
    for key in ("partnership", "year", "child_code", "review_type"):
        if listing.get(key):
            prov[f"listing_{key}"] = listing[key]
    return {
        k: v if v is None or isinstance(v, str | int) else json.dumps(v) for k, v in prov.items()
    }


if __name__ == "__main__":  # pragma: no cover - exercised through crawl()
    sys.exit(_child(Path(sys.argv[1])))
