"""Item pipelines: everything after parsing. Spiders say where documents are; here they are
filtered, downloaded, hashed, classified, de-duplicated, written to disk and recorded.

Order (see ``settings.ITEM_PIPELINES``):

1. ``FilterPipeline``: duplicate URL, ``--since``, ``--limit``, and links that are plainly
   not reviews (an "Annual report 2023" link is never downloaded).
2. ``DownloadPipeline``: fetches through Scrapy's downloader, so robots.txt, AutoThrottle,
   retries with back-off, the HTTP cache (conditional requests) and the size cap apply.
3. ``ClassifyPipeline``: unchanged content, duplicate content (sha256), the first page.
4. ``StorePipeline``: writes the file and its provenance, counts new / changed.

A skipped item is a ``Skip`` (a ``DropItem``) with a machine-readable reason; a failure is
a ``Failed``. Every outcome lands in the state database as an event, so the summary and the
tests can say exactly what happened to each URL.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, DropItem, IgnoreRequest
from scrapy.http import Response

from scrkb.ingest.crawl.classify import (
    KEPT_KINDS,
    Classification,
    classify_first_page,
    classify_link,
    classify_text,
    decide,
    name_code,
    review_type,
    year_of,
)
from scrkb.ingest.crawl.items import PageProblem, ReportLink
from scrkb.ingest.crawl.state import CrawlState

log = logging.getLogger(__name__)


class Skip(DropItem):
    """An item deliberately not stored; ``reason`` is machine-readable."""

    def __init__(self, reason: str, detail: str = "") -> None:
        # Logged at INFO: a skip is a decision, recorded in the state database, not a warning.
        super().__init__(
            f"skipped ({reason}): {detail}" if detail else f"skipped ({reason})", log_level="INFO"
        )
        self.reason = reason
        self.detail = detail


class Failed(DropItem):
    """An item that could not be fetched; ``reason`` is machine-readable."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"failed ({reason}): {detail}" if detail else f"failed ({reason})")
        self.reason = reason
        self.detail = detail


@dataclass
class Candidate:
    """A ``ReportLink`` on its way through the pipelines, gathering what was learned."""

    link: ReportLink
    link_class: Classification
    final_url: str | None = None
    status: int | None = None
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    cached: bool = False
    fetched_at: str | None = None
    sha256: str | None = None
    suffix: str = ""
    first_page: str = ""
    doc_class: Classification | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # metadata from the title page
    outcome: str | None = None  # new, changed
    previous_sha: str | None = None  # what was stored for this URL before this run

    @property
    def url(self) -> str:
        return self.link.url


class CrawlContext:
    """What the pipelines of one crawl process share: the state, the run and its counters."""

    def __init__(self, crawler: Crawler) -> None:
        s = crawler.settings
        self.crawler = crawler
        self.state = CrawlState(Path(s["SCRKB_STATE_PATH"]))
        self.run_id: int = s.getint("SCRKB_RUN_ID")
        self.download_dir = Path(s["SCRKB_DOWNLOAD_DIR"])
        self.record_dir = Path(s["SCRKB_RECORD_DIR"])
        self.limit: int | None = s.getint("SCRKB_LIMIT") or None
        self.since: int | None = s.getint("SCRKB_SINCE") or None
        self.seen_urls: set[str] = set()
        self.seen_sha: dict[str, str] = {}
        self.stored = 0
        self.gone_urls: set[str] = set()
        self.reached_scopes: set[str] = set()

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlContext:
        ctx = getattr(crawler, "_scrkb_context", None)
        if ctx is None:
            ctx = cls(crawler)
            crawler._scrkb_context = ctx  # type: ignore[attr-defined]
        return ctx

    def emit(self, **event: Any) -> None:
        """One JSON line on stdout: the parent process draws its progress display from these."""
        sys.stdout.write(json.dumps(event, default=str) + "\n")
        sys.stdout.flush()

    def record(self, url: str, outcome: str, reason: str | None = None, detail: str = "") -> None:
        self.state.record(self.run_id, url, outcome, reason, detail)
        self.emit(event="item", url=url, outcome=outcome, reason=reason, detail=detail)

    def skip(self, link: ReportLink, reason: str, detail: str = "") -> Skip:
        self.record(link.url, "skipped", reason, detail)
        if reason != "limit":  # a limited run leaves the rest for the next run
            self.state.done_pending(link.source, link.url)
        return Skip(reason, detail)

    def fail(self, link: ReportLink, reason: str, detail: str = "") -> Failed:
        self.record(link.url, "failed", reason, detail)
        self.state.done_pending(link.source, link.url)
        return Failed(reason, detail)

    @property
    def limit_reached(self) -> bool:
        return self.limit is not None and self.stored >= self.limit


