"""Rebuild a report's structure (headings and paragraphs) from extracted lines.

A PDF gives lines, not paragraphs: the paragraphs, headings and section boundaries a
reader sees must be rebuilt from layout hints (vertical gaps, font size and weight,
indentation, paragraph numbers) and from the text itself, across page breaks and
through the page furniture that ``clean`` removes. DOCX and HTML lines are already
paragraphs and carry heading levels from the markup; plain text carries underlines.

One module per step, run in this order by :func:`structure`:
``furniture`` (running headers, page numbers, contents entries), ``layout`` (typical
type size and spacing, footnotes), ``headings`` (which lines are headings, section
kinds), ``paragraphs`` (lines into paragraphs over page breaks) and ``levels`` (heading
levels). ``lines`` holds the records and text tests they share.

The result is a ``StructuredDoc``: cleaned text made of blocks joined by blank lines,
every block with its heading path, the kind of section it sits in (so the tagger can
ignore the terms of reference or the glossary), its pages and its exact character span.
"""

from __future__ import annotations

from collections import Counter

from scrkb.models import Block, ExtractedDoc, StructuredDoc
from scrkb.nlp import clean
from scrkb.nlp.structure.furniture import page_lines
from scrkb.nlp.structure.headings import section_kind_for
from scrkb.nlp.structure.layout import mark_footnotes, measure_layout
from scrkb.nlp.structure.levels import is_prose, resolve_levels
from scrkb.nlp.structure.lines import BARE_LABEL, heading_title
from scrkb.nlp.structure.paragraphs import group_paragraphs, is_title_page, join_lines

__all__ = ["heading_title", "section_kind_for", "structure"]


def structure(doc: ExtractedDoc) -> StructuredDoc:
    """Clean an extracted document and rebuild its headings and paragraphs.

    Returns the cleaned text (blocks joined by blank lines), the blocks with heading
    paths, section kinds, pages and exact character spans, and counts of what cleaning
    removed or repaired in ``stats``.
    """
    stats: Counter[str] = Counter()
    pages = page_lines(doc, stats)
    pages = [lines for lines in pages if lines] or [[]]
    lay = measure_layout(pages, stats)
    mark_footnotes(pages, lay)
    title_page = is_title_page(doc, pages)
    paras = group_paragraphs(pages, lay, title_page)
    resolve_levels(paras, lay)

    blocks: list[Block] = []
    pieces: list[str] = []
    offset = 0
    stack: list[tuple[int, str]] = []
    for para in paras:
        if para.is_heading:
            sep = ": " if len(para.lines) > 1 and BARE_LABEL.match(para.lines[0].text) else " "
            head = sep.join(ln.text.rstrip(":.") if sep != " " else ln.text for ln in para.lines)
            text = clean.clean_paragraph(head, stats)
            breaks: list[tuple[int, int]] = []
        else:
            raw, breaks = join_lines(para.lines, stats)
            text, breaks = _clean_with_breaks(raw, breaks, stats)
            if para.list_item:
                text = clean.BULLET_PREFIX + text
                breaks = [(o + len(clean.BULLET_PREFIX), pg) for o, pg in breaks]
        if not text:
            continue
        if para.is_heading:
            level = para.heading_level or 1
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            path = [t for _, t in stack]
        else:
            level = None
            path = [t for _, t in stack]
        if pieces:
            offset += 2
        start = offset
        pieces.append(text)
        offset += len(text)
        kind = section_kind_for(path)
        if kind == "contents" and not para.is_heading and is_prose(text):
            # A contents list never holds sentences: its section has ended, even if the
            # heading that ended it was lost (e.g. removed as a repeat of the title).
            kind = "front" if not any(b.section_kind == "body" for b in blocks) else "body"
            path = []
        blocks.append(
            Block(
                kind="heading" if para.is_heading else "paragraph",
                text=text,
                level=level,
                heading_path=path,
                section_kind=kind,
                page_start=para.lines[0].page,
                page_end=para.lines[-1].page,
                char_start=start,
                char_end=offset,
                page_breaks=[start + o for o, _ in breaks],
            )
        )
    stats["blocks"] = len(blocks)
    stats["headings"] = sum(b.kind == "heading" for b in blocks)
    return StructuredDoc(
        text="\n\n".join(pieces), blocks=blocks, stats={k: int(v) for k, v in stats.items()}
    )


def _clean_with_breaks(
    raw: str, breaks: list[tuple[int, int]], stats: Counter[str]
) -> tuple[str, list[tuple[int, int]]]:
    """Clean a paragraph's text per page segment so page-break offsets stay exact."""
    if not breaks:
        return clean.clean_paragraph(raw, stats), []
    cuts = [0, *[o for o, _ in breaks], len(raw)]
    parts = [clean.clean_paragraph(raw[a:b], stats) for a, b in zip(cuts, cuts[1:], strict=False)]
    text = ""
    out: list[tuple[int, int]] = []
    for k, part in enumerate(parts):
        if not part:
            continue
        if text:
            text += " "
        if k > 0:
            out.append((len(text), breaks[k - 1][1]))
        text += part
    return text, out
