"""PDF pages to lines with geometry, through pdfium.

Paragraph rebuilding, running-header removal and heading detection (``nlp/clean.py``,
``nlp/structure.py``) need more than the text: where each line sits, how big and how
bold it is. pdfium gives that per character; this module groups characters into lines
and keeps, per line, the baseline-derived top, the left edge, the dominant font size and
whether most of it is bold.

Before pdfium sees a file, ``guards.check_pdf`` inflates (and discards) its compressed
streams and walks its page tree, refusing flate bombs, pages drawn from hundreds of MB
of instructions and page trees nested thousands deep; the page loop keeps to the file's
time and character limits.
"""

from __future__ import annotations

import ctypes
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from scrkb.errors import ExtractionError
from scrkb.ingest.guards import Deadline, ExtractLimits, check_pdf, too_much_text
from scrkb.ingest.ocr import OcrOptions, ocr_image, tesseract_version
from scrkb.models import Line, PageText

NO_TEXT_LAYER = "no text layer (needs OCR)"
MAX_OCR_PIXELS = 40_000_000  # an A4 page at 600 dpi is 35 million

# A line's top is its baseline minus this share of its font size: about the ascender
# height of common fonts, so ``top`` is stable whatever letters the line holds.
ASCENT = 0.8
_FORCE_BOLD = 1 << 18  # PDF font descriptor flag
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demibold|,b\b", re.I)
_DROP = {0, 0xFFFE, 0xFFFF}
# FPDFText_GetTextObject with the text object's address as a plain integer (None for
# none): comparing addresses needs no ctypes.cast per character.
_TEXT_OBJECT = ctypes.cast(
    pdfium_c.FPDFText_GetTextObject,
    ctypes.CFUNCTYPE(ctypes.c_void_p, pdfium_c.FPDF_TEXTPAGE, ctypes.c_int),
)


@dataclass
class _Run:
    """Characters of one line as pdfium ordered them, before merging and sorting."""

    chars: list[str] = field(default_factory=list)
    baseline: float | None = None
    left: float | None = None
    right: float | None = None  # the right edge of the last character's box
    sizes: Counter[float] = field(default_factory=Counter)
    bold_chars: int = 0
    ink_chars: int = 0

    def add(self, ch: str, size: float, bold: bool) -> None:
        self.chars.append(ch)
        if not ch.isspace():
            self.ink_chars += 1
            self.bold_chars += bold
            self.sizes[round(size, 1)] += 1

    @property
    def size(self) -> float | None:
        return self.sizes.most_common(1)[0][0] if self.sizes else None


def extract_pdf(
    path: Path,
    *,
    max_pages: int = 2000,
    ocr: OcrOptions | None = None,
    limits: ExtractLimits | None = None,
    deadline: Deadline | None = None,
) -> tuple[list[PageText], str | None, list[str]]:
    """Return (pages, title from the metadata, warnings) for a PDF file.

    Raises ``ExtractionError`` for password-protected, unreadable, over-long and hostile
    files. Pages that hold an image and no text (scans) are read with Tesseract when
    ``ocr`` is enabled and Tesseract is installed; each such page carries
    ``ocr_confidence``. A PDF left without any text is not an error: its pages come back
    without lines and with the warning ``NO_TEXT_LAYER``, so ingest can keep it as a
    no-text report.
    """
    ocr = ocr if ocr is not None else OcrOptions(enabled=False)
    name = Path(path).name
    limits = limits or ExtractLimits()
    deadline = deadline or Deadline(limits.seconds, name)
    check_pdf(Path(path), name, limits, deadline, max_pages=max_pages)
    try:
        pdf = pdfium.PdfDocument(Path(path))
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise ExtractionError(
                "encrypted",
                f"{name} is password-protected; ask the publisher for an unprotected copy.",
            ) from exc
        raise ExtractionError(
            "corrupt", f"{name} is damaged or incomplete and cannot be read as a PDF."
        ) from exc
    try:
        count = len(pdf)
        if count > max_pages:
            raise ExtractionError(
                "too_large", f"{name} has {count} pages, more than the limit of {max_pages}."
            )
        title = _metadata_title(pdf)
        pages: list[PageText] = []
        warnings: list[str] = []
        unreadable: list[int] = []
        read: list[tuple[int, list[_Run], float, float] | None] = []
        chars = 0
        for index in range(count):
            deadline.check()
            try:
                read.append((index, *_page_runs(pdf, index)))
            except pdfium.PdfiumError:
                unreadable.append(index + 1)
                read.append(None)
                continue
            chars += sum(len(run.chars) for run in read[-1][1])
            if chars > limits.chars:
                raise too_much_text(name, limits)
        # A page whose right column holds a line or two (a report's last page) has no
        # gutter of its own: it takes the one most of the document's pages share.
        gutters = [find_gutter(r[1], r[3]) if r else None for r in read]
        usual = _usual_gutter([g for g in gutters if g])
        for item, gutter in zip(read, gutters, strict=True):
            if item is None:
                continue
            index, runs, width, height = item
            if gutter is None and usual and _fits_columns(runs, usual, height):
                gutter = usual
            pages.append(
                PageText(
                    number=index + 1,
                    lines=_lines(runs, height, gutter),
                    width=width,
                    height=height,
                )
            )
        for number in unreadable:
            pages.insert(number - 1, PageText(number=number, lines=[]))
        warnings += _ocr_scanned_pages(pdf, pages, ocr, deadline)
        if unreadable and len(unreadable) == count:
            raise ExtractionError("corrupt", f"{name} is damaged: none of its pages can be read.")
        if unreadable:
            warnings.append(f"pages could not be read: {', '.join(map(str, unreadable))}")
        if not any(page.lines for page in pages):
            warnings.append(NO_TEXT_LAYER)
        return pages, title, warnings
    finally:
        pdf.close()


