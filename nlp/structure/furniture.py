"""Page furniture: running headers and footers, page numbers and contents entries.

Each page's lines are normalised first (``clean.clean_line``), plain-text underlines are
turned into heading levels, then what a reader skips is removed: contents entries (after
a "Contents" heading, and dot-leader lines anywhere), lines repeated in the top and
bottom bands of many pages, and page numbers.
"""

from __future__ import annotations

from collections import Counter

from scrkb.models import ExtractedDoc
from scrkb.nlp import clean
from scrkb.nlp.structure.lines import UNDERLINE, TextLine, title_like


def page_lines(doc: ExtractedDoc, stats: Counter[str]) -> list[list[TextLine]]:
    """Normalise every page's lines, drop page furniture and contents entries."""
    pages: list[list[TextLine]] = []
    for page in doc.pages:
        lines: list[TextLine] = []
        blank = False
        for raw in page.lines:
            for j, piece in enumerate(raw.text.split("\n")):
                text = clean.clean_line(piece, stats)
                if not text:
                    blank = True
                    continue
                lines.append(
                    TextLine(
                        text=text,
                        page=page.number,
                        top=raw.top,
                        left=raw.left,
                        size=raw.size,
                        bold=raw.bold,
                        style_level=raw.style_level if j == 0 else None,
                        new_block=raw.new_block or j > 0,
                        list_item=raw.list_item,
                        blank_before=blank,
                        column=raw.column,
                    )
                )
                blank = False
        pages.append(lines)
    _mark_underlines(pages, stats)
    _drop_contents(pages, stats)  # first: entries repeat the headings at page tops
    _drop_furniture(doc, pages, stats)
    return pages


def _mark_underlines(pages: list[list[TextLine]], stats: Counter[str]) -> None:
    """Plain text marks headings by underlining them ("====" / "----"): keep the level."""
    for lines in pages:
        keep: list[TextLine] = []
        for line in lines:
            m = UNDERLINE.match(line.text)
            if m and keep and len(line.text) >= 3 and abs(len(line.text) - len(keep[-1].text)) <= 3:
                keep[-1].underline_level = 1 if line.text[0] in "=*" else 2
                stats["underlines"] += 1
                continue
            keep.append(line)
        lines[:] = keep


def _band(lines: list[TextLine], height: float | None, edge: int = 2) -> list[int]:
    """Indexes of the lines in a page's top and bottom bands.

    With geometry: the first/last ``edge`` lines that also sit in the top or bottom 12%
    of the page; without: simply the first and last ``edge`` lines.
    """
    n = len(lines)
    idx = sorted(set(range(min(edge, n))) | set(range(max(0, n - edge), n)))
    if height and all(lines[i].top is not None for i in idx):
        lo, hi = 0.12 * height, 0.88 * height
        idx = [i for i in idx if lines[i].top < lo or lines[i].top > hi]  # type: ignore[operator]
    return idx


def _drop_furniture(doc: ExtractedDoc, pages: list[list[TextLine]], stats: Counter[str]) -> None:
    """Remove running headers/footers and page numbers from the page bands."""
    heights = [p.height for p in doc.pages]
    bands = [_band(lines, h) for lines, h in zip(pages, heights, strict=True)]
    running = clean.find_running_lines([[ln.text for ln in lines] for lines in pages], bands)
    # a title page's title often doubles as the running header: keep it there
    title_page = len(pages) >= 3 and sum(len(ln.text.split()) for ln in pages[0]) <= 90
    body_size = _body_size(pages)
    for p, lines in enumerate(pages):
        drop = {i for (q, i) in running if q == p and not (p == 0 and title_page)}
        if not (p == 0 and title_page):
            drop |= _margin_lines(lines, heights[p], body_size)
        stats["running_lines"] += len(drop)
        for i in bands[p]:
            if i not in drop and clean.is_page_number(lines[i].text):
                drop.add(i)
                stats["page_numbers"] += 1
        if drop:
            lines[:] = [ln for i, ln in enumerate(lines) if i not in drop]
        # a second pass: a page number can sit just inside a running footer that went
        band = _band(lines, heights[p], edge=1)
        for i in reversed(band):
            if clean.is_page_number(lines[i].text) and not lines[i].style_level:
                del lines[i]
                stats["page_numbers"] += 1


