"""Render the fictional sample reviews to the real file formats publishers use.

The demo and the tests must exercise the real loaders and the cleaning on files that
look like the ones partnerships publish: a PDF with a title page, a contents page with
dot leaders, running headers and "Page N of M" footers; a Word file with heading styles
and page breaks; a web page with navigation, breadcrumbs and a cookie banner around the
report; or plain text with form feeds between pages. A Markdown-like source
(``samples/reviews/<slug>.md``, see ``samples/README.md``) is the one truth they share.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import textwrap
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

FICTION_NOTICE = (
    "FICTIONAL: written for the scrkb sample corpus. "
    "No real child, family, place or service is described."
)

# Bump when the output of a renderer changes, so build_samples re-renders everything.
RENDER_VERSION = "1"

EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "text": ".txt"}

BlockKind = Literal["h1", "h2", "p", "li"]


@dataclass(frozen=True)
class SourceBlock:
    """One heading, paragraph or list item of a review's body."""

    kind: BlockKind
    text: str


@dataclass
class Review:
    """A parsed sample review: the front matter and the body blocks in order."""

    meta: dict[str, Any]
    blocks: list[SourceBlock]
    source: Path | None = None
    source_sha256: str = ""

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or "Untitled review")

    @property
    def partnership(self) -> str:
        return str(self.meta.get("partnership") or "")

    @property
    def slug(self) -> str:
        if self.meta.get("slug"):
            return str(self.meta["slug"])
        return self.source.stem if self.source else "review"

    @property
    def format(self) -> str:
        return str(self.meta.get("format") or "pdf")

    @property
    def running_header(self) -> str:
        return f"{self.partnership} \u2014 {self.title}" if self.partnership else self.title

    def title_page_lines(self) -> list[str]:
        """What a title page shows under the title, in order, skipping absent fields."""
        keys = ("partnership", "document_kind", "author", "published")
        lines = [str(self.meta[k]) for k in keys if self.meta.get(k)]
        if self.meta.get("document_kind"):
            i = lines.index(str(self.meta["document_kind"]))
            lines[i] = lines[i][:1].upper() + lines[i][1:]
        return lines


# --------------------------------------------------------------------------- parsing
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def parse_review_text(text: str, source: Path | None = None) -> Review:
    """Parse a review's source text; see ``parse_review``."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    match = _FRONT_MATTER.match(text)
    meta: dict[str, Any] = {}
    if match:
        loaded = yaml.safe_load(match.group(1)) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{source or 'review'}: front matter is not a mapping")
        meta = loaded
        text = text[match.end() :]
    blocks: list[SourceBlock] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(SourceBlock("p", " ".join(paragraph)))
            paragraph.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("## "):
            flush()
            blocks.append(SourceBlock("h2", line[3:].strip()))
        elif line.startswith("# "):
            flush()
            blocks.append(SourceBlock("h1", line[2:].strip()))
        elif line.startswith("- "):
            flush()
            blocks.append(SourceBlock("li", line[2:].strip()))
        else:
            paragraph.append(line)
    flush()
    digest = hashlib.sha256(text.encode("utf-8") + repr(meta).encode("utf-8")).hexdigest()
    return Review(meta=meta, blocks=blocks, source=source, source_sha256=digest)


def parse_review(path: Path) -> Review:
    """Read ``reviews/<slug>.md``: YAML front matter, then a body where ``# `` starts a
    heading, ``## `` a sub-heading, ``- `` a list item and blank lines end paragraphs."""
    path = Path(path)
    review = parse_review_text(path.read_text(encoding="utf-8"), source=path)
    review.source_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return review


_NUMBER = re.compile(r"^(\d+)((?:\.\d+)*\.?)(\s)")