def _ocr_scanned_pages(
    pdf: pdfium.PdfDocument,
    pages: list[PageText],
    ocr: OcrOptions,
    deadline: Deadline | None = None,
) -> list[str]:
    """Read pages that have an image but no text with Tesseract; return warnings.

    A page is rendered at the OCR resolution, or less when that would pass
    ``MAX_OCR_PIXELS`` (a hostile page can declare itself 5 m square), and the file's
    time limit is checked before each page."""
    scanned = [p for p in pages if not p.lines and _has_image(pdf, p.number - 1)]
    if not scanned:
        return []
    if not ocr.enabled:
        return [f"{len(scanned)} scanned page(s) not read: OCR is turned off (SCRKB_OCR)"]
    if tesseract_version() is None:
        return [f"{len(scanned)} scanned page(s) not read: Tesseract is not installed"]
    warnings: list[str] = []
    failed: list[str] = []
    for page in scanned[: ocr.max_pages]:
        if deadline is not None:
            deadline.check()
        scale = ocr.dpi / 72
        area = max((page.width or 0) * (page.height or 0), 1.0)
        scale = min(scale, math.sqrt(MAX_OCR_PIXELS / area))
        pdf_page = pdf[page.number - 1]
        try:
            bitmap = pdf_page.render(scale=scale, grayscale=True)
            image = bitmap.to_pil()
        except pdfium.PdfiumError as exc:
            failed.append(f"{page.number} ({exc})")
            continue
        finally:
            pdf_page.close()
        result = ocr_image(image, scale=scale, options=ocr)
        if result.error:
            failed.append(f"{page.number} ({result.error})")
        page.lines = result.lines
        page.ocr_confidence = result.confidence
    done = [p for p in scanned if p.ocr_confidence is not None]
    if done:
        mean = sum(p.ocr_confidence or 0.0 for p in done) / len(done)
        warnings.append(
            f"OCR: {len(done)} scanned page(s) read with {tesseract_version()} "
            f"(mean word confidence {mean:.0f}%)"
        )
    if failed:
        warnings.append("OCR could not read page(s): " + "; ".join(failed))
    if len(scanned) > ocr.max_pages:
        warnings.append(
            f"OCR: only the first {ocr.max_pages} of {len(scanned)} scanned pages were read"
        )
    return warnings


def _has_image(pdf: pdfium.PdfDocument, index: int) -> bool:
    page = pdf[index]
    try:
        return any(
            True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)
        )
    except pdfium.PdfiumError:
        return False
    finally:
        page.close()


def _metadata_title(pdf: pdfium.PdfDocument) -> str | None:
    try:
        title = pdf.get_metadata_value("Title")
    except (pdfium.PdfiumError, UnicodeDecodeError):
        return None
    title = " ".join(title.replace("\x00", "").split()) if title else ""
    return title or None


