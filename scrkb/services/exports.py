"""Pack exports for trainers: Word, PDF, Markdown and CSV, each with full citations.

Two layouts. ``standard``: the passages in the trainer's order, each as a block quote
with its citation (report title, partnership, year, page, or paragraph for a web page)
and a link to the original at that page, then the trainer's note. ``briefing``: the
"7-minute briefing" partnerships hand out (``scrkb.services.briefing``): background, why
it matters, what the reviews found, what to do, questions for reflection and further
information, on one or two sides of A4.

Both are laid out once as a list of blocks (``Block``) that each format renders, so a
Word file, a PDF and a Markdown file hold the same sections. Links are the publishers'
own, or the kept copy under ``SCRKB_PUBLIC_BASE_URL``: never the address this server
was asked on (``scrkb.services.citations``). Word and PDF files are A4; the PDF numbers
its pages, keeps each heading with what follows it, and is set a little tighter when
its last page would hold only a few lines.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from scrkb.errors import InvalidQuery
from scrkb.models import Briefing, Citation, Pack
from scrkb.nlp.taxonomy import theme_name
from scrkb.reference import reference_text as shared_reference_text
from scrkb.services.briefing import reference_text
from scrkb.services.citations import cited_url, report_url

if TYPE_CHECKING:
    from scrkb.index.catalog import Catalog

ExportFormat = Literal["md", "docx", "pdf", "csv"]
Layout = Literal["standard", "briefing"]
FORMATS: dict[str, tuple[str, str]] = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "pdf": ("application/pdf", "pdf"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}
LAYOUTS = ("standard", "briefing")
BRIEFING_SECTIONS = (
    "Background",
    "Why it matters",
    "What the reviews found",
    "What to do",
    "Questions for reflection",
    "Further information",
)


@dataclass
class ExportFile:
    """A pack rendered for download."""

    content: bytes
    media_type: str
    filename: str


@dataclass
class Block:
    """One element of a laid-out document.

    kind: title, subtitle, heading, para, note (the trainer's), quote (text + cite + url),
    bullets, numbers, refs (items of (text, url)).
    """

    kind: str
    text: str = ""
    cite: str = ""
    url: str | None = None
    items: list[tuple[str, str | None]] = field(default_factory=list)


# --------------------------------------------------------------------------- layout
def pack_blocks(pack: Pack, public_base_url: str | None) -> list[Block]:
    """The standard layout: each item quoted and cited, with the trainer's note."""
    refs: dict[str, int] = {}
    ref_items: list[tuple[str, str | None]] = []
    for item in pack.items:
        c = item.citation
        if c.report_id not in refs:
            refs[c.report_id] = len(refs) + 1
            line = shared_reference_text(c.partnership, c.year, c.title, c.review_type)
            ref_items.append((f"[{refs[c.report_id]}] {line}", report_url(c, public_base_url)))
    n, r = len(pack.items), len(refs)
    blocks = [Block("title", pack.title)]
    if pack.description:
        blocks.append(Block("para", pack.description))
    blocks.append(
        Block("subtitle", f"{n} extract{'s' * (n != 1)} from {r} review{'s' * (r != 1)}.")
    )
    for item in pack.items:
        c = item.citation
        kind = f"Recommendation {item.number}: " if item.kind == "recommendation" else ""
        blocks.append(Block("heading", f"{item.position}. {kind}{c.title}"))
        blocks.append(
            Block(
                "quote",
                item.text,
                cite=citation_text(pack_ref=refs[c.report_id], c=c),
                url=cited_url(c, public_base_url),
            )
        )
        if item.themes:
            blocks.append(
                Block("small", "Themes: " + ", ".join(theme_name(t) for t in item.themes))
            )
        if item.note:
            blocks.append(Block("note", item.note))
    blocks.append(Block("heading", "References"))
    blocks.append(Block("refs", items=ref_items))
    return blocks


def citation_text(*, pack_ref: int, c: Citation) -> str:
    """[2] Title (Partnership, Year), p. 14."""
    who = ", ".join(str(x) for x in (c.partnership, c.year) if x)
    return f"[{pack_ref}] {c.title}" + (f" ({who})" if who else "") + f", {c.place}"


def briefing_blocks(briefing: Briefing) -> list[Block]:
    """The 7-minute briefing's six sections, in the partnerships' order."""
    blocks = [Block("title", briefing.title), Block("subtitle", "7-minute briefing")]
    blocks.append(Block("heading", "Background"))
    blocks += [Block("para", p) for p in _paragraphs(briefing.background)]
    blocks.append(Block("heading", "Why it matters"))
    blocks += [Block("para", p) for p in _paragraphs(briefing.why_it_matters)]
    blocks.append(Block("heading", "What the reviews found"))
    for e in briefing.extracts:
        blocks.append(
            Block(
                "quote", e.text, cite=citation_text(pack_ref=e.reference, c=e.citation), url=e.url
            )
        )
    blocks.append(Block("heading", "What to do"))
    blocks.append(Block("bullets", items=[(a, None) for a in briefing.actions]))
    blocks.append(Block("heading", "Questions for reflection"))
    blocks.append(Block("numbers", items=[(q, None) for q in briefing.questions]))
    blocks.append(Block("heading", "Further information"))
    blocks.append(Block("refs", items=[_split_url(line) for line in briefing.further_information]))
    return blocks


_URL = re.compile(r"\s*(https?://\S+)\s*$")


def _split_url(line: str) -> tuple[str, str | None]:
    """A further-information line ends with its link, which is rendered as one."""
    m = _URL.search(line)
    return (line[: m.start()].rstrip(), m.group(1)) if m else (line, None)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


# --------------------------------------------------------------------------- entry points
def export_pack(
    pack: Pack,
    fmt: str,
    *,
    layout: str = "standard",
    public_base_url: str | None = None,
    catalog: Catalog | None = None,
    briefing: Briefing | None = None,
) -> ExportFile:
    """The pack as a file in ``fmt`` (md, docx, pdf, csv) and ``layout`` (standard, briefing).

    The API and the web page both download packs through this one function; a briefing
    is drafted from the pack (which needs the ``catalog``) unless an edited one is given.
    """
    if fmt not in FORMATS:
        raise InvalidQuery(f"unknown export format {fmt!r}: use md, docx, pdf or csv")
    if layout not in LAYOUTS:
        raise InvalidQuery(f"unknown layout {layout!r}: use standard or briefing")
    pack = _sanitised(pack)
    if layout == "briefing":
        if briefing is None:
            from scrkb.services.briefing import draft_briefing

            if catalog is None:
                raise InvalidQuery("a briefing is drafted from the knowledge base: none given")
            briefing = draft_briefing(pack, catalog, public_base_url=public_base_url)
        return export_briefing(briefing, fmt)
    media_type, ext = FORMATS[fmt]
    if fmt == "csv":
        content = render_pack_csv(pack, public_base_url)
    else:
        content = RENDERERS[fmt](pack_blocks(pack, public_base_url), pack.title, False)
    return ExportFile(content, media_type, f"{_slug(pack.title)}.{ext}")


def export_briefing(briefing: Briefing, fmt: str) -> ExportFile:
    """A (possibly edited) briefing as a file."""
    if fmt not in FORMATS:
        raise InvalidQuery(f"unknown export format {fmt!r}: use md, docx, pdf or csv")
    briefing = _sanitised_briefing(briefing)
    media_type, ext = FORMATS[fmt]
    if fmt == "csv":
        content = render_briefing_csv(briefing)
    else:
        content = RENDERERS[fmt](briefing_blocks(briefing), briefing.title, True)
    return ExportFile(content, media_type, f"{_slug(briefing.title)}-briefing.{ext}")


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "pack"


# --------------------------------------------------------------------------- markdown
def _md_escape(text: str) -> str:
    """Markdown's marks shown as text; a leading reference number ("[2] ") stays as it is."""
    number = re.match(r"\[\d+\] ", text)
    lead = number.group(0) if number else ""
    return lead + re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text[len(lead) :])