def body_blocks(review: Review, repeat: int = 1) -> list[SourceBlock]:
    """The body, repeated ``repeat`` times with section numbers shifted on each copy, so
    a long document (for benchmarks) still has distinct, increasing headings."""
    if repeat <= 1:
        return list(review.blocks)
    top = [
        int(m.group(1)) for b in review.blocks if b.kind == "h1" and (m := _NUMBER.match(b.text))
    ]
    step = max(top, default=0)
    out: list[SourceBlock] = []
    for copy in range(repeat):
        offset = copy * step
        for block in review.blocks:
            text = block.text
            if offset and block.kind != "li":
                text = _NUMBER.sub(
                    lambda m, o=offset: f"{int(m.group(1)) + o}{m.group(2)}{m.group(3)}", text
                )
                if not _NUMBER.match(block.text) and block.kind in ("h1", "h2"):
                    text = f"{text} (part {copy + 1})"
            out.append(SourceBlock(block.kind, text))
    return out


def contents_entries(blocks: list[SourceBlock]) -> list[tuple[int, str]]:
    """(level, heading) for the contents page: every heading in the body."""
    return [(1 if b.kind == "h1" else 2, b.text) for b in blocks if b.kind in ("h1", "h2")]


# --------------------------------------------------------------------------- PDF
def render_pdf(review: Review, out_path: Path, *, repeat: int = 1) -> Path:
    """Write a PDF laid out as partnerships publish them (title page, contents with dot
    leaders and page numbers, running header, "Page N of M" footer, justified text)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    _build_pdf(review, body_blocks(review, repeat), out_path)
    return out_path


PDF_MARGIN = 72.0  # points: one inch, as most published reports use
HEADER_SIZE = 8.0


def _pdf_styles() -> dict[str, Any]:
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle(
        "Body", fontName="Helvetica", fontSize=11, leading=15, alignment=TA_JUSTIFY, spaceAfter=8
    )
    return {
        "title": ParagraphStyle(
            "Title",
            fontName="Helvetica-Bold",
            fontSize=24,
            leading=30,
            alignment=TA_CENTER,
            spaceBefore=120,
            spaceAfter=36,
        ),
        "front": ParagraphStyle(
            "Front",
            fontName="Helvetica",
            fontSize=13,
            leading=18,
            alignment=TA_CENTER,
            spaceAfter=10,
        ),
        "notice": ParagraphStyle(
            "Notice",
            fontName="Helvetica-Oblique",
            fontSize=10,
            leading=13,
            alignment=TA_CENTER,
            spaceBefore=60,
        ),
        "contents": ParagraphStyle(
            "Contents", fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=18
        ),
        "h1": ParagraphStyle(
            "H1",
            fontName="Helvetica-Bold",
            fontSize=16,
            leading=20,
            spaceBefore=14,
            spaceAfter=10,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "H2",
            fontName="Helvetica-Bold",
            fontSize=13,
            leading=17,
            spaceBefore=10,
            spaceAfter=8,
            keepWithNext=1,
        ),
        "p": body,
        "li": ParagraphStyle("Bullet", parent=body, leftIndent=18, bulletIndent=6, spaceAfter=4),
        "toc1": ParagraphStyle("TOC1", fontName="Helvetica", fontSize=11, leading=16),
        "toc2": ParagraphStyle(
            "TOC2", fontName="Helvetica", fontSize=10, leading=14, leftIndent=18
        ),
    }


def _winansi(text: str) -> str:
    """The standard PDF fonts cover Windows-1252 only: fold other letters to their base
    (Welsh w-circumflex to w) rather than print blanks."""
    if all(ord(c) < 128 for c in text):
        return text
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            out.append(base if base and base.isascii() else "?")
    return "".join(out)


def _build_pdf(review: Review, blocks: list[SourceBlock], out_path: Path) -> None:
    """Two-pass build: the first pass finds each heading's page for the contents, and a
    canvas that holds back its pages until the end writes "Page N of M"."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
    )
    from reportlab.platypus.tableofcontents import TableOfContents

    styles = _pdf_styles()
    header = _winansi(review.running_header)

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                if self._pageNumber > 1:
                    width, _ = self._pagesize
                    self.setFont("Helvetica", HEADER_SIZE)
                    self.drawCentredString(
                        width / 2, PDF_MARGIN / 2, f"Page {self._pageNumber} of {total}"
                    )
                super().showPage()
            super().save()

    def running_header(canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, height = doc.pagesize
        canvas.saveState()
        canvas.setFont("Helvetica", HEADER_SIZE)
        canvas.drawString(PDF_MARGIN, height - PDF_MARGIN / 2, header)
        canvas.setLineWidth(0.5)
        canvas.line(
            PDF_MARGIN, height - PDF_MARGIN / 2 - 4, width - PDF_MARGIN, height - PDF_MARGIN / 2 - 4
        )
        canvas.restoreState()

    class ReportTemplate(BaseDocTemplate):
        def afterFlowable(self, flowable: Any) -> None:  # noqa: N802 (reportlab's name)
            level = getattr(flowable, "toc_level", None)
            if level is not None:
                key = f"h{id(flowable)}"
                self.canv.bookmarkPage(key)
                self.notify("TOCEntry", (level, flowable.getPlainText(), self.page, key))

    doc = ReportTemplate(
        str(out_path),
        pagesize=A4,
        leftMargin=PDF_MARGIN,
        rightMargin=PDF_MARGIN,
        topMargin=PDF_MARGIN,
        bottomMargin=PDF_MARGIN,
        title=review.title,
        author=str(review.meta.get("author") or ""),
        subject=str(review.meta.get("document_kind") or ""),
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="main")
    doc.addPageTemplates(
        [
            PageTemplate(id="front", frames=[frame]),
            PageTemplate(id="body", frames=[frame], onPage=running_header),
        ]
    )

    def esc(text: str) -> str:
        return html.escape(_winansi(text))

    story: list[Any] = [Paragraph(esc(review.title), styles["title"])]
    story += [Paragraph(esc(line), styles["front"]) for line in review.title_page_lines()]
    story += [
        Paragraph(esc(FICTION_NOTICE), styles["notice"]),
        NextPageTemplate("body"),
        PageBreak(),
    ]
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [styles["toc1"], styles["toc2"]]
    story += [Paragraph("Contents", styles["contents"]), toc, PageBreak()]
    for block in blocks:
        if block.kind == "li":
            story.append(Paragraph(esc(block.text), styles["li"], bulletText="\u2022"))
            continue
        para = Paragraph(esc(block.text), styles[block.kind])
        if block.kind in ("h1", "h2"):
            para.toc_level = 0 if block.kind == "h1" else 1
        story.append(para)
    doc.multiBuild(story, canvasmaker=NumberedCanvas)


# --------------------------------------------------------------------------- DOCX
def render_docx(review: Review, out_path: Path, *, repeat: int = 1) -> Path:
    """Write a Word file with Title / Heading 1 / Heading 2 styles, a contents list with
    dot leaders, header and footer text, and page breaks after the front pages."""
    from docx import Document
    from docx.enum.text import WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    blocks = body_blocks(review, repeat)
    doc = Document()
    doc.core_properties.title = review.title
    doc.core_properties.author = str(review.meta.get("author") or "")
    doc.core_properties.subject = str(review.meta.get("document_kind") or "")

    doc.add_paragraph(review.title, style="Title")
    for line in review.title_page_lines():
        doc.add_paragraph(line)
    doc.add_paragraph(FICTION_NOTICE)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    doc.add_paragraph("Contents", style="Heading 1")
    width = doc.sections[0].page_width - doc.sections[0].left_margin - doc.sections[0].right_margin
    words = 0
    for block in blocks:
        if block.kind not in ("h1", "h2"):
            words += len(block.text.split())
            continue
        para = doc.add_paragraph()
        para.paragraph_format.tab_stops.add_tab_stop(
            width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
        )
        if block.kind == "h2":
            para.paragraph_format.left_indent = Pt(18)
        # Page numbers are estimates (about 450 words a page), as a typed contents list is.
        para.add_run(f"{block.text}\t{3 + words // 450}")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    for block in blocks:
        if block.kind == "h1":
            doc.add_paragraph(block.text, style="Heading 1")
        elif block.kind == "h2":
            doc.add_paragraph(block.text, style="Heading 2")
        elif block.kind == "li":
            doc.add_paragraph(block.text, style="List Bullet")
        else:
            doc.add_paragraph(block.text)

    section = doc.sections[0]
    section.different_first_page_header_footer = True
    section.header.paragraphs[0].text = review.running_header
    footer = section.footer.paragraphs[0]
    footer.add_run("Page ")
    field_el = OxmlElement("w:fldSimple")
    field_el.set(qn("w:instr"), "PAGE")
    footer._p.append(field_el)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out_path))
    return out_path


