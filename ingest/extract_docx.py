"""Word (.docx) body text to lines: one line per paragraph or table row.

Word files carry their structure in styles, so headings come from the style (or the
outline level it sets) rather than from font size. Pages exist only where Word recorded
them: the page breaks it last rendered, else the explicit ones; headers and footers live
in other parts of the package and never reach the text.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from scrkb.errors import ExtractionError
from scrkb.models import Line, PageText

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)
_PAGE_BREAK = object()  # marker in a paragraph's pieces


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def extract_docx(path: Path) -> tuple[list[PageText], str | None, list[str]]:
    """Return (pages, title from the core properties, warnings) for a .docx file."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    name = Path(path).name
    try:
        document = docx.Document(str(path))
    except ValueError as exc:  # a package that is not a Word document (.xlsx, .pptx)
        raise ExtractionError("unsupported", f"{name} is not a Word document.") from exc
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise ExtractionError(
            "corrupt", f"{name} is damaged or incomplete and cannot be read as a Word file."
        ) from exc
    body = document.element.body
    styles = _StyleInfo(document)
    rendered = body.find(f".//{_w('lastRenderedPageBreak')}") is not None
    pages: list[list[Line]] = [[]]
    for element in _blocks(body):
        if element.tag == _w("tbl"):
            for row in element.iter(_w("tr")):
                if (
                    rendered
                    and row.find(f".//{_w('lastRenderedPageBreak')}") is not None
                    and pages[-1]
                ):
                    pages.append([])
                cells = [_cell_text(tc) for tc in row.findall(_w("tc"))]
                text = " | ".join(c for c in cells if c)
                if text:
                    pages[-1].append(Line(text=text, new_block=True))
            continue
        _add_paragraph(element, styles, pages, rendered)
    while len(pages) > 1 and not pages[-1]:
        pages.pop()
    title = (document.core_properties.title or "").strip() or None
    return [PageText(number=i + 1, lines=lines) for i, lines in enumerate(pages)], title, []


def _blocks(parent: Any) -> Iterator[Any]:
    """Body paragraphs and tables in order, looking inside content controls (w:sdt),
    where Word keeps its generated contents list."""
    for child in parent:
        if child.tag in (_w("p"), _w("tbl")):
            yield child
        elif child.tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _blocks(content)
        elif child.tag in (_w("customXml"), _w("ins")):
            yield from _blocks(child)


def _add_paragraph(p: Any, styles: _StyleInfo, pages: list[list[Line]], rendered: bool) -> None:
    ppr = p.find(_w("pPr"))
    style_id = None
    if ppr is not None:
        pstyle = ppr.find(_w("pStyle"))
        style_id = pstyle.get(_w("val")) if pstyle is not None else None
        if not rendered and ppr.find(_w("pageBreakBefore")) is not None and pages[-1]:
            pages.append([])
    level = styles.level(style_id, ppr)
    is_list = styles.is_list(style_id, ppr)
    pieces, bold = _pieces(p, rendered)
    first = True
    segment: list[str] = []

    def emit() -> None:
        nonlocal first
        text = " ".join("".join(segment).split())
        segment.clear()
        if text:
            pages[-1].append(
                Line(text=text, style_level=level, new_block=first, list_item=is_list, bold=bold)
            )
            first = False

    for piece in pieces:
        if piece is _PAGE_BREAK:
            emit()
            pages.append([])
        else:
            segment.append(piece)
    emit()


def _pieces(p: Any, rendered: bool) -> tuple[list[Any], bool]:
    """The paragraph's text in order, with page-break markers, and whether every run
    that has text is bold (a bold-only paragraph is often a heading in disguise)."""
    pieces: list[Any] = []
    runs_bold: list[bool] = []
    break_tag = _w("lastRenderedPageBreak")
    for el in _iter_visible(p):
        tag = el.tag
        if tag == _w("t"):
            pieces.append(el.text or "")
            if el.text and el.text.strip():
                runs_bold.append(_run_bold(el.getparent()))
        elif tag in (_w("tab"), _w("cr")):
            pieces.append(" ")
        elif tag == _w("br"):
            if el.get(_w("type")) == "page" and not rendered:
                pieces.append(_PAGE_BREAK)
            else:
                pieces.append(" ")
        elif tag == break_tag and rendered:
            pieces.append(_PAGE_BREAK)
    return pieces, bool(runs_bold) and all(runs_bold)


def _iter_visible(el: Any) -> Iterator[Any]:
    """Descendants in document order, skipping deleted text and the duplicate
    fallback copy Word writes for text boxes."""
    for child in el:
        if child.tag in (f"{{{MC}}}Fallback", _w("del"), _w("instrText"), _w("delText")):
            continue
        yield child
        yield from _iter_visible(child)


def _run_bold(run: Any) -> bool:
    if run is None or run.tag != _w("r"):
        return False
    rpr = run.find(_w("rPr"))
    b = rpr.find(_w("b")) if rpr is not None else None
    return b is not None and b.get(_w("val"), "true").lower() not in ("0", "false", "off")


def _cell_text(tc: Any) -> str:
    texts = []
    for el in _iter_visible(tc):
        if el.tag == _w("t") and el.text:
            texts.append(el.text)
        elif el.tag in (_w("p"), _w("tab"), _w("br")):
            texts.append(" ")
    return " ".join("".join(texts).split())


class _StyleInfo:
    """Heading levels and list-ness per paragraph style, following ``basedOn`` chains
    and outline levels, so custom styles built on "Heading 2" still count."""

    def __init__(self, document: Any) -> None:
        self._by_id: dict[str, Any] = {}
        styles_el = document.styles.element
        for style in styles_el.findall(_w("style")):
            sid = style.get(_w("styleId"))
            if sid:
                self._by_id[sid] = style

    def _chain(self, style_id: str | None) -> Iterator[Any]:
        seen: set[str] = set()
        while style_id and style_id not in seen and style_id in self._by_id:
            seen.add(style_id)
            style = self._by_id[style_id]
            yield style
            based = style.find(_w("basedOn"))
            style_id = based.get(_w("val")) if based is not None else None

    def level(self, style_id: str | None, ppr: Any) -> int | None:
        outline = _outline_level(ppr)
        if outline is not None:
            return outline
        for style in self._chain(style_id):
            name_el = style.find(_w("name"))
            name = (name_el.get(_w("val")) if name_el is not None else "") or ""
            if name.lower() == "title":
                return 1
            match = _HEADING_STYLE.match(name)
            if match:
                return int(match.group(1))
            outline = _outline_level(style.find(_w("pPr")))
            if outline is not None:
                return outline
        return None

    def is_list(self, style_id: str | None, ppr: Any) -> bool:
        if ppr is not None and ppr.find(_w("numPr")) is not None:
            return True
        for style in self._chain(style_id):
            name_el = style.find(_w("name"))
            name = (name_el.get(_w("val")) if name_el is not None else "") or ""
            if name.lower().startswith("list"):
                return True
            spr = style.find(_w("pPr"))
            if spr is not None and spr.find(_w("numPr")) is not None:
                return True
        return False


def _outline_level(ppr: Any) -> int | None:
    if ppr is None:
        return None
    outline = ppr.find(_w("outlineLvl"))
    if outline is None:
        return None
    try:
        value = int(outline.get(_w("val"), "9"))
    except ValueError:
        return None
    return value + 1 if value < 9 else None  # 9 means "body text"
