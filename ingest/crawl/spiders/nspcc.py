"""NSPCC: the "Case reviews update" page (and yearly lists) and the Library catalogue.

Update entries are headed "YEAR – Partnership – Name", then a précis, then "Learning themes
include: …" (or "Learning includes: …"), "Recommendations include: …", and on the older
yearly lists "Keywords: …" and "Model: …". The NSPCC's learning themes are kept as the
source's own labels. Entries whose heading looks like an entry but does not parse are
counted and reported (``unparsed_entries``), and a page with no entries at all is a layout
error: a silent zero would look like "nothing new".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from parsel import Selector
from scrapy.http import Request, Response

from scrkb.ingest.crawl.classify import (
    classify_link,
    is_document_url,
    name_code,
    review_type,
    year_of,
)
from scrkb.ingest.crawl.items import PageProblem, ReportLink
from scrkb.ingest.crawl.spiders.base import ReviewSpider, clean_url, link_text, text_of

DASH = r"\s*[–—-]\s*"
ENTRY_HEAD = re.compile(
    rf"^\s*(?P<year>(19|20)\d\d){DASH}(?P<partnership>.+?){DASH}(?P<name>.+?)\s*$"
)
LOOKS_LIKE_ENTRY = re.compile(r"^\s*(19|20)\d\d\s*[–—:-]")
LABELS = {
    "learning_themes": re.compile(r"^\s*learning(?: themes)?(?: include[sd]?)?\s*:\s*", re.I),
    "recommendations": re.compile(r"^\s*recommendations?(?: include[sd]?)?\s*:\s*", re.I),
    "keywords": re.compile(r"^\s*keywords?\s*:\s*", re.I),
    "model": re.compile(r"^\s*(?:review )?model\s*:\s*", re.I),
}
YEARLY_LIST = re.compile(r"/case-reviews?/(19|20)\d\d/?$")


def split_list(text: str) -> list[str]:
    """ "a; b; and c." -> ["a", "b", "c"] (semicolons first, commas for keyword lists)."""
    text = text.strip().rstrip(".")
    parts = re.split(r"\s*;\s*", text) if ";" in text else re.split(r"\s*,\s*", text)
    out = []
    for part in parts:
        part = re.sub(r"^(and|or)\s+", "", part.strip()).strip(" .")
        if part:
            out.append(part)
    return out


def parse_entry(heading: str, blocks: list[Selector]) -> dict[str, Any] | None:
    """One update entry: heading + the blocks up to the next heading. None if it does not parse."""
    m = ENTRY_HEAD.match(" ".join(heading.split()))
    if not m:
        return None
    name = m.group("name").strip()
    entry: dict[str, Any] = {
        "year": int(m.group("year")),
        "partnership": m.group("partnership").strip(),
        "child_code": name_code(name) or name,
        "title": " ".join(heading.split()),
        "links": [],
    }
    precis: list[str] = []
    for block in blocks:
        text = text_of(block)
        for a in block.xpath(".//a[@href]") + ([block] if block.root.tag == "a" else []):
            entry["links"].append((a.attrib.get("href", ""), link_text(a)))
        if not text:
            continue
        for key, pattern in LABELS.items():
            if pattern.match(text):
                value = pattern.sub("", text)
                entry[key] = value.strip().rstrip(".") if key == "model" else split_list(value)
                break
        else:
            if not re.match(r"^(read|download|view|see|full report|link)\b", text, re.I):
                precis.append(text)
    entry["precis"] = " ".join(precis)
    if "learning_themes" not in entry and not entry["precis"]:
        return None
    entry["source_labels"] = list(entry.get("learning_themes", []))
    kind = review_type(f"{entry['title']} {entry['precis']} {entry.get('model', '')}")
    if kind:
        entry["review_type"] = kind
    return entry


def entries_on(response: Response) -> tuple[list[dict[str, Any]], list[str]]:
    """All entries on an update or yearly-list page, and the headings that did not parse."""
    entries: list[dict[str, Any]] = []
    unparsed: list[str] = []
    for h in response.xpath("//h2|//h3|//h4"):
        heading = text_of(h)
        if not LOOKS_LIKE_ENTRY.match(heading):
            continue
        blocks = []
        for sib in h.xpath("following-sibling::*"):
            if sib.root.tag in ("h1", "h2", "h3", "h4"):
                break
            blocks.append(sib)
        entry = parse_entry(heading, blocks)
        if entry is None:
            unparsed.append(heading)
        else:
            entries.append(entry)
    return entries, unparsed


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class NspccUpdatesSpider(ReviewSpider):
    """The NSPCC "Case reviews update" page and the yearly lists it links to."""

    name = "nspcc-updates"
    source = "nspcc-updates"

    def first_requests(self) -> Iterator[Request]:
        return self.start_url_requests(self.parse_updates)

    def parse_updates(self, response: Response) -> Iterator[Any]:
        scope = response.meta["scope"]
        entries, unparsed = entries_on(response)
        if not entries:
            yield PageProblem(
                response.url,
                self.source,
                scope,
                "layout",
                "no 'YEAR – Partnership – Name' entries found: the page layout may have changed",
            )
        if unparsed:
            yield PageProblem(
                response.url,
                self.source,
                scope,
                "unparsed_entries",
                f"{len(unparsed)} entries did not parse: " + "; ".join(unparsed[:5]),
            )
        for entry in entries:
            yield from self._entry_items(entry, response, scope)
        # Yearly lists (…/case-reviews/2016/) have the same shape.
        host = urlsplit(response.url).netloc
        for a in response.xpath("//a[@href]"):
            url = clean_url(response.urljoin(a.attrib["href"]))
            if urlsplit(url).netloc == host and YEARLY_LIST.search(urlsplit(url).path):
                request = self.page(url, self.parse_updates, scope=scope)
                if request is not None:
                    yield request

    def _entry_items(self, entry: dict[str, Any], response: Response, scope: str) -> Iterator[Any]:
        links = entry.pop("links")
        record_id = slug(f"{entry['year']}-{entry['partnership']}-{entry['child_code']}")
        documents = [
            (clean_url(response.urljoin(h)), t) for h, t in links if h and not h.startswith("#")
        ]
        if not documents:
            yield ReportLink(
                url=f"{response.url}#{record_id}",
                source=self.source,
                scope=scope,
                found_on=response.url,
                link_text=entry["title"],
                listing=entry,
                metadata_only=True,
                record_id=record_id,
            )
            return
        for url, text in documents:
            if is_document_url(url):
                yield ReportLink(
                    url=url,
                    source=self.source,
                    scope=scope,
                    found_on=response.url,
                    link_text=text,
                    heading=entry["title"],
                    listing=dict(entry),
                    record_id=record_id,
                    kind_hint="case review (NSPCC case reviews update)",
                )
            else:
                # A partnership's page about the review: the report is linked from there.
                request = self.page(
                    url,
                    self.parse_landing,
                    scope=scope,
                    cb_kwargs={"entry": entry, "record_id": record_id, "found_on": response.url},
                )
                if request is not None:
                    yield request

    def parse_landing(
        self, response: Response, entry: dict[str, Any], record_id: str, found_on: str
    ) -> Iterator[Any]:
        """The report's page on the partnership's site: take the review documents on it."""
        scope = response.meta["scope"]
        found = False
        if response.body[:8].startswith(b"%PDF"):
            found = True
            yield ReportLink(
                url=response.url,
                source=self.source,
                scope=scope,
                found_on=found_on,
                link_text=entry["title"],
                listing=dict(entry),
                record_id=record_id,
                kind_hint="case review (NSPCC case reviews update)",
            )
        elif hasattr(response, "xpath"):
            for a in response.xpath("//a[@href]"):
                url = clean_url(response.urljoin(a.attrib["href"]))
                text = link_text(a)
                if is_document_url(url) and classify_link(text, url).kind != "not_review":
                    found = True
                    yield ReportLink(
                        url=url,
                        source=self.source,
                        scope=scope,
                        found_on=response.url,
                        link_text=text,
                        heading=entry["title"],
                        listing=dict(entry),
                        record_id=record_id,
                        kind_hint="case review (NSPCC case reviews update)",
                    )
        if not found:
            yield ReportLink(
                url=f"{found_on}#{record_id}",
                source=self.source,
                scope=scope,
                found_on=found_on,
                link_text=entry["title"],
                listing={**entry, "document_withdrawn": "no document on " + response.url},
                metadata_only=True,
                record_id=record_id,
            )


# --------------------------------------------------------------------------- library
RECORD_LABELS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^title", re.I), "title"),
    (
        re.compile(r"^(corporate author|publisher|lscb|partnership|organisation)", re.I),
        "partnership",
    ),
    (re.compile(r"^(author|personal author)", re.I), "author"),
    (re.compile(r"^(date|publication date|date of publication|year)", re.I), "published"),
    (re.compile(r"^(abstract|summary|précis|precis)", re.I), "precis"),
    (re.compile(r"^learning", re.I), "learning_themes"),
    (re.compile(r"^recommendations?", re.I), "recommendations"),
    (re.compile(r"^(subjects?|keywords?|subject keywords)", re.I), "keywords"),
    (re.compile(r"^(review model|model|methodology)", re.I), "model"),
    (re.compile(r"^(link|url|electronic|online|full text|pdf)", re.I), "link"),
]


def record_fields(response: Response) -> dict[str, Selector]:
    """Label -> value cell of a catalogue record (table rows or a definition list)."""
    fields: dict[str, Selector] = {}
    pairs = [
        (r.xpath("./th|./td[1]"), r.xpath("./td[last()]"))
        for r in response.xpath("//tr[count(*)>=2]")
    ]
    pairs += [(dt, dt.xpath("following-sibling::dd[1]")) for dt in response.xpath("//dt")]
    for label_sel, value_sel in pairs:
        if not label_sel or not value_sel:
            continue
        label = text_of(label_sel[0]).rstrip(":").strip()
        for pattern, key in RECORD_LABELS:
            if pattern.match(label) and key not in fields:
                fields[key] = value_sel[0]
                break
    return fields


class NspccLibrarySpider(ReviewSpider):
    """The NSPCC Library catalogue (Heritage): result pages by offset, then each record."""

    name = "nspcc-library"
    source = "nspcc-library"

    def first_requests(self) -> Iterator[Request]:
        return self.start_url_requests(self.parse_results)

    def parse_results(self, response: Response) -> Iterator[Any]:
        scope = response.meta["scope"]
        records = 0
        for a in response.xpath("//a[@href]"):
            href = a.attrib["href"]
            if re.search(r"retrieve|recordid=|/record/", href, re.I):
                records += 1
                request = self.page(
                    clean_url(response.urljoin(href)), self.parse_record, scope=scope
                )
                if request is not None:
                    yield request
        if records == 0 and not response.xpath("//*[contains(@class,'no-results')]"):
            yield PageProblem(
                response.url,
                self.source,
                scope,
                "layout",
                "no catalogue records on a result page: the layout may have changed",
            )
        nxt = response.xpath(
            "//a[@rel='next']/@href | //a[normalize-space(.)='Next' or normalize-space(.)='Next page'"
            " or normalize-space(.)='>' or normalize-space(.)='»']/@href"
        ).get()
        if nxt:
            request = self.page(clean_url(response.urljoin(nxt)), self.parse_results, scope=scope)
            if request is not None:
                yield request

    def parse_record(self, response: Response) -> Iterator[Any]:
        scope = response.meta["scope"]
        fields = record_fields(response)
        if "title" not in fields:
            yield PageProblem(
                response.url,
                self.source,
                scope,
                "layout",
                "catalogue record without a Title field: the layout may have changed",
            )
            return
        listing: dict[str, Any] = {}
        for key, sel in fields.items():
            if key == "link":
                continue
            text = text_of(sel)
            if key in ("learning_themes", "recommendations"):
                items = [text_of(li) for li in sel.xpath(".//li")] or split_list(text)
                listing[key] = [i for i in items if i]
            elif key == "keywords":
                items = [text_of(x) for x in sel.xpath(".//li|.//a")] or split_list(text)
                listing[key] = [i for i in items if i]
            else:
                listing[key] = text
        listing["source_labels"] = list(listing.get("keywords", []))
        year = year_of(listing.get("published", "")) or year_of(listing.get("title", ""))
        if year:
            listing["year"] = year
        code = name_code(listing.get("title", ""))
        if code:
            listing["child_code"] = code
        kind = review_type(f"{listing.get('title', '')} {listing.get('model', '')}")
        if kind:
            listing["review_type"] = kind
        query = parse_qs(urlsplit(response.url).query)
        record_id = (query.get("recordID") or query.get("recordid") or [None])[0] or urlsplit(
            response.url
        ).path.rstrip("/").rsplit("/", 1)[-1]
        link = fields.get("link")
        href = link.xpath(".//a/@href").get() if link is not None else None
        if href:
            yield ReportLink(
                url=clean_url(response.urljoin(href)),
                source=self.source,
                scope=scope,
                found_on=response.url,
                link_text=listing.get("title", ""),
                listing=listing,
                record_id=f"nspcc-{record_id}",
                kind_hint="case review",
            )
        else:
            listing["document_withdrawn"] = "no PDF link in the catalogue record"
            yield ReportLink(
                url=response.url,
                source=self.source,
                scope=scope,
                found_on=response.url,
                link_text=listing.get("title", ""),
                listing=listing,
                metadata_only=True,
                record_id=f"nspcc-{record_id}",
            )
