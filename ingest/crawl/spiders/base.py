"""What every scrkb spider shares: resumed items first, a page budget, errors as items.

Spiders only parse (style guide 2.5). A page that cannot be fetched becomes a
``PageProblem`` item, so the pipelines record it beside the documents and the summary can
count it; a listing whose layout no longer matches is reported the same way, loudly.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, ClassVar

import scrapy
from parsel import Selector
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from scrkb.ingest.crawl.items import PageProblem, ReportLink

HEADING_XPATH = (
    "preceding::*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
    " or self::summary or self::button or self::caption or self::dt or self::legend][1]"
)


class ReviewSpider(scrapy.Spider):
    """Base class: ``source`` names the CLI source; subclasses implement ``first_requests``."""

    source: ClassVar[str] = ""

    def __init__(
        self,
        *args: Any,
        start_urls: list[str] | None = None,
        resume: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls = list(start_urls or [])
        self.resume = list(resume or [])
        self.max_pages = 2000
        self.pages_requested = 0
        self._budget_reported = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ReviewSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_pages = crawler.settings.getint("SCRKB_MAX_PAGES", 2000)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        # Items found by an interrupted or limited run come first, then the listings.
        for data in self.resume:
            yield ReportLink.from_dict(data)
        for request in self.first_requests():
            yield request

    def first_requests(self) -> Iterator[Request]:
        raise NotImplementedError

    def start_url_requests(self, callback: Callable[..., Any]) -> Iterator[Request]:
        """One page request per start URL, each its own scope (robots and limits apply)."""
        for url in self.start_urls:
            request = self.page(url, callback, scope=self.scope_for(url))
            if isinstance(request, Request):
                yield request

    def scope_for(self, url: str) -> str:
        return f"{self.source}:{url}"

    def page(
        self,
        url: str,
        callback: Callable[..., Any],
        *,
        scope: str,
        priority: int = 0,
        cb_kwargs: dict[str, Any] | None = None,
        dont_filter: bool = False,
    ) -> Request | PageProblem | None:
        """A request for a listing page, within the page budget (``crawl_max_pages``)."""
        if self.pages_requested >= self.max_pages:
            if self._budget_reported:
                return None
            self._budget_reported = True
            return PageProblem(
                url,
                self.source,
                scope,
                "page_limit",
                f"crawl_max_pages={self.max_pages} reached; later pages not read",
                failed=False,
            )
        self.pages_requested += 1
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            priority=priority,
            cb_kwargs=cb_kwargs or {},
            meta={"scope": scope},
            dont_filter=dont_filter,
        )

    def on_error(self, failure: Failure) -> Iterator[PageProblem]:
        """A listing page failed: say why, as an item the pipelines record."""
        request = failure.request  # type: ignore[attr-defined]
        scope = request.meta.get("scope", self.source)
        exc = failure.value
        if isinstance(exc, HttpError):
            status = exc.response.status
            yield PageProblem(request.url, self.source, scope, f"http_{status}", f"HTTP {status}")
        elif isinstance(exc, IgnoreRequest):
            robots = "robots" in str(exc).lower()
            yield PageProblem(
                request.url,
                self.source,
                scope,
                "robots" if robots else "ignored",
                "disallowed by robots.txt" if robots else str(exc),
                failed=False,
            )
        else:
            name = type(exc).__name__
            reason = "timeout" if "timeout" in name.lower() else "network"
            yield PageProblem(request.url, self.source, scope, reason, f"{name}: {exc}")


def text_of(sel: Selector | Any) -> str:
    """Visible text of an element, whitespace collapsed."""
    return " ".join(" ".join(sel.xpath(".//text()").getall()).split())


def link_text(a: Selector) -> str:
    text = text_of(a)
    for attr in ("@title", "@aria-label", ".//img/@alt"):
        extra = a.xpath(attr).get()
        if extra and extra.strip() and extra.strip() not in text:
            text = f"{text} {extra.strip()}".strip()
    return text


def nearest_heading(a: Selector) -> str:
    heading = a.xpath(HEADING_XPATH)
    return text_of(heading[0]) if heading else ""


def row_text(a: Selector) -> str:
    """The table row, list item or paragraph around a link: where years and codes hide."""
    for axis in ("ancestor::tr[1]", "ancestor::li[1]", "ancestor::p[1]", "ancestor::dd[1]"):
        found = a.xpath(axis)
        if found:
            text = text_of(found[0])
            return text[:400]
    return ""


def is_html(response: Response) -> bool:
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    return (
        hasattr(response, "text")
        and not response.body[:1024].lstrip().startswith(b"%PDF")
        and ("html" in content_type or "xml" in content_type or not content_type)
    )


def clean_url(url: str) -> str:
    return re.sub(r"#.*$", "", url.strip())
