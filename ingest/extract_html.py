"""A web page to the lines of its main content, without the site around it.

Partnership pages wrap a report in navigation, breadcrumbs, cookie banners, search
boxes, share buttons and "related documents"; left in, that chrome would become
passages and match every query. The page's own landmarks (``<main>``, ``<article>``,
``role=main``) pick the content when present, otherwise the element holding the most
paragraph text does.

Before BeautifulSoup builds its tree, ``guards.check_html`` counts the page's elements,
nesting and text with lxml's streaming parser, refusing pages nested or sized far beyond
any real one.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, ProcessingInstruction

from scrkb.ingest.guards import Deadline, ExtractLimits, check_html
from scrkb.models import Line, PageText

DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "canvas",
    "object",
    "embed",
    "button",
    "select",
    "input",
    "textarea",
    "link",
    "meta",
    "nav",
    "aside",
    "dialog",
)
CHROME = re.compile(
    r"(?:^|[-_])(?:nav|navbar|navigation|menu|menubar|breadcrumbs?|cookies?|consent|gdpr|"
    r"skip|skiplink|search|searchbox|social|share|sharing|sharethis|addthis|sidebar|"
    r"related|feedback|pagination|sr-only|visually-hidden)(?:$|[-_])",
    re.I,
)
CHROME_ROLES = {
    "navigation",
    "banner",
    "contentinfo",
    "search",
    "complementary",
    "menu",
    "menubar",
    "dialog",
    "alertdialog",
}
BLOCK_LINES = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "dt",
    "dd",
    "pre",
    "caption",
    "figcaption",
    "address",
}
CONTAINERS = {
    "html",
    "body",
    "main",
    "article",
    "section",
    "div",
    "ul",
    "ol",
    "dl",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "blockquote",
    "figure",
    "details",
    "summary",
    "center",
    "form",
    "fieldset",
    "header",
    "footer",
    "td",
    "th",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.I)
_WINDOWS_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
}


def decode_html(data: bytes) -> str:
    """Bytes to text as a browser would: BOM, then the meta charset (ISO-8859-1 read
    as Windows-1252, as browsers do), then UTF-8, then Windows-1252."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, "replace")
    match = _META_CHARSET.search(data[:4096])
    if match:
        declared = match.group(1).decode("ascii", "ignore").lower()
        declared = _WINDOWS_ALIASES.get(declared, declared)
        try:
            codecs.lookup(declared)
        except LookupError:
            declared = ""
        if declared and not declared.startswith("utf-16"):
            return data.decode(declared, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def extract_html(
    data: bytes,
    *,
    name: str = "the page",
    limits: ExtractLimits | None = None,
    deadline: Deadline | None = None,
) -> tuple[list[PageText], str | None, list[str]]:
    """Return (one page of lines, title, warnings) for a web page's bytes."""
    limits = limits or ExtractLimits()
    text = decode_html(data)
    check_html(text, name, limits, deadline or Deadline(limits.seconds, name))
    soup = BeautifulSoup(text, "lxml")
    title = _title(soup)
    for el in soup.find_all(list(DROP_TAGS)):
        el.decompose()
    for el in soup.find_all(string=lambda s: isinstance(s, Comment | ProcessingInstruction)):
        el.extract()
    root = _main_element(soup)
    warnings: list[str] = []
    if root is None:
        return [PageText(number=1, lines=[])], title, ["no content found on the page"]
    _strip_chrome(root)
    lines = [ln for ln in _lines(root) if not is_boilerplate(ln.text)]
    if title is None:
        title = next((ln.text for ln in lines if ln.style_level == 1), None)
    return _pages(lines), title, warnings


_PAGE_OF = re.compile(
    r"^(?:page|p\s?a\s?g\s?e)\s*(\d{1,4})\s*(?:(?:of|/|\|)\s*\d{1,4}|:\s*\S.{0,120})$", re.I
)


def _pages(lines: list[Line]) -> list[PageText]:
    """One page, or the report's own pages where a transcript marks them ("Page 2 of 9"
    lines counting up): a document-sharing site's copy of a PDF keeps its page numbers,
    so its title page and citations are right. The markers themselves are dropped."""
    marks = [(i, _PAGE_OF.match(ln.text)) for i, ln in enumerate(lines)]
    marks = [(i, int(m.group(1))) for i, m in marks if m]
    numbers = [n for _, n in marks]
    if len(marks) < 2 or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return [PageText(number=1, lines=lines)]
    pages: list[PageText] = []
    if marks[0][0] > 0 and numbers[0] > 1:
        pages.append(PageText(number=numbers[0] - 1, lines=lines[: marks[0][0]]))
    for k, (i, n) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else len(lines)
        body = lines[i + 1 : end]
        if k == 0 and numbers[0] == 1:
            body = lines[:i] + body  # anything before "Page 1 of N" is on page 1
        pages.append(PageText(number=n, lines=body))
    return pages


# Lines a site puts around a document that are never the document's text: upload dates
# and view counts on document-sharing sites, skip links, download and share buttons.
_BOILERPLATE = re.compile(
    r"^(?:(?:post(?:ed)?|uploaded|added|shared)\s+(?:on|by)\b.{0,40}"
    r"|upload(?:ed)?\s+date:?.{0,30}|[\d,.]+k?\s+(?:views?|downloads?|pages?)"
    r"|views?:?\s*[\d,.]+|skip\s+to\s+(?:main\s+)?content|download(?:\s+(?:pdf|now|file))?"
    r"|report\s+(?:this\s+)?(?:document|abuse)|embed|share(?:\s+this(?:\s+page)?)?:?"
    r"|print(?:\s+this\s+page)?|back\s+to\s+top|category:?(?:\s*\w+)?|recommended"
    r"|(?:log|sign)\s+in|upload(?::\s*\w+)?|transcript|[\d,.]+k?\s+(?:likes?|shares?))$",
    re.IGNORECASE,
)


def is_boilerplate(text: str) -> bool:
    """A short line that belongs to the site, not the document ("Post on 29-Sep-2020",
    "1,204 views", "Skip to content", "Download")."""
    t = " ".join(text.split())
    return len(t) <= 60 and bool(_BOILERPLATE.match(t))


def site_name(data: bytes) -> str | None:
    """The name of the site a page belongs to: its ``og:site_name``, else the last part
    of a "<page> | <site>" title. A partnership's own site names the partnership, which
    is the publisher of a review published as a web page."""
    soup = BeautifulSoup(decode_html(data[:65536]), "lxml")
    meta = soup.find("meta", attrs={"property": "og:site_name"})
    if isinstance(meta, Tag) and str(meta.get("content") or "").strip():
        return " ".join(str(meta["content"]).split())
    if soup.title and " | " in soup.title.get_text():
        return " ".join(soup.title.get_text().split(" | ")[-1].split()) or None
    return None


def _title(soup: BeautifulSoup) -> str | None:
    """The <title>, without the " | Site name" most sites append; else the first h1."""
    if soup.title and soup.title.get_text(strip=True):
        text = " ".join(soup.title.get_text().split())
        text = text.split(" | ")[0].strip() or text
        head, sep, site = text.rpartition(" - ")
        if sep and head and len(site.split()) == 1 and not re.search(r"\d", site):
            text = head  # "Serious Case Review Child A - DocShelf": the site's own name
        return text
    h1 = soup.find("h1")
    return " ".join(h1.get_text().split()) or None if h1 else None


def _main_element(soup: BeautifulSoup) -> Tag | None:
    for finder in (lambda: soup.find("main"), lambda: soup.find(attrs={"role": "main"})):
        found = finder()
        if isinstance(found, Tag) and found.get_text(strip=True):
            return found
    articles = [a for a in soup.find_all("article") if a.get_text(strip=True)]
    if articles:
        return max(articles, key=lambda a: len(a.get_text(" ", strip=True)))
    scores: dict[int, tuple[int, Tag]] = {}
    for p in soup.find_all("p"):
        parent = p.parent
        if isinstance(parent, Tag):
            length = len(p.get_text(" ", strip=True))
            prev = scores.get(id(parent), (0, parent))[0]
            scores[id(parent)] = (prev + length, parent)
    if scores:
        return max(scores.values(), key=lambda item: item[0])[1]
    body = soup.body or soup
    return body if isinstance(body, Tag) and body.get_text(strip=True) else None


def _strip_chrome(root: Tag) -> None:
    """Remove site chrome inside the content root. Headers and footers inside an
    article are the article's own (its title, its date) and stay; so does anything
    holding most of the text, whatever its class says ("has-sidebar" wrappers)."""
    total = len(root.get_text(" ", strip=True))
    for el in list(root.find_all(True)):
        if el.decomposed:
            continue
        if el.name in ("header", "footer"):
            remove = el.find_parent("article") is None
        elif el.name == "form":
            remove = len(el.get_text(" ", strip=True)) < 200
        else:
            remove = _is_chrome(el)
        if (
            remove
            and (el.find(["article", "main"]) is None)
            and (total < 1000 or len(el.get_text(" ", strip=True)) < total * 0.6)
        ):
            el.decompose()


def _is_chrome(el: Tag) -> bool:
    if el.has_attr("hidden") or el.get("aria-hidden") == "true":
        return True
    role = str(el.get("role") or "").lower()
    if role in CHROME_ROLES:
        return True
    classes = el.get("class") or []
    tokens = [
        *(classes if isinstance(classes, list) else str(classes).split()),
        str(el.get("id") or ""),
    ]
    return any(token and CHROME.search(token) for token in tokens)


def _lines(root: Tag) -> Iterator[Line]:
    """Walk the content in document order: headings, paragraphs, list items and table
    rows each become a line; loose text in containers becomes a line too."""
    loose: list[str] = []

    def flush() -> Iterator[Line]:
        text = " ".join("".join(loose).split())
        loose.clear()
        if text:
            yield Line(text=text, new_block=True)

    for child in root.children:
        if isinstance(child, NavigableString):
            loose.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name == "br":
            yield from flush()
        elif name == "tr":
            yield from flush()
            yield from _row(child)
        elif name == "li" and child.find(["ul", "ol"]) is not None:
            yield from flush()
            text = _own_text(child)
            if text:
                yield Line(text=text, new_block=True, list_item=True)
            for nested in child.find_all(["ul", "ol"], recursive=False):
                yield from _lines(nested)
        elif name in BLOCK_LINES and not _has_block_child(child, name):
            yield from flush()
            yield from _block(child)
        elif name in CONTAINERS or name in BLOCK_LINES or _has_block_child(child, name):
            yield from flush()
            yield from _lines(child)
        else:
            loose.append(child.get_text())
    yield from flush()


def _has_block_child(el: Tag, name: str) -> bool:
    """Whether an element holds blocks of its own (a layout cell, a div inside a li)."""
    if name in ("h1", "h2", "h3", "h4", "h5", "h6", "pre"):
        return False
    return (
        el.find(
            [
                "p",
                "div",
                "table",
                "ul",
                "ol",
                "h1",
                "h2",
                "h3",
                "h4",
                "h5",
                "h6",
                "section",
                "article",
            ]
        )
        is not None
    )


_BR_MARK = "\u2028"  # a single <br>: a line wrap inside a paragraph


def _block(el: Tag) -> Iterator[Line]:
    name = el.name
    level = int(name[1]) if re.fullmatch(r"h[1-6]", name) else None
    # "<br><br>" inside a paragraph separates paragraphs; a single <br> wraps a line.
    parts: list[list[str]] = [[]]
    previous_br = False
    for node in el.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                if previous_br:
                    parts.append([])
                    previous_br = False
                else:
                    parts[-1].append(_BR_MARK)
                    previous_br = True
            continue
        if isinstance(node, NavigableString) and not isinstance(node, Comment):
            if str(node).strip():
                previous_br = False
            parts[-1].append(str(node))
    bold = _all_bold(el)
    wrapped = level is None and sum(1 for b in el.find_all("br")) >= 3
    for piece in parts:
        if wrapped:
            # A transcript of a PDF (document-sharing sites): the report's own lines,
            # hard-wrapped with <br>. Each stays a line, so paragraphs and headings are
            # rebuilt from the text as for a text file.
            rows = [" ".join(r.split()) for r in "".join(piece).split(_BR_MARK)]
            for k, row in enumerate(r for r in rows if r):
                yield Line(text=row, new_block=k == 0)
            continue
        text = " ".join("".join(piece).replace(_BR_MARK, " ").split())
        if text:
            yield Line(
                text=text,
                style_level=level,
                new_block=True,
                list_item=name == "li",
                bold=bold and level is None,
            )


def _all_bold(el: Tag) -> bool:
    """Whether every piece of text sits in <strong>/<b>: a bold-only paragraph is often
    a heading the author styled by hand."""
    texts = [s for s in el.find_all(string=True) if s.strip()]
    return bool(texts) and all(_inside_bold(s, el) for s in texts)


def _inside_bold(node: NavigableString, stop: Tag) -> bool:
    for parent in node.parents:
        if parent.name in ("strong", "b"):
            return True
        if parent is stop:
            return False
    return False


def _own_text(el: Tag) -> str:
    """Text of an element without its nested lists (they become lines of their own)."""
    parts = [
        str(s)
        for s in el.find_all(string=True)
        if not any(p.name in ("ul", "ol") for p in s.parents if p is not el and el in p.parents)
    ]
    return " ".join("".join(parts).split())


def _row(tr: Tag) -> Iterator[Line]:
    cells = tr.find_all(["td", "th"], recursive=False)
    if any(_has_block_child(cell, cell.name) for cell in cells):
        for cell in cells:
            yield from _lines(cell)
        return
    text = " | ".join(t for t in (" ".join(c.get_text(" ").split()) for c in cells) if t)
    if text:
        yield Line(text=text, new_block=True)
