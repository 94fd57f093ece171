"""Jinja2 environment and the small formatting helpers the templates share.

Every value reaching a template is escaped by autoescape. The one place that builds
markup from report text, :func:`marked`, escapes first and only then turns the search
snippet's ``\\x02``/``\\x03`` markers into ``<mark>`` elements, so ``<``, ``&`` and quotes
in a report are always shown as text.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from scrkb.index.search import MARK_END, MARK_START
from scrkb.models import MatchReason
from scrkb.nlp.taxonomy import theme_name
from scrkb.reference import review_type_label
from scrkb.services.citations import site_original_href

WEB_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

SERVICE_NAME = "Case review knowledge base"

EVIDENCE_METHODS: dict[str, str] = {
    "text": "found in the report's text",
    "title_page": "read from the title page",
    "filename": "taken from the file name",
    "listing": "taken from the publisher's listing",
    "file_metadata": "taken from the file's own properties",
}


def marked(snippet: str | None) -> Markup:
    """Escape report text, then mark the search terms (never the other way round)."""
    safe = str(escape(snippet or ""))
    safe = safe.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    # A marker left unbalanced by truncation must not leave an open element.
    if safe.count("<mark>") != safe.count("</mark>"):
        safe = safe.replace("<mark>", "").replace("</mark>", "")
    return Markup(safe)


def excerpt(snippet: str | None, limit: int = 600) -> str:
    """At most ``limit`` characters of a marked snippet, around its first marked term.

    Cuts fall between words and never inside a marked term; "…" shows where text was cut.
    """
    text = snippet or ""
    if len(text) <= limit:
        return text
    first = text.find(MARK_START)
    start = max(0, first - limit // 4) if first >= 0 else 0
    end = min(len(text), start + limit)
    # Never cut inside a mark: move the cut outside it.
    open_at = text.rfind(MARK_START, 0, start)
    if open_at != -1 and text.rfind(MARK_END, 0, start) < open_at:
        start = open_at
    open_at = text.rfind(MARK_START, 0, end)
    if open_at != -1 and text.rfind(MARK_END, 0, end) < open_at:
        close = text.find(MARK_END, end)
        end = close + 1 if close != -1 else open_at
    if start > 0:
        space = text.find(" ", start, start + 40)
        if space != -1 and MARK_START not in text[start:space]:
            start = space + 1
    if end < len(text):
        space = text.rfind(" ", end - 40, end)
        if space > start and MARK_END not in text[space:end]:
            end = space
    return ("…" if start > 0 else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def highlight_span(text: str, start: int | None, end: int | None) -> Markup:
    """Text with one span (a theme's evidence) wrapped in ``<mark>``, escaped throughout."""
    if start is None or end is None or not (0 <= start < end <= len(text)):
        return Markup(escape(text))
    return Markup(
        f'{escape(text[:start])}<mark class="scrkb-evidence">{escape(text[start:end])}</mark>'
        f"{escape(text[end:])}"
    )


def evidence_marked(text: str, tags: list) -> Markup:  # list[ThemeTag]
    """A passage with each theme's evidence span marked; overlapping spans are merged."""
    spans = sorted((t.start, t.end) for t in tags if 0 <= t.start < t.end <= len(text))
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    pos = 0
    for start, end in merged:
        out.append(str(escape(text[pos:start])))
        out.append(f'<mark class="scrkb-evidence">{escape(text[start:end])}</mark>')
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def original_at(report_id: str, page: int = 1, fmt: str | None = None) -> str:
    """The kept copy of a report opened at a page (a web page's original has none)."""
    from scrkb.models import Citation

    return site_original_href(
        Citation(
            report_id=report_id,
            title="",
            partnership=None,
            year=None,
            page=page or 1,
            page_end=page or 1,
            source_url=None,
            format=fmt,
        )
    )


def why_matched(why: MatchReason | None) -> str:
    """ "Why this matched" as one line: the shared words, the asked-for themes, meaning."""
    if why is None:
        return ""
    parts = []
    if why.terms:
        words = ", ".join(f"“{t}”" for t in why.terms[:6])
        parts.append(f"{'the word' if len(why.terms) == 1 else 'the words'} {words}")
    if why.themes:
        names = " and ".join(t.name for t in why.themes)
        parts.append(f"tagged {names}, which your search is about")
    if why.meaning:
        parts.append("close in meaning to your search")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def query_string(params: list[tuple[str, str]], **changes: object) -> str:
    """A query string from (name, value) pairs with some names replaced or removed."""
    kept = [(k, v) for k, v in params if k not in changes]
    for key, value in changes.items():
        if value is None or value == "":
            continue
        if isinstance(value, list | tuple):
            kept.extend((key, str(v)) for v in value)
        else:
            kept.append((key, str(value)))
    return urlencode(kept)


def page_range(current: int, last: int) -> list[int | None]:
    """Page numbers for pagination: first, last, and neighbours of the current; None = gap."""
    wanted = {1, last, current - 1, current, current + 1}
    pages = sorted(p for p in wanted if 1 <= p <= last)
    out: list[int | None] = []
    for p in pages:
        if out and p - (out[-1] or 0) > 1:
            out.append(None)
        out.append(p)
    return out


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["marked"] = marked
    env.filters["excerpt"] = excerpt
    env.filters["review_type"] = review_type_label
    env.globals.update(
        service_name=SERVICE_NAME,
        plural=plural,
        highlight_span=highlight_span,
        evidence_marked=evidence_marked,
        evidence_methods=EVIDENCE_METHODS,
        theme_name=theme_name,
        original_at=original_at,
        why_matched=why_matched,
    )
    return env