# --------------------------------------------------------------------------- HTML
def render_html(review: Review, out_path: Path, *, repeat: int = 1) -> Path:
    """Write a whole partnership-website page: the report sits in ``<main><article>``
    among the chrome a loader must strip (nav, breadcrumbs, cookie banner, skip link,
    related documents, footer, scripts)."""
    e = html.escape
    blocks = body_blocks(review, repeat)
    body: list[str] = []
    in_list = False
    for block in blocks:
        if block.kind == "li" and not in_list:
            body.append("<ul>")
            in_list = True
        elif block.kind != "li" and in_list:
            body.append("</ul>")
            in_list = False
        tag = {"h1": "h2", "h2": "h3", "p": "p", "li": "li"}[block.kind]
        body.append(f"<{tag}>{e(block.text)}</{tag}>")
    if in_list:
        body.append("</ul>")
    site = review.partnership or "Safeguarding Partnership"
    facts = "".join(f'<p class="report-meta">{e(x)}</p>' for x in review.title_page_lines()[1:])
    page = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(review.title)} | {e(site)}</title>
<link rel="stylesheet" href="/assets/site.css">
<style>.cookie-banner {{ position: fixed; bottom: 0; }}</style>
</head>
<body>
<a class="skip-link" href="#main-content">Skip to main content</a>
<div id="cookie-banner" class="cookie-banner" role="region" aria-label="Cookies">
<p>We use cookies to make this site work and to understand how you use it.</p>
<button type="button">Accept all cookies</button> <button type="button">Reject cookies</button>
</div>
<header class="site-header">
<div class="logo"><a href="/">{e(site)}</a></div>
<form class="site-search" action="/search"><label for="q">Search this site</label><input id="q" name="q"></form>
<nav class="main-menu" aria-label="Main menu"><ul>
<li><a href="/">Home</a></li><li><a href="/professionals">Professionals</a></li>
<li><a href="/learning">Learning from reviews</a></li><li><a href="/contact">Contact us</a></li>
</ul></nav>
</header>
<div class="breadcrumbs"><ol>
<li><a href="/">Home</a></li><li><a href="/learning">Learning from reviews</a></li><li>{e(review.title)}</li>
</ol></div>
<main id="main-content">
<article class="report">
<h1>{e(review.title)}</h1>
{facts}
<p class="notice">{e(FICTION_NOTICE)}</p>
{chr(10).join(body)}
</article>
<div class="social-share"><span>Share this page:</span> <a href="#">Facebook</a> <a href="#">X</a> <a href="#">Email</a></div>
</main>
<aside class="related">
<h2>Related documents</h2>
<ul><li><a href="/annual-report.pdf">Annual report 2023 to 2024</a></li>
<li><a href="/threshold.pdf">Threshold document</a></li>
<li><a href="/briefing.pdf">7 minute briefing</a></li></ul>
</aside>
<footer class="site-footer">
<ul><li><a href="/accessibility">Accessibility statement</a></li><li><a href="/privacy">Privacy notice</a></li></ul>
<p>&copy; {e(site)}. All rights reserved.</p>
</footer>
<script>
  window.dataLayer = window.dataLayer || [];
  document.querySelector('#cookie-banner button').addEventListener('click', function () {{}});
