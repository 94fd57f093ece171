"""GOV.UK, Child Safeguarding Practice Review Panel: Search API pages, then Content API items.

The Search API answers 422 to unknown parameters, so the query is built from the documented
ones only: ``filter_organisations``, ``count``, ``start``, ``order`` and repeated ``fields``.
Each result's ``link`` is looked up in the Content API, whose ``details.attachments`` name the
PDFs on assets.publishing.service.gov.uk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Request, Response

from scrkb.ingest.crawl.classify import name_code, year_of
from scrkb.ingest.crawl.items import PageProblem, ReportLink
from scrkb.ingest.crawl.spiders.base import ReviewSpider

ORGANISATION = "child-safeguarding-practice-review-panel"
FIELDS = ("title", "link", "description", "public_timestamp", "format")
DOCUMENT_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword",
)


def search_url(base: str, start: int, count: int) -> str:
    """A Search API page URL built only from parameters the API accepts."""
    params: list[tuple[str, str | int]] = [
        ("filter_organisations", ORGANISATION),
        ("count", count),
        ("start", start),
        ("order", "-public_timestamp"),
    ]
    params += [("fields", f) for f in FIELDS]
    return f"{base.rstrip('/')}/api/search.json?{urlencode(params)}"


class GovukPanelSpider(ReviewSpider):
    """National reviews and panel reports with their PDF attachments."""

    name = "govuk-panel"
    source = "govuk-panel"
    page_size = 50

    def __init__(self, *args: Any, base_url: str = "https://www.gov.uk", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = base_url.rstrip("/")

    def first_requests(self) -> Iterator[Request]:
        url = (
            self.start_urls[0] if self.start_urls else search_url(self.base_url, 0, self.page_size)
        )
        request = self.page(
            url, self.parse_search, scope=self.scope_for(self.base_url), cb_kwargs={"start": 0}
        )
        if isinstance(request, Request):
            yield request

    def parse_search(self, response: Response, start: int) -> Iterator[Any]:
        scope = response.meta["scope"]
        try:
            data = json.loads(response.text)
            results = data["results"]
            total = int(data.get("total", 0))
        except (ValueError, KeyError, TypeError) as exc:
            yield PageProblem(
                response.url,
                self.source,
                scope,
                "layout",
                f"Search API answer not understood: {exc}",
            )
            return
        for result in results:
            link = result.get("link")
            if not link:
                continue
            request = self.page(
                f"{self.base_url}/api/content{link}",
                self.parse_content,
                scope=scope,
                cb_kwargs={"result": result},
            )
            if request is not None:
                yield request
        nxt = start + len(results)
        if results and nxt < total:
            request = self.page(
                search_url(self.base_url, nxt, self.page_size),
                self.parse_search,
                scope=scope,
                cb_kwargs={"start": nxt},
            )
            if request is not None:
                yield request

    def parse_content(self, response: Response, result: dict[str, Any]) -> Iterator[Any]:
        scope = response.meta["scope"]
        try:
            item = json.loads(response.text)
            details = item.get("details", {})
        except ValueError as exc:
            yield PageProblem(
                response.url,
                self.source,
                scope,
                "layout",
                f"Content API answer not understood: {exc}",
            )
            return
        title = item.get("title") or result.get("title", "")
        published = item.get("first_published_at") or result.get("public_timestamp") or ""
        listing: dict[str, Any] = {
            "partnership": "Child Safeguarding Practice Review Panel",
            "title": title,
            "precis": item.get("description") or result.get("description", ""),
            "published": published,
            "review_type": "national",
            "format": item.get("document_type") or result.get("format"),
            "page_url": f"{self.base_url}{result.get('link', '')}",
        }
        year = year_of(published)
        if year:
            listing["year"] = year
        code = name_code(title)
        if code:
            listing["child_code"] = code
        attachments = [a for a in details.get("attachments", []) if a.get("url")]
        documents = [
            a
            for a in attachments
            if (a.get("content_type") or "").split(";")[0] in DOCUMENT_TYPES
            or a["url"].lower().endswith((".pdf", ".docx", ".doc"))
        ]
        for attachment in documents:
            yield ReportLink(
                url=response.urljoin(attachment["url"]),
                source=self.source,
                scope=scope,
                found_on=listing["page_url"],
                link_text=attachment.get("title") or title,
                heading=title,
                listing={
                    **listing,
                    "attachment_title": attachment.get("title"),
                    "pages": attachment.get("number_of_pages"),
                },
                record_id=attachment.get("id") or attachment["url"],
                kind_hint=panel_kind(title, listing["format"]),
            )
        if not documents:
            yield PageProblem(
                response.url,
                self.source,
                scope,
                "no_attachments",
                f"{title!r} has no PDF or DOCX attachment",
                failed=False,
            )


def panel_kind(title: str, document_type: str | None) -> str | None:
    """National reviews and the panel's annual reports (cross-cutting themes) are kept as the
    publisher's reviews; anything else (guidance, terms of reference) is classified like any
    other link."""
    lowered = f"{title} {document_type or ''}".lower().replace(
        "child safeguarding practice review panel", ""
    )
    if "review" in lowered or "annual report" in lowered or "independent_report" in lowered:
        return f"Child Safeguarding Practice Review Panel {document_type or 'publication'}"
    return None
