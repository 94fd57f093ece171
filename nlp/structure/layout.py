"""Layout: the document's typical type size, spacing and line length, and the line
pairs whose gap, type or indent starts a new paragraph. Footnotes at a page's foot are
marked here so that paragraphs can run past them.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter

from scrkb.nlp import clean
from scrkb.nlp.structure.lines import (
    LETTERED,
    NUMBERED_PARA,
    NUMBERED_SIMPLE,
    Layout,
    TextLine,
    ends_sentence,
)


def measure_layout(pages: list[list[TextLine]], stats: Counter[str]) -> Layout:
    lay = Layout(stats=stats)
    lay.markup = any(
        ln.style_level is not None or ln.underline_level is not None
        for lines in pages
        for ln in lines
    )
    sizes: Counter[float] = Counter()
    lefts: Counter[float] = Counter()
    lengths: list[int] = []
    for lines in pages:
        for ln in lines:
            lengths.append(len(ln.text))
            if ln.size is not None:
                sizes[round(ln.size, 1)] += len(ln.text)
            if ln.left is not None:
                lefts[round(ln.left)] += 1
    if sizes:
        lay.body_size = sizes.most_common(1)[0][0]
    if lefts:
        lay.left = lefts.most_common(1)[0][0]
    if lengths:
        lengths.sort()
        lay.full_chars = max(20, lengths[int(0.9 * (len(lengths) - 1))])
    gaps: list[float] = []
    for lines in pages:
        for a, b in zip(lines, lines[1:], strict=False):
            if a.top is None or b.top is None:
                continue
            if lay.body_size and (a.size != lay.body_size or b.size != lay.body_size):
                continue
            gap = b.top - a.top
            if gap > 0:
                gaps.append(gap)
    if gaps:
        lay.geometry = True
        lay.spacing = statistics.median(gaps)
    return lay


def mark_footnotes(pages: list[list[TextLine]], lay: Layout) -> None:
    """Mark footnote text at a page's foot: smaller type, starting with a number.

    Why: footnotes sit between the two halves of a paragraph that runs over the page
    break; they are kept, but as their own paragraphs after it.
    """
    if not lay.body_size:
        return
    small = lay.body_size * 0.9
    for lines in pages:
        start = None
        for i in range(len(lines) - 1, -1, -1):
            ln = lines[i]
            if ln.size is None or ln.size > small:
                break
            if re.match(r"^\d{1,3}\s*\S", ln.text) or ln.text[0] in clean._SUPERSCRIPTS:
                start = i
        if start is not None:
            for ln in lines[start:]:
                ln.footnote = True
            lay.stats["footnote_lines"] += len(lines) - start


def is_break(prev: TextLine, line: TextLine, lay: Layout) -> bool:
    """Whether ``line`` starts a new paragraph after ``prev`` (same page, body text)."""
    if line.new_block or line.blank_before or line.list_item:
        return True
    ended = ends_sentence(prev.text)
    prev_closed = ended or len(prev.text) < 0.7 * lay.full_chars
    if prev_closed and (
        NUMBERED_PARA.match(line.text)
        or LETTERED.match(line.text)
        or NUMBERED_SIMPLE.match(line.text)
    ):
        return True
    if line.top is not None and prev.top is not None and lay.spacing:
        gap = line.top - prev.top
        if gap > lay.spacing * 1.35 or gap < 0:
            return True
        if line.size is not None and prev.size is not None and abs(line.size - prev.size) > 0.6:
            return True
        if ended and line.left is not None and prev.left is not None and line.left > prev.left + 8:
            return True
    return bool(ended and len(prev.text) < 0.7 * lay.full_chars)