def _page_runs(pdf: pdfium.PdfDocument, index: int) -> tuple[list[_Run], float, float]:
    """A page's character runs, width and height."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            runs = _char_runs(textpage)
        finally:
            textpage.close()
    finally:
        page.close()
    return runs, width, height


def _usual_gutter(gutters: list[tuple[float, float]]) -> tuple[float, float] | None:
    """The gutter most two-column pages share (within 12 points), if any."""
    if not gutters:
        return None
    best = max(gutters, key=lambda g: sum(abs(h[0] - g[0]) < 12 for h in gutters))
    same = [g for g in gutters if abs(g[0] - best[0]) < 12]
    return max(g[0] for g in same), min(g[1] for g in same)


def _fits_columns(runs: list[_Run], gutter: tuple[float, float], height: float) -> bool:
    """Whether a page's body lines sit in the document's columns: something right of the
    gutter, and no more than a couple of lines (headings) across it."""
    lo, hi = gutter
    margin = 0.09 * height
    body = [r for r in runs if margin <= (r.baseline or 0.0) <= height - margin]
    across = [r for r in body if (r.left or 0.0) < lo and (r.right or 0.0) > hi]
    right = [r for r in body if (r.left or 0.0) >= lo]
    return bool(right) and len(across) <= max(2, len(body) // 10)


def _char_runs(textpage: pdfium.PdfTextPage) -> list[_Run]:
    """Walk the characters in pdfium's order, starting a run at each line break pdfium
    generated or where the baseline jumps. Font queries happen once per text object.

    This loop runs once per character of every PDF (a third of a 60-page report's
    ingest CPU before it was tuned): pdfium's functions are bound once, text objects are
    compared by address (``_TEXT_OBJECT`` returns a plain integer), and a run's counts are
    kept inline rather than through ``_Run.add``, with the same results."""
    raw = textpage.raw
    n = pdfium_c.FPDFText_CountChars(raw)
    get_unicode = pdfium_c.FPDFText_GetUnicode
    text_object = _TEXT_OBJECT
    get_origin = pdfium_c.FPDFText_GetCharOrigin
    get_box = pdfium_c.FPDFText_GetCharBox
    runs: list[_Run] = []
    run = _Run()
    x, y = ctypes.c_double(), ctypes.c_double()
    box = [ctypes.c_double() for _ in range(4)]  # left, right, bottom, top
    x_ref, y_ref = ctypes.byref(x), ctypes.byref(y)
    box_refs = [ctypes.byref(b) for b in box]
    right_edge = box[1]
    last_obj: int | None = None
    size, bold = 0.0, False
    size_key = 0.0  # round(size, 1): the key a run counts its characters' sizes under
    jump, gap_width = 0.6, 3.6  # a baseline jump and a gap that start a run, at this size
    for i in range(n):
        code = get_unicode(raw, i)
        if code == 0x0D or code == 0x0A:
            if run.ink_chars:
                runs.append(run)
            run = _Run()
            continue
        if code in _DROP:
            continue
        ch = "-" if code == 0x02 else chr(code)  # pdfium marks a line-end hyphen as 0x02
        obj_id = text_object(raw, i)
        if obj_id != last_obj or obj_id is None:
            size, bold = _font(raw, i)
            size_key = round(size, 1)
            jump, gap_width = max(size, 1.0) * 0.6, max(size, 4.0) * 0.9
            last_obj = obj_id
        if ch.isspace():
            chars = run.chars
            if chars and not chars[-1].isspace():
                chars.append(" ")
            continue
        get_origin(raw, i, x_ref, y_ref)
        get_box(raw, i, *box_refs)
        baseline = run.baseline
        jumped = baseline is not None and abs(y.value - baseline) > jump
        # A wide gap on one baseline is a column gutter or a table's cell gap: a new run,
        # so that columns can be told apart (and merged back when they are not columns).
        gap = run.right is not None and x.value - run.right > gap_width
        if jumped or gap:
            runs.append(run)
            run = _Run()
        if run.baseline is None:
            run.baseline = y.value
            run.left = x.value  # the pen position: the same for every line of a margin
        run.chars.append(ch)  # what _Run.add does for a character with ink
        run.ink_chars += 1
        run.bold_chars += bold
        run.sizes[size_key] += 1
        right, furthest = right_edge.value, run.right
        run.right = right if not furthest or right > furthest else furthest
    if run.ink_chars:
        runs.append(run)
    return runs


def _font(raw: pdfium_c.FPDF_TEXTPAGE, i: int) -> tuple[float, bool]:
    """Font size in points (the Tf size times the text matrix's scale) and boldness
    (weight, the font's name, or its ForceBold flag: standard fonts carry no weight)."""
    size = pdfium_c.FPDFText_GetFontSize(raw, i)
    matrix = pdfium_c.FS_MATRIX()
    if pdfium_c.FPDFText_GetMatrix(raw, i, matrix):
        scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
        if scale > 0:
            size *= scale
    if not math.isfinite(size):  # a hostile matrix (0 x inf): no size rather than NaN
        size = 0.0
    weight = pdfium_c.FPDFText_GetFontWeight(raw, i)
    flags = ctypes.c_int()
    buf = ctypes.create_string_buffer(128)
    pdfium_c.FPDFText_GetFontInfo(raw, i, buf, len(buf), flags)
    font_name = buf.value.decode("latin-1", "replace")
    bold = weight >= 600 or bool(flags.value & _FORCE_BOLD) or bool(_BOLD_NAME.search(font_name))
    return size, bold


def _lines(
    runs: list[_Run], height: float, gutter: tuple[float, float] | None = None
) -> list[Line]:
    """Runs to lines in reading order.

    A page set in two columns is read column by column (within each band between
    full-width lines such as a heading across both columns), with running headers and
    footers kept at the top and foot; any other page top to bottom, runs sharing a
    baseline merged left to right (a page number drawn apart from its contents entry).
    """
    runs = [r for r in runs if r.baseline is not None]
    if gutter is None:
        return _merge(runs, height)
    lo, hi = gutter
    margin = 0.09 * height
    head = [r for r in runs if (r.baseline or 0.0) > height - margin]
    foot = [r for r in runs if (r.baseline or 0.0) < margin]
    body = [r for r in runs if margin <= (r.baseline or 0.0) <= height - margin]
    body.sort(key=lambda r: -(r.baseline or 0.0))
    out = _merge(head, height)
    band: list[_Run] = []

    def flush() -> None:
        for column, side in enumerate(
            (
                [r for r in band if (r.right or 0.0) <= hi],
                [r for r in band if (r.left or 0.0) >= lo],
            )
        ):
            for line in _merge(side, height):
                line.column = column
                out.append(line)
        band.clear()

    for run in body:
        if (run.left or 0.0) < lo and (run.right or 0.0) > hi:  # spans the gutter
            flush()
            out.extend(_merge([run], height))
        else:
            band.append(run)
    flush()
    out.extend(_merge(foot, height))
    return out


def find_gutter(runs: list[_Run], height: float) -> tuple[float, float] | None:
    """The gutter of a page set in two columns, as (its left, its right) in points.

    The page's body text (without the top and bottom margins) must leave an empty
    vertical strip at least 9 points wide near the middle of the text block, crossed by
    at most a tenth of the lines, with enough full lines on each side. Why the width
    test: a chronology table's date column or a contents page's page numbers also leave
    a strip, but the text beside them is narrow.
    """
    margin = 0.09 * height
    body = [
        r for r in runs
        if r.left is not None and r.right is not None and margin <= (r.baseline or 0.0) <= height - margin
    ]  # fmt: skip
    if len(body) < 12:
        return None
    x0 = min(r.left or 0.0 for r in body)
    x1 = max(r.right or 0.0 for r in body)
    width = x1 - x0
    if width < 200:
        return None
    bins = int(width) + 1
    cover = [0] * bins
    for r in body:
        a, b = int((r.left or 0.0) - x0), int((r.right or 0.0) - x0)
        for k in range(max(0, a), min(bins, b + 1)):
            cover[k] += 1
    limit = max(1, len(body) // 10)
    best: tuple[int, int] | None = None
    start = None
    for k in range(int(width * 0.3), int(width * 0.7) + 1):
        if cover[k] <= limit:
            start = k if start is None else start
            if best is None or k - start > best[1] - best[0]:
                best = (start, k)
        else:
            start = None
    if best is None or best[1] - best[0] < 9:
        return None
    lo, hi = x0 + best[0], x0 + best[1]
    left = [r for r in body if (r.right or 0.0) <= hi]
    right = [r for r in body if (r.left or 0.0) >= lo]
    full_left = [r for r in left if (r.right or 0.0) - (r.left or 0.0) >= 0.6 * (lo - x0)]
    full_right = [r for r in right if (r.right or 0.0) - (r.left or 0.0) >= 0.6 * (x1 - hi)]
    if lo - x0 < 0.3 * width or x1 - hi < 0.3 * width:
        return None
    if len(full_left) >= 5 and len(full_right) >= 5:
        return lo, hi
    # A right column of a line or two (the end of the text): nothing crosses the gutter,
    # the left column is full, and the right lines are prose set at one margin.
    crossing = len(body) - len(left) - len(right)
    margins = {round(r.left or 0.0) for r in right}
    prose = all(len("".join(r.chars).split()) >= 3 for r in right)
    if (
        crossing == 0
        and len(full_left) >= 8
        and right
        and prose
        and max(margins) - min(margins) <= 3
    ):
        return lo, hi
    return None


def _merge(runs: list[_Run], height: float) -> list[Line]:
    """Runs to lines top to bottom, runs sharing a baseline merged left to right."""
    runs = sorted(runs, key=lambda r: (-(r.baseline or 0.0), r.left or 0.0))
    groups: list[list[_Run]] = []
    for run in runs:
        if groups:
            head = groups[-1][0]
            tolerance = max(head.size or 0.0, run.size or 0.0, 1.0) * 0.3
            if abs((head.baseline or 0.0) - (run.baseline or 0.0)) <= tolerance:
                groups[-1].append(run)
                continue
        groups.append([run])
    lines: list[Line] = []
    cells: list[list[tuple[float, str]]] = []
    for group in groups:
        group.sort(key=lambda r: r.left or 0.0)
        text = " ".join("".join(r.chars).strip() for r in group)
        text = " ".join(text.split())
        if not text:
            continue
        cells.append(
            [(r.left or 0.0, " ".join("".join(r.chars).split())) for r in group if r.ink_chars]
        )
        sizes: Counter[float] = Counter()
        for r in group:
            sizes.update(r.sizes)
        size = sizes.most_common(1)[0][0] if sizes else None
        ink = sum(r.ink_chars for r in group)
        bold = ink > 0 and sum(r.bold_chars for r in group) * 2 > ink
        baseline = max(r.baseline or 0.0 for r in group)
        top = height - baseline - ASCENT * (size or 0.0)
        lines.append(
            Line(
                text=text,
                top=round(top, 2),
                left=round(group[0].left or 0.0, 2),
                size=size,
                bold=bold,
            )
        )
    return _table_rows(lines, cells)


_PAGE_NO_CELL = re.compile(r"^(?:\d{1,4}|[ivxlc]{1,6})$", re.I)


def _table_rows(lines: list[Line], cells: list[list[tuple[float, str]]]) -> list[Line]:
    """Rebuild the rows of a table whose cells wrap (a chronology: date | event | agency).

    Lines are drawn across the row, so a wrapped cell's second line would otherwise be
    read after the next cell ("mother reports Midwifery no concerns"). A table is three
    or more lines in a row holding cells at the same column positions, at least two of
    them with two cells or more; a line with nothing in the first column continues the
    row above. Each row becomes one line, its cells joined by " | ". A column of bare
    numbers at the right is a contents page's page numbers, not a table.
    """
    out: list[Line] = []
    i = 0
    while i < len(lines):
        columns = sorted({round(left) for left, _ in cells[i]}) if len(cells[i]) >= 2 else []
        if not columns or all(_PAGE_NO_CELL.match(t) for _, t in cells[i][1:]):
            out.append(lines[i])
            i += 1
            continue
        j, multi = i + 1, 1
        while j < len(lines):
            lefts = [round(left) for left, _ in cells[j]]
            if not all(any(abs(x - c) <= 3 for c in columns) for x in lefts):
                break
            if len(lefts) == 1 and abs(lefts[0] - columns[0]) <= 3:
                break  # a row starts with two cells or more: this is text after the table
            if len(cells[j]) >= 2:
                multi += 1
            j += 1
        if multi < 2 or j - i < 3:
            out.append(lines[i])
            i += 1
            continue
        rows: list[tuple[Line, dict[int, list[str]]]] = []
        for k in range(i, j):
            by_col: dict[int, list[str]] = {}
            for left, text in cells[k]:
                col = min(range(len(columns)), key=lambda c: abs(columns[c] - left))
                by_col.setdefault(col, []).append(text)
            if 0 in by_col or not rows:
                rows.append((lines[k], by_col))
            else:
                for col, texts in by_col.items():
                    rows[-1][1].setdefault(col, []).extend(texts)
        for first, by_col in rows:
            text = " | ".join(" ".join(by_col[c]) for c in sorted(by_col))
            out.append(first.model_copy(update={"text": text, "new_block": True}))
        i = j
    return out