def render_md(blocks: list[Block], title: str, briefing: bool) -> bytes:
    out: list[str] = []
    for b in blocks:
        if b.kind == "title":
            out += [f"# {_md_escape(b.text)}", ""]
        elif b.kind == "subtitle":
            out += [f"*{_md_escape(b.text)}*", ""]
        elif b.kind == "heading":
            out += [f"## {_md_escape(b.text)}", ""]
        elif b.kind in ("para", "small"):
            out += [_md_escape(b.text), ""]
        elif b.kind == "note":
            out += [f"**Note:** {_md_escape(b.text)}", ""]
        elif b.kind == "quote":
            out += ["> " + _md_escape(line) if line else ">" for line in b.text.splitlines()]
            cite = _md_escape(b.cite)
            out += ["", f"— {cite}" + (f" <{b.url}>" if b.url else ""), ""]
        elif b.kind in ("bullets", "numbers", "refs"):
            for i, (text, url) in enumerate(b.items, start=1):
                lead = f"{i}." if b.kind == "numbers" else "-"
                link = f" <{url}>" if url else ""
                out.append(f"{lead} {_md_escape(text)}{link}")
            out.append("")
    return "\n".join(out).encode("utf-8")


# --------------------------------------------------------------------------- csv
CSV_COLUMNS = [
    "position", "kind", "passage_id", "text", "note", "themes", "report_title", "partnership",
    "year", "review_type", "page", "page_end", "paragraph", "url", "reference", "citation",
]  # fmt: skip


