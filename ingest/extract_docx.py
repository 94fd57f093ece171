"""Word (.docx) body text to lines: one line per paragraph or table row.

Word files carry their structure in styles, so headings come from the style (or the
outline level it sets) rather than from font size. Pages exist only where Word recorded
them: the page breaks it last rendered, else the explicit ones; headers and footers live
in other parts of the package and never reach the text.

A .docx is a ZIP of XML parts, and an upload may be built to explode: the package is
checked before any part is inflated (number of parts, their declared sizes), and each
part is parsed by lxml with entity expansion, DTDs and the network off
(``guards.iter_xml``). The body is streamed twice, a block at a time: a first pass
counts elements, nesting and text (and finds whether Word recorded its page breaks), the
second turns each paragraph or table into lines and frees it, so memory stays at the size
of one block whatever the size of the document.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scrkb.errors import ExtractionError
from scrkb.ingest.guards import (
    Deadline,
    ExtractLimits,
    check_zip_sizes,
    iter_xml,
    parse_xml,
    too_much_text,
)
from scrkb.models import Line, PageText

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
DC = "http://purl.org/dc/elements/1.1/"
_OFFICE_DOCUMENT = "/officeDocument"
_STYLES = "/styles"
# The main part of a Word document or template (with macros or not: they never run here).
WORD_MAIN_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    }
)
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)
_PAGE_BREAK = object()  # marker in a paragraph's pieces


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def extract_docx(
    path: Path, *, limits: ExtractLimits | None = None, deadline: Deadline | None = None
) -> tuple[list[PageText], str | None, list[str]]:
    """Return (pages, title from the core properties, warnings) for a .docx file."""
    name = Path(path).name
    limits = limits or ExtractLimits()
    deadline = deadline or Deadline(limits.seconds, name)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _corrupt(name) from exc
    with archive:
        check_zip_sizes(archive, name, limits)
        package = _Package(archive, name, limits, deadline)
        try:
            main = package.main_part()
            styles = _StyleInfo(package.styles_root(main))
            title = package.title()
            rendered = package.scan_body(main)
            pages: list[list[Line]] = [[]]
            for block in package.body_blocks(main):
                for element in _expand(block):
                    if element.tag == _w("tbl"):
                        _add_table(element, pages, rendered)
                    else:
                        _add_paragraph(element, styles, pages, rendered)
        except (
            zipfile.BadZipFile,
            KeyError,
            EOFError,
            OSError,
            RuntimeError,
            NotImplementedError,
        ) as exc:  # lying sizes (CRC), encrypted or odd entries
            raise _corrupt(name) from exc
    while len(pages) > 1 and not pages[-1]:
        pages.pop()
    return [PageText(number=i + 1, lines=lines) for i, lines in enumerate(pages)], title, []


def _corrupt(name: str) -> ExtractionError:
    return ExtractionError(
        "corrupt", f"{name} is damaged or incomplete and cannot be read as a Word file."
    )


class _Package:
    """The parts of one Word file, read under the limits."""

    def __init__(
        self, archive: zipfile.ZipFile, name: str, limits: ExtractLimits, deadline: Deadline
    ) -> None:
        self.archive = archive
        self.name = name
        self.limits = limits
        self.deadline = deadline
        self.names = set(archive.namelist())

    def _root(self, part: str) -> Any:
        if part not in self.names:
            return None
        if self.archive.getinfo(part).file_size > self.limits.part_bytes:
            raise ExtractionError(
                "too_large",
                f"{self.name} is too large when unpacked: {part} is "
                f"{self.archive.getinfo(part).file_size / 2**20:.0f} MB.",
            )
        with self.archive.open(part) as fh:
            return parse_xml(
                fh, name=self.name, part=part, limits=self.limits, deadline=self.deadline
            )

    def _related(self, source: str, kind: str) -> str | None:
        """The part ``source`` links to with a relationship of ``kind`` (its type's end)."""
        folder, base = posixpath.split(source)
        rels = self._root(posixpath.join(folder, "_rels", base + ".rels"))
        if rels is None:
            return None
        for rel in rels.iter(f"{{{PKG_REL}}}Relationship"):
            if (rel.get("Type") or "").endswith(kind) and rel.get("TargetMode") != "External":
                target = rel.get("Target") or ""
                joined = (
                    target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                )
                return posixpath.normpath(joined)
        return None

    def main_part(self) -> str:
        """The main document part, as the package's relationships name it, checked to be
        a Word document's (not a spreadsheet's or a presentation's)."""
        main = self._related("", _OFFICE_DOCUMENT) or "word/document.xml"
        if main not in self.names:
            raise _corrupt(self.name)
        types = self._root("[Content_Types].xml")
        if types is not None:
            declared = {
                (o.get("PartName") or "").lstrip("/"): o.get("ContentType")
                for o in types.iter(f"{{{CONTENT_TYPES}}}Override")
            }
            if main in declared and declared[main] not in WORD_MAIN_TYPES:
                raise ExtractionError("unsupported", f"{self.name} is not a Word document.")
        return main

    def styles_root(self, main: str) -> Any:
        styles = self._related(main, _STYLES)
        return self._root(styles) if styles else None

    def title(self) -> str | None:
        core = self._related("", "/core-properties") or "docProps/core.xml"
        root = self._root(core) if core in self.names else None
        element = root.find(f"{{{DC}}}title") if root is not None else None
        text = " ".join((element.text or "").split()) if element is not None else ""
        return text or None

    def _events(self, part: str) -> Iterator[tuple[str, Any, int]]:
        with self.archive.open(part) as fh:
            yield from iter_xml(
                fh, name=self.name, part=part, limits=self.limits, deadline=self.deadline
            )

    def scan_body(self, main: str) -> bool:
        """First pass, keeping nothing: count elements (per block too), nesting and text,
        and say whether Word recorded its rendered page breaks anywhere in the body."""
        chars = 0
        block = 0
        rendered = False
        text_tag, break_tag = _w("t"), _w("lastRenderedPageBreak")
        for event, element, depth in self._events(main):
            if event == "start":
                if depth == 3:
                    block = 0
                block += 1
                if block > self.limits.block_elements:
                    raise ExtractionError(
                        "too_large",
                        f"{self.name} is too large when unpacked: one paragraph or table in "
                        f"{main} has more than {self.limits.block_elements:,} elements.",
                    )
                if element.tag == break_tag:
                    rendered = True
                continue
            if element.tag == text_tag:
                chars += len(element.text or "")
                if chars > self.limits.chars:
                    raise too_much_text(self.name, self.limits)
            _free(element)
        return rendered

    def body_blocks(self, main: str) -> Iterator[Any]:
        """Second pass: each child of the body, whole, then freed."""
        for event, element, depth in self._events(main):
            if event == "end" and depth == 3:
                yield element
                _free(element)


def _free(element: Any) -> None:
    """Drop a finished element and its finished siblings from the tree being built."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _expand(element: Any) -> Iterator[Any]:
    """A body child as paragraphs and tables, looking inside content controls."""
    if element.tag in (_w("p"), _w("tbl")):
        yield element
    elif element.tag == _w("sdt"):
        content = element.find(_w("sdtContent"))
        if content is not None:
            yield from _blocks(content)
    elif element.tag in (_w("customXml"), _w("ins")):
        yield from _blocks(element)


def _add_table(table: Any, pages: list[list[Line]], rendered: bool) -> None:
    for row in table.iter(_w("tr")):
        if rendered and row.find(f".//{_w('lastRenderedPageBreak')}") is not None and pages[-1]:
            pages.append([])
        cells = [_cell_text(tc) for tc in row.findall(_w("tc"))]
        text = " | ".join(c for c in cells if c)
        if text:
            pages[-1].append(Line(text=text, new_block=True))


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

    def __init__(self, styles_el: Any) -> None:
        self._by_id: dict[str, Any] = {}
        if styles_el is None:
            return
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