class _Stage:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.ctx = CrawlContext.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _Stage:
        return cls(crawler)


class FilterPipeline(_Stage):
    """Cheap decisions before any download: problems, duplicates, --since, --limit, link class."""

    def process_item(self, item: Any) -> Candidate:
        ctx = self.ctx
        if isinstance(item, PageProblem):
            ctx.record(item.url, "failed" if item.failed else "skipped", item.reason, item.detail)
            raise DropItem(f"{item.reason}: {item.url}", log_level="INFO")
        if not isinstance(item, ReportLink):
            raise DropItem(f"unexpected item {type(item).__name__}")
        if item.url in ctx.seen_urls:
            # Found twice in one run (linked from two pages): fetched and stored once.
            ctx.record(item.url, "skipped", "duplicate_url", "already found in this run")
            raise Skip("duplicate_url", "already found in this run")
        ctx.seen_urls.add(item.url)
        ctx.reached_scopes.add(item.scope)
        ctx.record(item.url, "found", None, item.link_text or item.listing.get("title", ""))
        ctx.state.add_pending(item.source, item.url, item.to_dict())
        year = _int(item.listing.get("year"))
        if ctx.since and year and year < ctx.since:
            raise ctx.skip(item, "before_since", f"listed as {year}, before {ctx.since}")
        if ctx.limit_reached:
            raise ctx.skip(item, "limit", f"--limit {ctx.limit} reached")
        if item.kind_hint:
            # The publisher says what it is ("case review"); the link text may still say
            # "executive summary" or "7 minute briefing".
            cls = classify_text(item.link_text, by="publisher", allow_not_review=False)
            if cls.kind == "unknown":
                cls = Classification("review_report", f"publisher: {item.kind_hint}", "publisher")
        else:
            cls = classify_link(item.link_text, item.url, item.heading)
        known = ctx.state.document(item.url)
        if known is not None:
            ctx.state.seen(item.url, ctx.run_id)
        if cls.kind == "not_review" and not item.metadata_only:
            raise ctx.skip(item, "not_review", f"{cls.reason} (from the {cls.by})")
        return Candidate(link=item, link_class=cls)


class DownloadPipeline(_Stage):
    """Fetch the document through the downloader middlewares (robots, cache, retry, size)."""

    async def process_item(self, item: Candidate) -> Candidate:
        link, ctx = item.link, self.ctx
        if link.metadata_only:
            return item
        request = Request(link.url, dont_filter=True)
        try:
            response: Response = await self.crawler.engine.download_async(request)  # type: ignore[union-attr]
        except IgnoreRequest as exc:
            if "robots" in str(exc).lower():
                raise ctx.skip(link, "robots", "disallowed by robots.txt") from None
            raise ctx.skip(link, "ignored", str(exc)) from None
        except DownloadCancelledError as exc:
            if "max size" in str(exc):
                raise ctx.skip(link, "too_large", _short(str(exc))) from None
            raise ctx.fail(link, "cancelled", _short(str(exc))) from None
        except Exception as exc:  # network errors after the retries are spent
            reason = (
                "timeout"
                if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc)
                else "network"
            )
            raise ctx.fail(link, reason, f"{type(exc).__name__}: {_short(str(exc))}") from None
        item.final_url = response.url
        item.status = response.status
        item.fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        if response.status in (404, 410):
            known = ctx.state.document(link.url)
            if known is not None and known["sha256"]:
                ctx.gone_urls.add(link.url)
                raise ctx.skip(
                    link, "gone", f"HTTP {response.status}: kept, marked no longer online"
                )
            if link.listing and link.source == "nspcc-library":
                # The catalogue withdraws PDF links after five years: keep the record.
                link.metadata_only = True
                link.listing["document_withdrawn"] = f"HTTP {response.status}"
                return item
            raise ctx.fail(link, f"http_{response.status}", f"HTTP {response.status}")
        if response.status >= 400:
            raise ctx.fail(link, f"http_{response.status}", f"HTTP {response.status}")
        item.body = response.body
        item.cached = "cached" in response.flags
        item.content_type = _header(response, b"Content-Type") or ""
        item.etag = _header(response, b"ETag")
        item.last_modified = _header(response, b"Last-Modified")
        item.sha256 = hashlib.sha256(item.body).hexdigest()
        item.suffix = sniff_suffix(item.body, item.content_type)
        if not item.suffix:
            raise ctx.skip(
                link, "not_document", f"not a PDF or Word file (Content-Type {item.content_type!r})"
            )
        return item