def render_pack_csv(pack: Pack, public_base_url: str | None) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    refs: dict[str, int] = {}
    for item in pack.items:
        c = item.citation
        number = refs.setdefault(c.report_id, len(refs) + 1)
        writer.writerow(
            [
                item.position, item.kind, item.passage_id, _csv_safe(item.text),
                _csv_safe(item.note), ";".join(item.themes), _csv_safe(c.title),
                _csv_safe(c.partnership or ""), c.year or "", c.review_type or "", c.page,
                c.page_end, c.paragraph if c.format == "html" else "",
                cited_url(c, public_base_url) or "", number,
                _csv_safe(citation_text(pack_ref=number, c=c)),
            ]
        )  # fmt: skip
    # A BOM so spreadsheet programs open the UTF-8 correctly.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def render_briefing_csv(briefing: Briefing) -> bytes:
    """One row per line of the briefing, with its section: a trainer can build slides."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["section", "order", "text", "citation", "url"])
    rows: list[tuple[str, str, str, str]] = [("Title", briefing.title, "", "")]
    rows += [("Background", p, "", "") for p in _paragraphs(briefing.background)]
    rows += [("Why it matters", p, "", "") for p in _paragraphs(briefing.why_it_matters)]
    rows += [
        (
            "What the reviews found",
            e.text,
            citation_text(pack_ref=e.reference, c=e.citation),
            e.url or "",
        )
        for e in briefing.extracts
    ]
    rows += [("What to do", a, "", "") for a in briefing.actions]
    rows += [("Questions for reflection", q, "", "") for q in briefing.questions]
    rows += [
        ("Further information", text, "", url or "")
        for text, url in map(_split_url, briefing.further_information)
    ]
    order: dict[str, int] = {}
    for section, text, cite, url in rows:
        order[section] = order.get(section, 0) + 1
        writer.writerow([section, order[section], _csv_safe(text), _csv_safe(cite), url])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _csv_safe(value: str) -> str:
    """Defuse spreadsheet formulas: a cell starting with = + - @ is shown, not evaluated."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --------------------------------------------------------------------------- docx
