"""Local safeguarding partnership sites: one generic, data-driven spider.

Each partnership lays out its reviews differently (a table by year, accordions, one page
per review, PDFs on a council document host), so the spider does not know layouts. It
follows same-site links that look relevant (review words, pagination, pages under the start
page) to the depth limit, and yields every document link with its context: link text, the
nearest heading or accordion title, the table row. The pipelines classify and download.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from parsel import Selector
from scrapy.http import Request, Response

from scrkb.ingest.crawl.classify import is_document_url, name_code, review_type, year_of
from scrkb.ingest.crawl.items import PageProblem, ReportLink
from scrkb.ingest.crawl.spiders.base import (
    ReviewSpider,
    clean_url,
    is_html,
    link_text,
    nearest_heading,
    row_text,
    text_of,
)

SKIP_SUFFIXES = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".svg",
    ".webp",
    ".css",
    ".js",
    ".ico",
    ".zip",
    ".xls",
    ".xlsx",
    ".ppt",
    ".pptx",
    ".mp3",
    ".mp4",
    ".ics",
    ".xml",
    ".rss",
    ".csv",
)
# Pages that never hold reviews but can multiply without end: calendars, searches, logins.
TRAP = re.compile(
    r"/(calendar|events?|whats-on|diary|search|login|logout|sign-in|account|basket|cart|print)(/|$|\?)"
    r"|[?&](month|date|day|week|year|start_date|s|q|search|print|share|replytocom)=",
    re.IGNORECASE,
)
DATE_VALUE = re.compile(r"^\d{4}-\d{1,2}(-\d{1,2})?$")
RELEVANT = re.compile(
    r"review|\bscr\b|cspr|learning|briefing|case|lessons|practice|publication|report"
    r"|\bchild [A-Z]\b|\bbaby [A-Z]\b",
    re.IGNORECASE,
)
NEXT = re.compile(r"^(next|older|more|»|›|>|\d{1,3})\b|next page", re.IGNORECASE)


class PartnershipSpider(ReviewSpider):
    """Crawls the review pages of one or more partnership sites (``sites``) or one start URL."""

    name = "partnership"
    source = "partnerships"

    def __init__(
        self,
        *args: Any,
        sites: list[dict[str, Any]] | None = None,
        source: str = "partnerships",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        self.sites = list(sites or [])
        if not self.sites and self.start_urls:
            self.sites = [{"id": "site", "name": None, "urls": self.start_urls}]
        self._site_hosts: dict[str, set[str]] = {}
        for site in self.sites:
            urls = site.get("urls") or [site["url"]]
            site["urls"] = urls
            hosts = {urlsplit(u).netloc.lower() for u in urls}
            hosts |= {h.lower() for h in site.get("hosts", [])}
            self._site_hosts[site["id"]] = hosts

    def first_requests(self) -> Iterator[Request]:
        for site in self.sites:
            for url in site["urls"]:
                request = self.page(
                    url,
                    self.parse_page,
                    scope=self._scope(site, url),
                    cb_kwargs={"site_id": site["id"], "start": url},
                )
                if isinstance(request, Request):
                    yield request

    def _scope(self, site: dict[str, Any], url: str) -> str:
        return f"site:{url}" if site["id"] == "site" else f"partnership:{site['id']}"

    def _site(self, site_id: str) -> dict[str, Any]:
        return next(s for s in self.sites if s["id"] == site_id)

    def parse_page(self, response: Response, site_id: str, start: str) -> Iterator[Any]:
        """One page of a partnership site: document links out, relevant same-site links on."""
        site = self._site(site_id)
        scope = self._scope(site, start)
        if not is_html(response):
            if response.body[:1024].lstrip().startswith(b"%PDF"):
                # A document behind an extension-less link: the pipelines fetch and sniff it.
                yield ReportLink(
                    url=response.url,
                    source=self.source,
                    scope=scope,
                    found_on=response.request.headers.get("Referer", b"").decode() or None,
                    link_text=response.meta.get("link_text", ""),
                    listing={"partnership": site.get("name") or ""},
                )
            return
        page_title = text_of(response.css("h1")[:1]) if response.css("h1") else ""
        # One page per review: the title and the paragraph under it say what the review is.
        intro = response.xpath("//h1[1]/following-sibling::p[1]")
        page_title_ctx = f"{page_title} {text_of(intro[0]) if intro else ''}".strip()
        partnership = site.get("name") or site_name(response)
        hosts = self._site_hosts[site_id]
        start_path = urlsplit(start).path.rsplit("/", 1)[0] + "/"
        for a in response.xpath("//a[@href]"):
            href = a.attrib.get("href", "").strip()
            if not href or href.startswith(("mailto:", "tel:", "javascript:", "#")):
                continue
            url = clean_url(response.urljoin(href))
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https"):
                continue
            text = link_text(a)
            if is_document_url(url) or "pdf" in (a.attrib.get("type") or "").lower():
                if not self._allowed_document_host(parts.netloc.lower(), hosts):
                    continue
                yield self._report_link(a, url, text, response, scope, partnership, page_title_ctx)
                continue
            if parts.netloc.lower() not in hosts or url.lower().endswith(SKIP_SUFFIXES):
                continue
            if is_trap(url):
                continue
            relevant = bool(RELEVANT.search(f"{text} {parts.path}"))
            paging = (
                bool(NEXT.search(text)) or a.attrib.get("rel") == "next" or "page=" in parts.query
            )
            under_start = parts.path.startswith(start_path) and start_path != "/"
            if not (relevant or paging or under_start):
                continue
            request = self.page(
                url,
                self.parse_page,
                scope=scope,
                priority=10 if relevant else 0,
                cb_kwargs={"site_id": site_id, "start": start},
            )
            if isinstance(request, Request):
                request.meta["link_text"] = text
                yield request
            elif isinstance(request, PageProblem):
                yield request

    def _allowed_document_host(self, netloc: str, hosts: set[str]) -> bool:
        """Documents may sit on the site's own hosts or another host of the same domain."""
        if netloc in hosts:
            return True
        return any(registrable(netloc) == registrable(h) for h in hosts)

    def _report_link(
        self,
        a: Selector,
        url: str,
        text: str,
        response: Response,
        scope: str,
        partnership: str,
        page_title: str,
    ) -> ReportLink:
        heading = nearest_heading(a)
        row = row_text(a)
        context = " ".join(x for x in (text, row, heading, page_title) if x)
        listing: dict[str, Any] = {"partnership": partnership, "title": text or page_title}
        year = year_of(text) or year_of(row) or year_of(heading) or year_of(page_title)
        if year:
            listing["year"] = year
        code = name_code(text) or name_code(row) or name_code(heading) or name_code(page_title)
        if code:
            listing["child_code"] = code
        kind = review_type(context)
        if kind:
            listing["review_type"] = kind
        heading_ctx = heading if heading and heading != text else page_title
        if row and row != text:
            heading_ctx = f"{heading_ctx} | {row}" if heading_ctx else row
        return ReportLink(
            url=url,
            source=self.source,
            scope=scope,
            found_on=response.url,
            link_text=text,
            heading=heading_ctx,
            listing=listing,
        )


def is_trap(url: str) -> bool:
    """Calendars, searches and other pages that generate endless URLs."""
    if TRAP.search(url):
        return True
    return any(DATE_VALUE.match(v) for _, v in parse_qsl(urlsplit(url).query))


def registrable(netloc: str) -> str:
    """Roughly the registrable domain: "docs.leeds.gov.uk" -> "leeds.gov.uk"; IPs as they are."""
    host = netloc.split(":")[0]
    if re.fullmatch(r"[\d.]+", host) or host == "localhost":
        return host
    labels = host.split(".")
    n = (
        3
        if len(labels) >= 3
        and labels[-2] in ("gov", "org", "co", "ac", "nhs", "police", "ltd", "me")
        else 2
    )
    return ".".join(labels[-n:])


def site_name(response: Response) -> str:
    """The partnership's name for a site crawled from a bare start URL."""
    name = response.xpath("//meta[@property='og:site_name']/@content").get()
    if name:
        return name.strip()
    title = " ".join((response.xpath("//title/text()").get() or "").split())
    for sep in (" | ", " - ", " – "):
        if sep in title:
            return title.rsplit(sep, 1)[-1].strip()
    return title or urlsplit(response.url).netloc