class ClassifyPipeline(_Stage):
    """Unchanged? Same content as another URL? And from its first page: is it a review?"""

    def process_item(self, item: Candidate) -> Candidate:
        link, ctx = item.link, self.ctx
        if link.metadata_only:
            item.doc_class = Classification(
                "unknown", "catalogue record without document", "publisher"
            )
            return item
        assert item.sha256 is not None
        known = ctx.state.document(link.url)
        stored = bool(known and (known["path"] or known["kind"] not in KEPT_KINDS))
        if known and known["sha256"] == item.sha256 and stored:
            ctx.state.upsert_document(
                link.url,
                last_seen_run=ctx.run_id,
                http_status=item.status,
                etag=item.etag,
                last_modified=item.last_modified,
            )
            how = "304 Not Modified" if item.cached else "same sha256"
            raise ctx.skip(link, "unchanged", f"{how} ({known['kind']})")
        twin = ctx.seen_sha.get(item.sha256)
        if twin is None:
            row = ctx.state.document_by_sha(item.sha256, other_than=link.url)
            twin = row["url"] if row else None
        if twin is not None:
            raise ctx.skip(link, "duplicate_content", f"same sha256 as {twin}")
        ctx.seen_sha[item.sha256] = link.url
        item.previous_sha = known["sha256"] if known and known["path"] else None
        item.first_page = first_page_text(item.body, item.suffix)
        item.doc_class = decide(item.link_class, classify_first_page(item.first_page))
        item.extra = title_page_metadata(item.first_page)
        # Remember every downloaded file's hash, kept or not, so the next run can say
        # "unchanged" without classifying it again.
        ctx.state.upsert_document(
            link.url,
            source=link.source,
            scope=link.scope,
            final_url=item.final_url,
            sha256=item.sha256,
            http_status=item.status,
            etag=item.etag,
            last_modified=item.last_modified,
            content_type=item.content_type,
            size=len(item.body),
            fetched_at=item.fetched_at,
            last_seen_run=ctx.run_id,
            kind=item.doc_class.kind,
            classified_by=item.doc_class.by,
            class_reason=item.doc_class.reason,
            listing=_listing(link, item.extra),
        )
        if not item.doc_class.kept:
            raise ctx.skip(
                link, "not_review", f"{item.doc_class.reason} (from the {item.doc_class.by})"
            )
        year = _int(link.listing.get("year")) or _int(item.extra.get("year"))
        if ctx.since and year and year < ctx.since:
            raise ctx.skip(link, "before_since", f"dated {year}, before {ctx.since}")
        return item


class StorePipeline(_Stage):
    """Write the file (or the catalogue record) and its provenance; count new / changed."""

    def process_item(self, item: Candidate) -> Candidate:
        link, ctx = item.link, self.ctx
        if ctx.limit_reached:
            raise ctx.skip(link, "limit", f"--limit {ctx.limit} reached")
        known = ctx.state.document(link.url)
        if link.metadata_only:
            body = catalogue_record(link).encode("utf-8")
            sha = hashlib.sha256(body).hexdigest()
            if known and known["sha256"] == sha and known["path"]:
                ctx.state.upsert_document(link.url, last_seen_run=ctx.run_id)
                raise ctx.skip(link, "unchanged", "catalogue record unchanged")
            name = re.sub(r"[^A-Za-z0-9_.-]+", "-", link.record_id or sha[:16]).strip("-")
            path = ctx.record_dir / link.source / f"{name}.md"
            _write(path, body)
            ctx.state.upsert_document(
                link.url,
                source=link.source,
                scope=link.scope,
                sha256=sha,
                path=str(path),
                fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
                http_status=item.status,
                last_seen_run=ctx.run_id,
                kind="catalogue_record",
                classified_by="publisher",
                class_reason="catalogue record: no document online",
                listing=_listing(link, {}),
                metadata_only=1,
            )
            was = known["sha256"] if known else None
        else:
            assert item.sha256 is not None
            path = ctx.download_dir / item.sha256[:2] / f"{item.sha256}{item.suffix}"
            _write(path, item.body)
            ctx.state.upsert_document(link.url, path=str(path), metadata_only=0)
            was = item.previous_sha
        item.outcome = "changed" if was else "new"
        ctx.stored += 1
        ctx.record(link.url, item.outcome, None, str(path.name))
        ctx.state.done_pending(link.source, link.url)
        item.body = b""  # let the memory go; the file is on disk
        return item