def render_docx(blocks: list[Block], title: str, briefing: bool) -> bytes:
    from docx import Document as Docx
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    d = Docx()
    d.core_properties.title = title
    section = d.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(18 if briefing else 20))
    styles = d.styles
    body_size = Pt(10.5 if briefing else 11)
    for name in ("Normal", "List Bullet", "List Number"):
        styles[name].font.name = "Arial"
        styles[name].font.size = body_size
    styles["Normal"].paragraph_format.space_after = Pt(4)
    for name, size in (("Title", 22), ("Heading 1", 14), ("Heading 2", 12)):
        st = styles[name]
        st.font.name = "Arial"
        st.font.size = Pt(size)
        st.font.bold = True
        st.font.color.rgb = RGBColor(0x0B, 0x0C, 0x0C)
        st.paragraph_format.keep_with_next = True
        st.paragraph_format.space_before = Pt(10 if name != "Title" else 0)
        st.paragraph_format.space_after = Pt(3)
    _title_border_off(styles["Title"], OxmlElement, qn)
    quote = styles["Quote"]
    quote.font.italic = False
    quote.font.name = "Arial"
    quote.font.size = body_size
    quote.font.color.rgb = RGBColor(0x0B, 0x0C, 0x0C)
    quote.paragraph_format.left_indent = Mm(6)
    quote.paragraph_format.right_indent = Mm(0)
    quote.paragraph_format.space_after = Pt(1)
    quote.paragraph_format.keep_with_next = True
    _left_rule(quote, OxmlElement, qn)
    _page_numbers(section, OxmlElement, qn)

    for b in blocks:
        if b.kind == "title":
            d.add_paragraph(b.text, style="Title")
        elif b.kind == "subtitle":
            p = d.add_paragraph()
            run = p.add_run(b.text)
            run.font.color.rgb = RGBColor(0x50, 0x5A, 0x5F)
        elif b.kind == "heading":
            d.add_heading(b.text, level=1)
        elif b.kind == "para":
            d.add_paragraph(b.text)
        elif b.kind == "note":
            p = d.add_paragraph()
            p.add_run("Note: ").bold = True
            p.add_run(b.text)
        elif b.kind == "small":
            p = d.add_paragraph()
            p.add_run(b.text).font.size = Pt(9)
        elif b.kind == "quote":
            d.add_paragraph(b.text, style="Quote")
            p = d.add_paragraph()
            p.paragraph_format.left_indent = Mm(6)
            run = p.add_run(b.cite)
            run.font.size = Pt(9)
            if b.url:
                p.add_run(" ").font.size = Pt(9)
                _hyperlink(p, b.url, "Original at this page", OxmlElement, qn, size=18)
        elif b.kind in ("bullets", "numbers", "refs"):
            style = "List Number" if b.kind == "numbers" else "List Bullet"
            for text, url in b.items:
                p = d.add_paragraph(style=None if b.kind == "refs" else style)
                p.add_run(text)
                if url:
                    p.add_run(" ")
                    _hyperlink(p, url, url, OxmlElement, qn)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _hyperlink(paragraph, url: str, text: str, OxmlElement, qn, size: int | None = None) -> None:  # noqa: ANN001, N803
    """A clickable external link (python-docx has no API for one)."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    r_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "1D70B8")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(color)
    props.append(underline)
    if size:
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), str(size))
        props.append(sz)
    run.append(props)
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def _left_rule(style, OxmlElement, qn) -> None:  # noqa: ANN001, N803
    """A grey rule down the left of a block quote, as GOV.UK's inset text has."""
    ppr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    left = OxmlElement("w:left")
    for key, value in (("val", "single"), ("sz", "24"), ("space", "8"), ("color", "B1B4B6")):
        left.set(qn(f"w:{key}"), value)
    borders.append(left)
    ppr.append(borders)


def _title_border_off(style, OxmlElement, qn) -> None:  # noqa: ANN001, N803
    """The default template underlines the title with a blue rule; a handout has none."""
    ppr = style.element.get_or_add_pPr()
    for old in ppr.findall(qn("w:pBdr")):
        ppr.remove(old)


