"""Scrapy settings derived from ``scrkb.config.Settings``: one place for crawl politeness.

Everything a person may want to tune (delays, concurrency, timeouts, limits, the
User-Agent) is a ``SCRKB_CRAWL_*`` setting; this module turns it into Scrapy's names and
keeps the polite parts fixed: robots.txt obeyed, AutoThrottle on, at most two requests
in flight per site, conditional re-requests through an RFC 2616 HTTP cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrkb.config import Settings

PIPELINES = "scrkb.ingest.crawl.pipelines"


def crawl_dir(settings: Settings) -> Path:
    """Where crawl files live: downloads, metadata records, HTTP cache, resumable jobs."""
    return settings.home / "crawl"


def state_path(settings: Settings) -> Path:
    return settings.home / "crawl.sqlite"


def scrapy_settings(
    settings: Settings,
    *,
    run_id: int,
    jobdir: Path | None,
    limit: int | None = None,
    since: int | None = None,
    log_level: str = "WARNING",
) -> dict[str, Any]:
    """Scrapy's settings for one crawl run (priority "project": spiders may not override)."""
    base = crawl_dir(settings)
    delay = max(settings.crawl_delay, 0.0)
    concurrency = min(settings.crawl_concurrency_per_site, 2)
    return {
        "BOT_NAME": "scrkb",
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": True,
        # AutoThrottle adapts the delay to each site's latency; DOWNLOAD_DELAY is its floor.
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.0),
        "AUTOTHROTTLE_MAX_DELAY": max(settings.crawl_max_delay, delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(concurrency),
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if delay > 0 else 0,
        "LOG_INSTALL_ROOT_HANDLER": True,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_TIMEOUT": settings.crawl_timeout,
        "DOWNLOAD_MAXSIZE": settings.crawl_max_download_mb * 2**20,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": settings.crawl_retries,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        "SCRKB_BACKOFF_BASE": max(delay, 0.25),
        "SCRKB_BACKOFF_MAX": max(settings.crawl_max_delay, 0.25),
        # Breadth first, so a depth limit cuts the far ends of a site, not a whole branch.
        "DEPTH_LIMIT": settings.crawl_max_depth,
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "SCRKB_MAX_PAGES": settings.crawl_max_pages,
        # Conditional requests: every request asks the server to revalidate the cached copy
        # (If-None-Match / If-Modified-Since), so an unchanged document costs a 304.
        "HTTPCACHE_ENABLED": settings.crawl_httpcache,
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.FilesystemCacheStorage",
        "HTTPCACHE_DIR": str((base / "httpcache").resolve()),
        "HTTPCACHE_EXPIRATION_SECS": 0,
        "HTTPCACHE_IGNORE_HTTP_CODES": [],
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/json,application/pdf,*/*;q=0.8",
            "Accept-Language": "en-GB,en;q=0.8",
            "Cache-Control": "max-age=0",
        },
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "scrkb.ingest.crawl.middlewares.BackoffRetryMiddleware": 550,
        },
        "ITEM_PIPELINES": {
            f"{PIPELINES}.FilterPipeline": 100,
            f"{PIPELINES}.DownloadPipeline": 200,
            f"{PIPELINES}.ClassifyPipeline": 300,
            f"{PIPELINES}.StorePipeline": 400,
        },
        "EXTENSIONS": {
            "scrapy.extensions.telnet.TelnetConsole": None,
            "scrkb.ingest.crawl.pipelines.CrawlRecorder": 100,
        },
        "JOBDIR": str(jobdir) if jobdir else None,
        "LOG_LEVEL": log_level,
        "SCRKB_STATE_PATH": str(state_path(settings).resolve()),
        "SCRKB_RUN_ID": run_id,
        "SCRKB_DOWNLOAD_DIR": str((base / "downloads").resolve()),
        "SCRKB_RECORD_DIR": str((base / "records").resolve()),
        "SCRKB_LIMIT": limit,
        "SCRKB_SINCE": since,
    }