class CrawlRecorder:
    """Extension: progress lines for pages and a record of unexpected pipeline errors."""

    def __init__(self, crawler: Crawler) -> None:
        self.ctx = CrawlContext.of(crawler)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRecorder:
        return cls(crawler)

    def response_received(self, response: Response, request: Request, spider: Any) -> None:
        self.ctx.emit(event="page", url=response.url, status=response.status)

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        url = getattr(item, "url", "?")
        self.ctx.record(url, "failed", "error", _short(str(failure.value)))


# ------------------------------------------------------------------------- helpers
def sniff_suffix(body: bytes, content_type: str) -> str:
    """The file type from its first bytes: servers send PDFs as text/html and worse."""
    head = body[:8]
    if head.startswith(b"%PDF-") or b"%PDF-" in body[:1024]:
        return ".pdf"
    if head.startswith(b"PK\x03\x04"):
        return ".docx" if b"word/" in body[:65536] or "wordprocessing" in content_type else ""
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ".doc"
    return ""


def first_page_text(body: bytes, suffix: str) -> str:
    """Text of the first page (PDF) or first paragraphs (DOCX, legacy .doc); empty when
    there is none."""
    try:
        if suffix == ".pdf":
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(body)
            try:
                parts = []
                for i in range(min(len(pdf), 2)):
                    parts.append(pdf[i].get_textpage().get_text_range())
                    if len(" ".join(parts).split()) > 60:
                        break
                return "\n".join(parts)
            finally:
                pdf.close()
        if suffix == ".docx":
            import docx

            document = docx.Document(io.BytesIO(body))
            return "\n".join(p.text for p in document.paragraphs[:40])
        if suffix == ".doc":
            import tempfile

            from scrkb.ingest.extract_doc import antiword_path, doc_text

            if antiword_path() is None:
                return ""
            with tempfile.NamedTemporaryFile(suffix=".doc") as fh:
                fh.write(body)
                fh.flush()
                return "\n".join(doc_text(Path(fh.name), timeout=30).splitlines()[:40])
    except Exception as exc:  # a broken file is ingest's problem to report, not the crawler's
        log.info("could not read the first page: %s", exc)
    return ""


def title_page_metadata(text: str) -> dict[str, Any]:
    """Partnership-independent facts from the title page: year, name-code, review type."""
    head = " ".join(text[:800].split())
    extra: dict[str, Any] = {}
    if (code := name_code(head)) is not None:
        extra["child_code"] = code
    if (kind := review_type(head)) is not None:
        extra["review_type"] = kind
    if (year := year_of(head)) is not None:
        extra["year"] = year
    return extra


def catalogue_record(link: ReportLink) -> str:
    """A metadata-only document: the catalogue's own words, so the record is searchable."""
    listing = link.listing
    lines = [f"# {listing.get('title') or link.link_text or link.record_id or link.url}", ""]
    for key, label in (
        ("partnership", "Partnership"),
        ("year", "Year"),
        ("published", "Published"),
        ("author", "Author"),
        ("child_code", "Child"),
        ("review_type", "Review type"),
        ("model", "Review model"),
        ("document_withdrawn", "Document withdrawn"),
    ):
        if listing.get(key):
            lines.append(f"{label}: {listing[key]}")
    lines += ["", "This is a catalogue record: the report itself is no longer online.", ""]
    for key, label in (
        ("precis", "Summary"),
        ("learning_themes", "Learning"),
        ("recommendations", "Recommendations"),
        ("keywords", "Keywords"),
    ):
        value = listing.get(key)
        if not value:
            continue
        lines += [f"## {label}", ""]
        if isinstance(value, list):
            lines += [f"- {v}" for v in value]
        else:
            lines.append(str(value))
        lines.append("")
    return "\n".join(lines)


def _listing(link: ReportLink, extra: dict[str, Any]) -> dict[str, Any]:
    """Listing metadata with title-page facts filling its gaps (each marked by its method)."""
    data = dict(link.listing)
    data.setdefault("link_text", link.link_text)
    if link.heading:
        data.setdefault("heading", link.heading)
    if link.found_on:
        data.setdefault("found_on", link.found_on)
    methods = {
        k: "listing" for k in ("partnership", "year", "child_code", "review_type") if data.get(k)
    }
    for key, value in extra.items():
        if not data.get(key):
            data[key] = value
            methods[key] = "title_page"
    data["metadata_method"] = methods
    return data


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(body)
    os.replace(tmp, path)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _short(text: str, n: int = 200) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