def _page_numbers(section, OxmlElement, qn) -> None:  # noqa: ANN001, N803
    """ "Page N of M" in the footer, as Word fields (Word fills them in)."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = 1  # centre

    def field(instr: str) -> None:
        simple = OxmlElement("w:fldSimple")
        simple.set(qn("w:instr"), instr)
        run = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = "1"
        run.append(t)
        simple.append(run)
        paragraph._p.append(simple)

    paragraph.add_run("Page ")
    field("PAGE")
    paragraph.add_run(" of ")
    field("NUMPAGES")


# --------------------------------------------------------------------------- pdf
MIN_LAST_PAGE_FILL = 0.2  # a last page holding less than this is set again, tighter
PDF_SCALES = (1.0, 0.95, 0.9, 0.86)


def render_pdf(blocks: list[Block], title: str, briefing: bool) -> bytes:
    """The PDF, set at the first size whose last page is not near-empty (and, for a
    briefing, that fits two sides); failing that, the tightest."""
    best: bytes = b""
    for scale in PDF_SCALES:
        content, pages, fill = _pdf(blocks, title, briefing, scale)
        best = content
        if (pages == 1 or fill >= MIN_LAST_PAGE_FILL) and (not briefing or pages <= 2):
            break
    return best


def _pdf(blocks: list[Block], title: str, briefing: bool, scale: float) -> tuple[bytes, int, float]:
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        KeepTogether,
        ListFlowable,
        ListItem,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
    )

    size = (10 if briefing else 10.5) * scale
    lead = size * 1.32
    body = ParagraphStyle(
        "Body", fontName="Helvetica", fontSize=size, leading=lead, spaceAfter=size * 0.45
    )
    small = ParagraphStyle(
        "Small", parent=body, fontSize=size * 0.85, leading=lead * 0.85, textColor="#505a5f"
    )
    heading = ParagraphStyle(
        "Heading1",
        parent=body,
        fontName="Helvetica-Bold",
        fontSize=size * 1.35,
        leading=size * 1.7,
        spaceBefore=size * 0.9,
        spaceAfter=size * 0.3,
        keepWithNext=1,
    )
    title_style = ParagraphStyle(
        "Title",
        parent=body,
        fontName="Helvetica-Bold",
        fontSize=size * 2.0,
        leading=size * 2.4,
        spaceAfter=size * 0.3,
    )
    quote = ParagraphStyle(
        "Quote",
        parent=body,
        leftIndent=5 * mm,
        borderPadding=(0, 0, 0, 3 * mm),
        spaceAfter=size * 0.15,
    )
    cite = ParagraphStyle("Cite", parent=small, leftIndent=5 * mm, spaceAfter=size * 0.7)

    def text(value: str) -> str:
        return escape(_pdf_text(value)).replace("\n", "<br/>")

    def link(url: str, label: str | None = None) -> str:
        href = escape(_pdf_text(url), {'"': "&quot;"})
        return f'<a href="{href}" color="#1d70b8"><u>{text(label or url)}</u></a>'

    story: list = []
    held: list = []  # a heading, kept on the page of what follows it

    def add(*flowables) -> None:  # noqa: ANN002
        nonlocal held
        group = [*held, *flowables]
        held = []
        story.append(KeepTogether(group) if len(group) > 1 else group[0])

    for b in blocks:
        if b.kind == "title":
            add(Paragraph(text(b.text), title_style))
        elif b.kind == "subtitle":
            add(Paragraph(text(b.text), small))
        elif b.kind == "heading":
            held.append(Paragraph(text(b.text), heading))
        elif b.kind == "para":
            add(Paragraph(text(b.text), body))
        elif b.kind == "note":
            add(Paragraph("<b>Note:</b> " + text(b.text), body))
        elif b.kind == "small":
            add(Paragraph(text(b.text), small))
        elif b.kind == "quote":
            rule = QuoteRule(Paragraph(text(b.text), quote))
            where = text(b.cite) + (" " + link(b.url, "Original at this page") if b.url else "")
            add(rule, Paragraph(where, cite))
        elif b.kind in ("bullets", "numbers", "refs"):
            items = [
                ListItem(
                    Paragraph(
                        text(t) + (" " + link(u) if u else ""), small if b.kind == "refs" else body
                    ),
                    leftIndent=5 * mm,
                )
                for t, u in b.items
            ] or [ListItem(Paragraph("None.", body))]
            add(
                ListFlowable(
                    items,
                    bulletType="1" if b.kind == "numbers" else "bullet",
                    start=None if b.kind == "numbers" else "\u2022",
                    bulletFontSize=size * 0.8,
                    leftIndent=5 * mm,
                ),
                Spacer(1, size * 0.3),
            )
    if held:
        add(Spacer(1, 0))

    margin = 18 * mm if briefing else 20 * mm
    state: dict[str, float] = {"page": 0, "y": 0.0}

    class Doc(SimpleDocTemplate):
        def afterFlowable(self, flowable) -> None:  # noqa: ANN001, N802
            frame = getattr(self, "frame", None)
            if frame is not None:
                state["page"] = self.page
                state["y"] = frame._y  # noqa: SLF001 - the frame's cursor: how full the page is

    buf = io.BytesIO()
    doc = Doc(
        buf,
        pagesize=A4,
        title=_pdf_text(title),
        author="scrkb",
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 4 * mm,
    )
    doc.build(story, canvasmaker=_numbered_canvas(Canvas, A4, margin))
    frame_height = A4[1] - 2 * margin - 4 * mm
    fill = (A4[1] - margin - state["y"]) / frame_height
    return buf.getvalue(), int(state["page"]), fill


def _numbered_canvas(canvas_class, pagesize, margin: float):  # noqa: ANN001, ANN202
    """A canvas that writes "Page N of M" at the foot of every page once M is known."""

    class NumberedCanvas(canvas_class):
        def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont("Helvetica", 8.5)
                self.setFillColor("#505a5f")
                self.drawCentredString(
                    pagesize[0] / 2, margin / 2, f"Page {self._pageNumber} of {total}"
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def _quote_rule_class():  # noqa: ANN202
    from reportlab.platypus import Flowable

    class _QuoteRule(Flowable):
        """A paragraph with a grey rule down its left, as GOV.UK's inset text has."""

        def __init__(self, paragraph) -> None:  # noqa: ANN001
            super().__init__()
            self.paragraph = paragraph

        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            self.width, self.height = self.paragraph.wrap(avail_width, avail_height)
            return self.width, self.height

        def split(self, avail_width: float, avail_height: float) -> list:
            return [QuoteRule(p) for p in self.paragraph.split(avail_width, avail_height)]

        def getSpaceAfter(self) -> float:  # noqa: N802
            return self.paragraph.getSpaceAfter()

        def getSpaceBefore(self) -> float:  # noqa: N802
            return self.paragraph.getSpaceBefore()

        def draw(self) -> None:
            self.canv.saveState()
            self.canv.setStrokeColor("#b1b4b6")
            self.canv.setLineWidth(3)
            self.canv.line(4, 0, 4, self.height)
            self.canv.restoreState()
            self.paragraph.drawOn(self.canv, 0, 0)

    return _QuoteRule


