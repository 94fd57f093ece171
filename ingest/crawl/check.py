"""``scrkb crawl --check``: does each source's listing page still answer, and parse?

Publishers move their pages in site migrations, and a crawl that finds nothing looks the
same as one whose start page has gone. The check fetches each registered listing page
once (robots.txt obeyed, the crawler's User-Agent, its timeout), and reports per source
whether it answered and what it holds: links to documents, and how many of those read as
reviews, summaries or briefings. A GOV.UK Search API page is parsed as JSON. It is for use
when online; tests run it against local fixture sites.
"""

from __future__ import annotations

import json
import urllib.robotparser
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from parsel import Selector

from scrkb.ingest.crawl.classify import KEPT_KINDS, classify_link, is_document_url

Status = str  # ok, no_documents, no_url, http_error, unreachable, disallowed, unparsed


@dataclass
class SourceCheck:
    """What one source's listing page gave."""

    id: str
    name: str
    url: str | None
    status: Status
    http_status: int | None = None
    documents: int = 0  # links to PDF/Word files (or Search API results)
    reviews: int = 0  # of those, links that read as reviews, summaries or briefings
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    url: str | None
    spider: str = "partnerships"


def check_sources(
    targets: Iterable[Target],
    *,
    user_agent: str,
    timeout: float,
    workers: int = 4,
    on_check: Callable[[SourceCheck], None] | None = None,
) -> list[SourceCheck]:
    """Check every target's listing page, a few sites at a time; results in input order."""
    targets = list(targets)
    robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
    with httpx.Client(
        headers={"User-Agent": user_agent}, timeout=timeout, follow_redirects=True
    ) as client:

        def one(target: Target) -> SourceCheck:
            result = _check(client, target, robots, user_agent)
            if on_check:
                on_check(result)
            return result

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return list(pool.map(one, targets))


def _check(
    client: httpx.Client,
    target: Target,
    robots: dict[str, urllib.robotparser.RobotFileParser | None],
    user_agent: str,
) -> SourceCheck:
    base = SourceCheck(target.id, target.name, target.url, "no_url")
    if not target.url:
        base.message = "no listing page known: add its url to ingest/sources.yaml"
        return base
    if not _allowed(client, target.url, robots, user_agent):
        base.status, base.message = "disallowed", "robots.txt disallows the listing page"
        return base
    try:
        response = client.get(target.url)
    except httpx.HTTPError as exc:
        base.status, base.message = "unreachable", f"{type(exc).__name__}: {exc}"[:200]
        return base
    base.http_status = response.status_code
    if response.status_code >= 400:
        base.status, base.message = "http_error", f"HTTP {response.status_code}"
        return base
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if target.spider == "govuk-panel" or kind == "application/json":
            base.documents = base.reviews = _search_api_results(response.text)
        elif target.spider == "nspcc-library":
            base.documents = base.reviews = _catalogue_records(response.text)
        else:
            base.documents, base.reviews = _document_links(str(response.url), response.text)
    except ValueError as exc:
        base.status, base.message = "unparsed", f"the page does not parse: {exc}"[:200]
        return base
    if base.documents == 0:
        base.status = "no_documents"
        base.message = "the page answered but links to no documents (layout changed?)"
    else:
        base.status = "ok"
        base.message = f"{base.documents} document links, {base.reviews} read as reviews"
    return base


def _allowed(
    client: httpx.Client,
    url: str,
    robots: dict[str, urllib.robotparser.RobotFileParser | None],
    user_agent: str,
) -> bool:
    parts = urlsplit(url)
    key = f"{parts.scheme}://{parts.netloc}"
    if key not in robots:
        parser: urllib.robotparser.RobotFileParser | None = urllib.robotparser.RobotFileParser()
        try:
            reply = client.get(f"{key}/robots.txt")
            if reply.status_code >= 400:
                parser = None  # no robots.txt: everything is allowed
            else:
                parser.parse(reply.text.splitlines())  # type: ignore[union-attr]
        except httpx.HTTPError:
            parser = None
        robots[key] = parser
    parser = robots[key]
    return parser is None or parser.can_fetch(user_agent, url)


def _document_links(url: str, html: str) -> tuple[int, int]:
    """(links to documents, of which read as review documents) on a listing page.

    Links to further pages of the site are not followed: the check is about whether the
    start page still holds what the crawl starts from. A page whose documents sit one
    level down (one page per review) links to pages whose words name reviews; those
    count as documents too.
    """
    sel = Selector(text=html)
    documents = reviews = 0
    seen: set[str] = set()
    for a in sel.css("a[href]"):
        href = urljoin(url, a.attrib.get("href", "").strip())
        if href in seen or not href.startswith(("http://", "https://")):
            continue
        seen.add(href)
        text = " ".join(a.css("::text").getall()).strip()
        verdict = classify_link(text, href)
        if is_document_url(href):
            documents += 1
            reviews += verdict.kind in KEPT_KINDS
        elif verdict.kind in KEPT_KINDS and urlsplit(href).netloc == urlsplit(url).netloc:
            documents += 1  # a page per review
            reviews += 1
    return documents, reviews


def _catalogue_records(html: str) -> int:
    """Records on an NSPCC Library result page (each links to its catalogue record)."""
    hrefs = {a.lower() for a in Selector(text=html).css("a::attr(href)").getall()}
    return sum(1 for h in hrefs if "recordid=" in h)


def _search_api_results(text: str) -> int:
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError("no 'results' list in the Search API answer")
    return len(data["results"])
