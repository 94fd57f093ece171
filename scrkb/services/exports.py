"""Pack exports for trainers: Markdown, Word, PDF and CSV, each with full citations.

Every passage is cited where it appears ("[2], p. 14") and the reports are listed once
in a reference list (partnership, year, title, review type, URL), so slides and
handouts made from an export can be traced back to the source.

Two layouts: ``standard`` (the passages in the trainer's order, each with its note)
and ``briefing``, the "7-minute briefing" used in safeguarding training: *What the
reviews found* (the passages), *Why it matters* (the themes they carry, with the coding
frame's definitions) and *Questions for reflection* (the trainer's notes, or prompts
drawn from the themes when there are none).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from scrkb.errors import InvalidQuery
from scrkb.models import Pack, PackItem
from scrkb.nlp.taxonomy import default_taxonomy
from scrkb.reference import REVIEW_TYPES

ExportFormat = Literal["md", "docx", "pdf", "csv"]
Layout = Literal["standard", "briefing"]
FORMATS: dict[str, tuple[str, str]] = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "pdf": ("application/pdf", "pdf"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}
LAYOUTS = ("standard", "briefing")


@dataclass
class ThemeInfo:
    name: str
    definition: str


@dataclass
class ExportFile:
    """A pack rendered for download."""

    content: bytes
    media_type: str
    filename: str


def theme_info() -> dict[str, ThemeInfo]:
    return {t.id: ThemeInfo(t.name, t.definition) for t in default_taxonomy().themes}


@dataclass
class Reference:
    number: int
    report_id: str
    title: str
    partnership: str | None
    year: int | None
    review_type: str | None
    url: str

    def text(self) -> str:
        """Partnership (Year) Title. Review type. URL"""
        who = self.partnership or "Unknown publisher"
        year = f"({self.year})" if self.year else "(n.d.)"
        known = REVIEW_TYPES.get(self.review_type or "")
        # "other" says nothing a reader can use in a reference list
        kind = f" {known.label}." if known and known.code != "other" else ""
        return f"{who} {year} {self.title}.{kind} {self.url}"


@dataclass
class Entry:
    number: int  # 1-based position in the pack
    item: PackItem
    ref: Reference

    @property
    def pages(self) -> str:
        c = self.item.citation
        return f"p. {c.page}" if c.page == c.page_end else f"pp. {c.page}-{c.page_end}"

    @property
    def source(self) -> str:
        """Title (Partnership, Year), p. N: the part of the citation after the number."""
        c = self.item.citation
        who = ", ".join(str(x) for x in (c.partnership, c.year) if x)
        return c.title + (f" ({who})" if who else "") + f", {self.pages}"

    @property
    def cite(self) -> str:
        return f"[{self.ref.number}] {self.source}"


class Document:
    """The pack laid out once; each format renders the same sections."""

    def __init__(
        self,
        pack: Pack,
        *,
        layout: Layout,
        base_url: str,
        themes: dict[str, ThemeInfo],
    ) -> None:
        pack = _sanitised(pack)
        self.pack = pack
        self.layout = layout
        self.themes = themes
        self.references: list[Reference] = []
        by_report: dict[str, Reference] = {}
        self.entries: list[Entry] = []
        for item in pack.items:
            c = item.citation
            ref = by_report.get(c.report_id)
            if ref is None:
                url = c.source_url or f"{base_url.rstrip('/')}/api/reports/{c.report_id}/original"
                ref = Reference(
                    len(self.references) + 1,
                    c.report_id,
                    c.title,
                    c.partnership,
                    c.year,
                    c.review_type,
                    url,
                )
                by_report[c.report_id] = ref
                self.references.append(ref)
            self.entries.append(Entry(item.position, item, ref))

    def theme_name(self, theme_id: str) -> str:
        info = self.themes.get(theme_id)
        return info.name if info else theme_id.replace("_", " ").capitalize()

    def why_it_matters(self) -> list[tuple[str, str, int]]:
        """(theme name, definition, passages carrying it), most common first."""
        counts: dict[str, int] = {}
        for e in self.entries:
            for t in e.item.themes:
                counts[t] = counts.get(t, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [
            (self.theme_name(t), self.themes[t].definition if t in self.themes else "", n)
            for t, n in ranked
        ]

    def questions(self) -> list[tuple[str, str]]:
        """(question, where it points) pairs: the trainer's notes, each with the passage it
        is about; failing those, one prompt per leading theme."""
        notes = [
            (e.item.note.strip(), f"(on [{e.ref.number}], {e.pages})")
            for e in self.entries
            if e.item.note.strip()
        ]
        if notes:
            return notes
        prompts = [
            f"How does our own practice on {name.lower()} compare with what these reviews found?"
            for name, _, _ in self.why_it_matters()[:3]
        ] or ["What would we do differently, having read these passages?"]
        return [(p, "") for p in prompts]

    def summary_line(self) -> str:
        n, r = len(self.entries), len(self.references)
        return f"{n} passage{'s' * (n != 1)} from {r} review{'s' * (r != 1)}."


# --------------------------------------------------------------------------- rendering
def export_pack(
    pack: Pack,
    fmt: str,
    *,
    layout: str = "standard",
    base_url: str = "",
    themes: dict[str, ThemeInfo] | None = None,
) -> ExportFile:
    """The pack as a file in ``fmt`` (md, docx, pdf, csv) and ``layout`` (standard, briefing).

    The API and the web page both download packs through this one function.
    """
    if fmt not in FORMATS:
        raise InvalidQuery(f"unknown export format {fmt!r}: use md, docx, pdf or csv")
    if layout not in LAYOUTS:
        raise InvalidQuery(f"unknown layout {layout!r}: use standard or briefing")
    doc = Document(
        pack,
        layout=layout,  # type: ignore[arg-type]
        base_url=base_url,
        themes=theme_info() if themes is None else themes,
    )
    renderers: dict[str, Callable[[Document], bytes]] = {
        "md": render_md,
        "docx": render_docx,
        "pdf": render_pdf,
        "csv": render_csv,
    }
    media_type, ext = FORMATS[fmt]
    slug = re.sub(r"[^a-z0-9]+", "-", pack.title.lower()).strip("-")[:60] or "pack"
    suffix = "-briefing" if layout == "briefing" and fmt != "csv" else ""
    return ExportFile(renderers[fmt](doc), media_type, f"{slug}{suffix}.{ext}")


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def render_md(doc: Document) -> bytes:
    out: list[str] = [f"# {_md_escape(doc.pack.title)}", ""]
    if doc.pack.description:
        out += [_md_escape(doc.pack.description), ""]
    out += [f"*{doc.summary_line()}*", ""]

    def passage(e: Entry, heading: str) -> None:
        out.extend([heading, ""])
        out.extend("> " + _md_escape(line) if line else ">" for line in e.item.text.splitlines())
        out.append("")
        out.append(f"— [{e.ref.number}] {_md_escape(e.source)}")
        if e.item.themes:
            out.append("")
            out.append("Themes: " + ", ".join(doc.theme_name(t) for t in e.item.themes))
        out.append("")

    if doc.layout == "briefing":
        out += ["## What the reviews found", ""]
        for e in doc.entries:
            passage(e, f"### {e.number}. {_md_escape(e.item.citation.title)}")
        out += ["## Why it matters", ""]
        for name, definition, n in doc.why_it_matters():
            out.append(
                f"- **{_md_escape(name)}** ({n} passage{'s' * (n != 1)}): {_md_escape(definition)}"
            )
        out += ["", "## Questions for reflection", ""]
        out += [
            f"{i}. {_md_escape(q)} {where}".rstrip()
            for i, (q, where) in enumerate(doc.questions(), start=1)
        ]
        out.append("")
    else:
        for e in doc.entries:
            passage(e, f"## {e.number}. {_md_escape(e.item.citation.title)}")
            if e.item.note:
                out += [f"**Note:** {_md_escape(e.item.note)}", ""]
    out += ["## References", ""]
    out += [f"[{r.number}] {_md_escape(r.text())}" for r in doc.references]
    out.append("")
    return "\n".join(out).encode("utf-8")


def render_csv(doc: Document) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "position", "passage_id", "text", "note", "themes", "report_title", "partnership",
            "year", "review_type", "page", "page_end", "url", "reference", "citation",
        ]
    )  # fmt: skip
    for e in doc.entries:
        c = e.item.citation
        writer.writerow(
            [
                e.number, e.item.passage_id, _csv_safe(e.item.text), _csv_safe(e.item.note),
                ";".join(e.item.themes), _csv_safe(c.title), _csv_safe(c.partnership or ""),
                c.year or "", c.review_type or "", c.page, c.page_end, e.ref.url,
                e.ref.number, _csv_safe(e.ref.text()),
            ]
        )  # fmt: skip
    # A BOM so spreadsheet programs open the UTF-8 correctly.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _csv_safe(value: str) -> str:
    """Defuse spreadsheet formulas: a cell starting with = + - @ is shown, not evaluated."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def render_docx(doc: Document) -> bytes:
    from docx import Document as Docx
    from docx.shared import Pt

    d = Docx()
    d.core_properties.title = doc.pack.title
    d.add_heading(doc.pack.title, level=0)
    if doc.pack.description:
        d.add_paragraph(doc.pack.description)
    d.add_paragraph().add_run(doc.summary_line()).italic = True

    def passage(e: Entry, level: int) -> None:
        d.add_heading(f"{e.number}. {e.item.citation.title}", level=level)
        para = d.add_paragraph(e.item.text, style="Quote")
        para.paragraph_format.space_after = Pt(4)
        cite = d.add_paragraph()
        cite.add_run(e.cite).italic = True
        if e.item.themes:
            d.add_paragraph("Themes: " + ", ".join(doc.theme_name(t) for t in e.item.themes))

    if doc.layout == "briefing":
        d.add_heading("What the reviews found", level=1)
        for e in doc.entries:
            passage(e, 2)
        d.add_heading("Why it matters", level=1)
        for name, definition, n in doc.why_it_matters():
            p = d.add_paragraph(style="List Bullet")
            p.add_run(name).bold = True
            p.add_run(f" ({n} passage{'s' * (n != 1)}): {definition}")
        d.add_heading("Questions for reflection", level=1)
        for q, where in doc.questions():
            d.add_paragraph(f"{q} {where}".rstrip(), style="List Number")
    else:
        for e in doc.entries:
            passage(e, 1)
            if e.item.note:
                p = d.add_paragraph()
                p.add_run("Note: ").bold = True
                p.add_run(e.item.note)
    d.add_heading("References", level=1)
    for r in doc.references:
        d.add_paragraph(f"[{r.number}] {r.text()}")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def render_pdf(doc: Document) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    quote = ParagraphStyle("Quote", parent=styles["BodyText"], leftIndent=14, textColor="#222222")
    small = ParagraphStyle("Cite", parent=styles["BodyText"], fontSize=8.5, textColor="#444444")

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(_pdf_text(text)).replace("\n", "<br/>"), style)

    story: list = [para(doc.pack.title, styles["Title"])]
    if doc.pack.description:
        story.append(para(doc.pack.description, styles["BodyText"]))
    story += [para(doc.summary_line(), styles["Italic"]), Spacer(1, 0.3 * cm)]

    def passage(e: Entry, style: str) -> None:
        story.append(para(f"{e.number}. {e.item.citation.title}", styles[style]))
        story.append(para(e.item.text, quote))
        story.append(para(e.cite, small))
        if e.item.themes:
            story.append(
                para("Themes: " + ", ".join(doc.theme_name(t) for t in e.item.themes), small)
            )

    if doc.layout == "briefing":
        story.append(para("What the reviews found", styles["Heading1"]))
        for e in doc.entries:
            passage(e, "Heading3")
        story.append(para("Why it matters", styles["Heading1"]))
        story.append(
            ListFlowable(
                [
                    ListItem(para(f"{name} ({n}): {definition}", styles["BodyText"]))
                    for name, definition, n in doc.why_it_matters()
                ]
                or [ListItem(para("No themes tagged on these passages.", styles["BodyText"]))],
                bulletType="bullet",
            )
        )
        story.append(para("Questions for reflection", styles["Heading1"]))
        story.append(
            ListFlowable(
                [
                    ListItem(para(f"{q} {where}".rstrip(), styles["BodyText"]))
                    for q, where in doc.questions()
                ],
                bulletType="1",
            )
        )
    else:
        for e in doc.entries:
            passage(e, "Heading2")
            if e.item.note:
                story.append(para(f"Note: {e.item.note}", styles["BodyText"]))
    story.append(para("References", styles["Heading1"]))
    for r in doc.references:
        story.append(para(f"[{r.number}] {r.text()}", small))
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=_pdf_text(doc.pack.title),
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    ).build(story)
    return buf.getvalue()


def _pdf_text(text: str) -> str:
    """The built-in PDF fonts cover Latin-1 plus a few marks; replace what they cannot draw."""
    replacements = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                    "\u2014": "-", "\u2026": "...", "\u2022": "-"}  # fmt: skip
    text = "".join(replacements.get(ch, ch) for ch in text)
    return text.encode("latin-1", "replace").decode("latin-1")


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
                "citation": item.citation.model_copy(
                    update={"title": _clean(item.citation.title)}
                ),
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