def QuoteRule(paragraph):  # noqa: ANN001, ANN201, N802
    return _quote_rule_class()(paragraph)


def _pdf_text(text: str) -> str:
    """The built-in PDF fonts cover Latin-1 plus a few marks; replace what they cannot draw."""
    replacements = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                    "\u2014": "-", "\u2026": "...", "\u2022": "-"}  # fmt: skip
    text = "".join(replacements.get(ch, ch) for ch in text)
    return text.encode("latin-1", "replace").decode("latin-1")


RENDERERS: dict[str, Callable[[list[Block], str, bool], bytes]] = {
    "md": render_md,
    "docx": render_docx,
    "pdf": render_pdf,
}

# --------------------------------------------------------------------------- cleaning
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _clean(text: str) -> str:
    """Drop control characters and lone surrogates: Word's XML and PDF fonts refuse them."""
    return _CONTROL.sub("", text)


def _sanitised(pack: Pack) -> Pack:
    items = [
        item.model_copy(
            update={
                "note": _clean(item.note),
                "text": _clean(item.text),
                "citation": item.citation.model_copy(update={"title": _clean(item.citation.title)}),
            }
        )
        for item in pack.items
    ]
    return pack.model_copy(
        update={
            "title": _clean(pack.title),
            "description": _clean(pack.description),
            "items": items,
        }
    )


def _sanitised_briefing(briefing: Briefing) -> Briefing:
    return briefing.model_copy(
        update={
            "title": _clean(briefing.title),
            "background": _clean(briefing.background),
            "why_it_matters": _clean(briefing.why_it_matters),
            "extracts": [e.model_copy(update={"text": _clean(e.text)}) for e in briefing.extracts],
            "actions": [_clean(a) for a in briefing.actions],
            "questions": [_clean(q) for q in briefing.questions],
            "further_information": [_clean(f) for f in briefing.further_information],
        }
    )


__all__ = [
    "BRIEFING_SECTIONS",
    "FORMATS",
    "LAYOUTS",
    "ExportFile",
    "export_briefing",
    "export_pack",
    "reference_text",
]