</script>
</body>
</html>
"""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(page, encoding="utf-8")
    return out_path


# --------------------------------------------------------------------------- text
TEXT_WIDTH = 78
TEXT_PAGE_LINES = 56


def render_text(review: Review, out_path: Path, *, repeat: int = 1) -> Path:
    """Write plain text as a converted report looks: wrapped lines, underlined headings,
    a contents list with dot leaders and page numbers, pages separated by form feeds."""
    blocks = body_blocks(review, repeat)
    title_page = [review.title, "=" * len(review.title)]
    for line in [*review.title_page_lines(), FICTION_NOTICE]:
        title_page += ["", *textwrap.wrap(line, TEXT_WIDTH)]

    pages: list[list[str]] = []
    current: list[str] = []
    heading_pages: list[int] = []
    for block in blocks:
        if block.kind in ("h1", "h2"):
            chunk = [block.text, ("=" if block.kind == "h1" else "-") * len(block.text)]
        elif block.kind == "li":
            chunk = textwrap.wrap(
                block.text, TEXT_WIDTH, initial_indent="- ", subsequent_indent="  "
            )
        else:
            chunk = textwrap.wrap(block.text, TEXT_WIDTH)
        if current and len(current) + len(chunk) + 1 > TEXT_PAGE_LINES:
            pages.append(current)
            current = []
        current.extend([*([""] if current else []), *chunk])
        if block.kind in ("h1", "h2"):
            heading_pages.append(len(pages) + 3)  # title page and contents come first
    if current:
        pages.append(current)

    contents = ["Contents", "--------", ""]
    for (level, text), page in zip(contents_entries(blocks), heading_pages, strict=True):
        entry = ("  " if level == 2 else "") + text + " "
        contents.append(
            entry + "." * max(3, TEXT_WIDTH - len(entry) - len(str(page)) - 1) + f" {page}"
        )
    text = "\n\f".join("\n".join(p) + "\n" for p in [title_page, contents, *pages])
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text, encoding="utf-8")
    return out_path


# --------------------------------------------------------------------------- build
RENDERERS = {"pdf": render_pdf, "docx": render_docx, "html": render_html, "text": render_text}


def render(review: Review, out_dir: Path) -> Path:
    """Render a review to the format its front matter names, as ``<slug>.<ext>``."""
    fmt = review.format
    if fmt not in RENDERERS:
        raise ValueError(f"{review.source or review.slug}: unknown format {fmt!r}")
    return RENDERERS[fmt](review, Path(out_dir) / f"{review.slug}{EXTENSIONS[fmt]}")


def build_samples(src_dir: Path, out_dir: Path) -> list[Path]:
    """Render every ``src_dir/*.md`` into ``out_dir`` and write ``manifest.json``
    (``{filename: front matter}``, plus each source's hash under ``source_sha256``).

    Idempotent: a review whose source hash (and renderer version) matches the manifest
    and whose output exists is not rendered again, so ``make demo`` stays fast.
    """
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    try:
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        old = {}
    manifest: dict[str, dict[str, Any]] = {}
    outputs: list[Path] = []
    for src in sorted(src_dir.glob("*.md")):
        review = parse_review(src)
        name = f"{review.slug}{EXTENSIONS.get(review.format, '')}"
        stamp = f"{RENDER_VERSION}:{review.source_sha256}"
        out = out_dir / name
        previous = old.get(name) if isinstance(old, dict) else None
        if not (
            isinstance(previous, dict) and previous.get("source_sha256") == stamp and out.exists()
        ):
            out = render(review, out_dir)
        entry = json.loads(json.dumps(review.meta, default=str))
        entry["source_sha256"] = stamp
        manifest[out.name] = entry
        outputs.append(out)
    tmp = manifest_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(manifest_path)
    return outputs


if __name__ == "__main__":  # python -m samples.render [reviews_dir] [out_dir]
    import sys

    here = Path(__file__).parent
    src_arg = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "reviews"
    out_arg = Path(sys.argv[2]) if len(sys.argv) > 2 else here / "build"
    for built in build_samples(src_arg, out_arg):
        print(built)