def _body_size(pages: list[list[TextLine]]) -> float | None:
    sizes: Counter[float] = Counter()
    for lines in pages:
        for ln in lines:
            if ln.size:
                sizes[round(ln.size, 1)] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else None


def _margin_lines(lines: list[TextLine], height: float | None, body: float | None) -> set[int]:
    """Short lines in smaller type in a page's outer margins (top 8%, bottom 7%): a
    running header or footer, even on a report too short for it to repeat."""
    if not height or not body:
        return set()
    return {
        i
        for i, ln in enumerate(lines)
        if ln.top is not None
        and (ln.top < 0.08 * height or ln.top > 0.93 * height)
        and ln.size is not None
        and ln.size < body * 0.95
        and len(ln.text.split()) <= 12
    }


def _drop_contents(pages: list[list[TextLine]], stats: Counter[str]) -> None:
    """Remove contents entries: after a "Contents" heading, and dot-leader lines anywhere.

    The "Contents" heading itself stays, so any entry we fail to recognise still lands
    in a section of kind "contents". Entries without page numbers (a pasted contents,
    plain text) are taken while they are short titles on the heading's own page, until
    one repeats the first entry, which means the body has begun. A contents list that
    fills its page continues on the next one while lines end in page numbers.
    """
    limit = max(3, len(pages) // 4 + 1)
    carry = False  # the previous page ended inside the contents
    for lines in pages[:limit]:
        if _unheaded_contents(lines):
            stats["contents_lines"] += len(lines)
            lines[:] = []
    for p, lines in enumerate(pages):
        keep: list[TextLine] = []
        state = "carry" if carry else "off"
        numbered_page = _has_page_numbers(lines)
        first_entry: str | None = None
        for i, line in enumerate(lines):
            if p < limit and clean.is_contents_heading(line.text):
                state, first_entry = "on", None
                keep.append(line)
                continue
            if state != "off" and clean.is_page_number(line.text):
                keep.append(line)  # the page's own number: furniture, removed later
                continue
            if state != "off" and line.style_level is None and line.underline_level is None:
                if clean.is_contents_line(line.text):
                    stats["contents_lines"] += 1
                    first_entry = first_entry or line.text
                    continue
                nxt = lines[i + 1].text if i + 1 < len(lines) else ""
                wrapped = numbered_page and clean.is_contents_line(nxt)
                pasted = state == "on" and not numbered_page
                if (
                    (wrapped or pasted)
                    and title_like(line.text, max_words=16)
                    and line.text != first_entry
                ):
                    first_entry = first_entry or line.text
                    stats["contents_lines"] += 1
                    continue
            state = "off"
            if clean._LEADER.search(line.text) and clean.is_contents_line(line.text):
                stats["contents_lines"] += 1
                continue
            keep.append(line)
        carry = state != "off" and numbered_page
        lines[:] = keep


def _unheaded_contents(lines: list[TextLine]) -> bool:
    """A contents page without a "Contents" heading: most of its lines are entries
    ("Findings 12"), or titles each followed by its page number on a line of its own."""
    if len(lines) < 6 or any(clean.is_contents_heading(ln.text) for ln in lines):
        return False
    entries = 0
    i = 0
    while i < len(lines):
        text = lines[i].text
        nxt = lines[i + 1].text if i + 1 < len(lines) else ""
        if clean.is_contents_line(text) and not text[:1].islower():
            entries += 1
        elif title_like(text, max_words=16) and clean.is_page_number(nxt):
            entries += 1
            i += 1
        i += 1
    return entries >= 5 and entries * 2 >= len(lines) * 0.8


def _has_page_numbers(lines: list[TextLine]) -> bool:
    return sum(clean.is_contents_line(ln.text) for ln in lines) >= 2
