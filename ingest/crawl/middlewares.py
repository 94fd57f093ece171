"""Retry with back-off: Scrapy retries 429/5xx and timeouts at once; a struggling site
deserves a pause that doubles on each attempt (or what its Retry-After asks, capped)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)


class BackoffRetryMiddleware(RetryMiddleware):
    """``RetryMiddleware`` whose retries wait ``base * 2**(attempt-1)`` seconds first."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("SCRKB_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("SCRKB_BACKOFF_MAX", 60.0)

    def _with_delay(self, result: Any, response: Response | None = None) -> Any:
        if isinstance(result, Request):
            attempt = int(result.meta.get("retry_times", 1))
            delay = self.backoff_base * 2 ** (attempt - 1)
            retry_after = response.headers.get(b"Retry-After") if response is not None else None
            if retry_after and retry_after.strip().isdigit():
                delay = max(delay, float(retry_after.strip()))
            result.meta["scrkb_backoff"] = min(delay, self.backoff_max)
        return result

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:  # type: ignore[override]
        return self._with_delay(super().process_response(request, response), response)

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> Any:  # type: ignore[override]
        return self._with_delay(super().process_exception(request, exception))

    async def process_request(self, request: Request, spider: Any = None) -> None:  # type: ignore[override]
        delay = request.meta.pop("scrkb_backoff", None)
        if delay:
            log.info("backing off %.2fs before retrying %s", delay, request.url)
            await asyncio.sleep(delay)
        return None
