"""Paragraphs: lines grouped into headings and paragraphs, carried over page breaks and
past footnotes, hyphenated words re-joined, lone paragraph numbers put back in place.
"""

from __future__ import annotations

import re
from collections import Counter

from scrkb.models import ExtractedDoc
from scrkb.nlp import clean
from scrkb.nlp.structure.headings import (
    heading_number_depth,
    is_heading_candidate,
    style_heading,
)
from scrkb.nlp.structure.layout import is_break
from scrkb.nlp.structure.lines import (
    BARE_LABEL,
    NAMED_HEADING,
    NUMBERED_PARA,
    Layout,
    Para,
    TextLine,
    ends_sentence,
    title_like,
)


def _continues_over_page(prev: TextLine, line: TextLine, lay: Layout) -> bool:
    """A paragraph continues onto the next page when its last line did not end a sentence."""
    if line.new_block or line.list_item or line.style_level is not None:
        return False
    if ends_sentence(prev.text):
        return False
    if NUMBERED_PARA.match(line.text):
        return False
    return not (
        prev.size is not None and line.size is not None and abs(prev.size - line.size) > 0.6
    )


def group_paragraphs(pages: list[list[TextLine]], lay: Layout, title_page: bool) -> list[Para]:
    """Group lines into headings and paragraphs, carrying paragraphs over page breaks."""
    flat = [ln for lines in pages for ln in lines]
    out: list[Para] = []
    current: Para | None = None
    pending_notes: list[Para] = []
    first_page = pages[0][0].page if pages and pages[0] else None

    def close() -> None:
        nonlocal current
        if current is not None:
            out.append(current)
            current = None
        if pending_notes:
            out.extend(pending_notes)
            pending_notes.clear()

    prev: TextLine | None = None
    bullet_next = False
    for i, line in enumerate(flat):
        nxt = flat[i + 1] if i + 1 < len(flat) else None
        if line.footnote:
            if (
                pending_notes
                and not re.match(r"^\d{1,3}\s", line.text)
                and (line.text[0] not in clean._SUPERSCRIPTS)
            ):
                pending_notes[-1].lines.append(line)
            else:
                pending_notes.append(Para([line], footnote=True))
            continue
        is_item, text = clean.strip_bullet(line.text)
        if (
            is_item
            and line.text[:1] in "-\u2013"
            and prev is not None
            and prev.page == line.page
            and not (line.blank_before or line.new_block or prev.list_item)
            and not ends_sentence(prev.text)
        ):
            is_item, text = False, line.text  # a dash that wrapped to a line start
        if is_item and not text:
            bullet_next = True  # the glyph came apart from its item's text
            continue
        if bullet_next:
            line.list_item, bullet_next = True, False
        if (
            current is not None
            and current.is_heading
            and prev is not None
            and not is_item
            and _continues_heading(prev, line, lay)
            and style_heading(line, lay)
            and not ends_sentence(prev.text)
            and len(current.lines) < 3
        ):
            current.lines.append(line)  # a heading wrapped onto a second line
            lay.stats["heading_lines_joined"] += 1
            prev = line
            continue
        if title_page and line.page == first_page:
            heading = False
        else:
            heading = is_heading_candidate(line, prev, nxt, lay)
        if not heading and _bare_label(current, prev, line):
            heading = True
        if heading:
            if (
                current is not None
                and current.is_heading
                and prev is not None
                and (_continues_heading(prev, line, lay) or _bare_label(current, prev, line))
            ):
                current.lines.append(line)
            else:
                close()
                current = Para([line], is_heading=True)
            prev = line
            continue
        if is_item or line.list_item:
            line.text = text
            line.list_item = True
            lay.stats["list_items"] += 1
        if current is None or current.is_heading or current.footnote:
            close()
            current = Para([line], list_item=line.list_item)
        elif prev is not None and prev.page == line.page and _column_jump(prev, line):
            if _continues_over_page(current.lines[-1], line, lay):
                current.lines.append(line)  # the paragraph runs on at the next column's top
                lay.stats["column_continuations"] += 1
            else:
                close()
                current = Para([line], list_item=line.list_item)
        elif prev is not None and prev.page != line.page:
            interrupted = _interrupted_by_notes(out, current, line)
            if interrupted is not None:
                # footnotes at the foot of the page cut into a paragraph: resume it
                notes = out[len(out) - interrupted :] + [current]
                del out[len(out) - interrupted :]
                current = out.pop()
                current.lines.append(line)
                for note in notes:
                    note.footnote = True
                pending_notes.extend(notes)
                lay.stats["page_continuations"] += 1
            elif _FOOTNOTE_START.match(current.lines[0].text) and line.text[:1].isupper():
                close()
                current = Para([line], list_item=line.list_item)
            elif _continues_over_page(current.lines[-1], line, lay):
                current.lines.append(line)
                lay.stats["page_continuations"] += 1
            else:
                close()
                current = Para([line], list_item=line.list_item)
        elif prev is not None and is_break(prev, line, lay):
            close()
            current = Para([line], list_item=line.list_item)
        else:
            current.lines.append(line)
        prev = line
    close()
    return _tidy(out, lay)


def _column_jump(prev: TextLine, line: TextLine) -> bool:
    return prev.column is not None and line.column is not None and prev.column != line.column


_ONLY_PARA_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,3}\.?$")


def _tidy(paras: list[Para], lay: Layout) -> list[Para]:
    """Drop paragraphs that are only a page number; join a lone "1.1" to its paragraph.

    Why: a text layer without geometry leaves page numbers between paragraphs, and
    reports set in two columns put the paragraph number on a line of its own.
    """
    out: list[Para] = []
    carry: list[TextLine] = []
    for para in paras:
        if not para.is_heading and len(para.lines) == 1:
            text = para.lines[0].text
            if clean.is_page_number(text) and not para.list_item:
                lay.stats["page_numbers"] += 1
                continue
            if _ONLY_PARA_NUMBER.match(text):
                carry.append(para.lines[0])
                continue
        if carry and not para.is_heading:
            para.lines[:0] = carry
            carry = []
        elif carry:
            out.append(Para(carry))
            carry = []
        out.append(para)
    if carry:
        out.append(Para(carry))
    return out


_FOOTNOTE_START = re.compile(r"^\d{1,3}\s+\S")


def _interrupted_by_notes(out: list[Para], current: Para, line: TextLine) -> int | None:
    """How many paragraphs before ``current`` are footnotes that cut a paragraph.

    Plain text has no type sizes, so footnotes ("12 HM Government, ...") sit between
    the two halves of a paragraph that runs over the page break. When the new page
    opens in lower case and the paragraphs at the page's foot all start with a note
    number, the paragraph before them is the one that continues. Returns None when
    that is not the case.
    """
    if not line.text[:1].islower() or not _FOOTNOTE_START.match(current.lines[0].text):
        return None
    page = current.lines[0].page
    k = 0
    while k < len(out) and out[-1 - k].lines[0].page == page and not out[-1 - k].is_heading:
        para = out[-1 - k]
        if not _FOOTNOTE_START.match(para.lines[0].text):
            break
        k += 1
    if k >= len(out):
        return None
    target = out[-1 - k]
    if target.is_heading or target.footnote or ends_sentence(target.lines[-1].text):
        return None
    if target.lines[-1].page != page:
        return None
    return k


def _bare_label(current: Para | None, prev: TextLine | None, line: TextLine) -> bool:
    """A lone "CHAPTER 2" / "Appendix 1" heading whose title sits on the next line."""
    return (
        current is not None
        and current.is_heading
        and len(current.lines) == 1
        and prev is not None
        and prev.page == line.page
        and bool(BARE_LABEL.match(current.lines[0].text))
        and line.style_level is None
        and title_like(line.text, max_words=10)
        and not NUMBERED_PARA.match(line.text)
    )


def _continues_heading(prev: TextLine, line: TextLine, lay: Layout) -> bool:
    """A heading wrapped onto a second line: same type, close below, not numbered."""
    if prev.page != line.page or line.style_level is not None or line.underline_level:
        return False
    if prev.style_level is not None or prev.underline_level is not None:
        return False
    if heading_number_depth(line.text) or NAMED_HEADING.match(line.text):
        return False
    if not lay.geometry or prev.top is None or line.top is None or not lay.spacing:
        return False
    return (
        prev.size == line.size
        and prev.bold == line.bold
        and 0 < line.top - prev.top <= (prev.size or lay.spacing) * 1.5
    )


def join_lines(lines: list[TextLine], stats: Counter[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join a paragraph's lines, re-joining hyphenated words; return text and page starts.

    The page starts are (offset in the joined text, page) for each page after the first.
    """
    text = ""
    breaks: list[tuple[int, int]] = []
    last_page = lines[0].page
    for ln in lines:
        piece = ln.text
        if ln.page != last_page:
            mark = len(text) + (0 if not text else 1)
        if not text:
            text = piece
        elif clean.ends_with_hyphen_break(text) and piece[:1].isalpha():
            text, rejoined = clean.join_hyphenated(text, piece)
            if rejoined:
                stats["hyphenation_joined"] += 1
            else:
                stats["hyphenation_kept"] += 1
        else:
            text = f"{text} {piece}"
        if ln.page != last_page:
            # a re-joined word straddles the break: count the page from the next space
            space = text.find(" ", mark)
            mark = mark if text[mark - 1 : mark] == " " else (space + 1 if space >= 0 else mark)
            breaks.append((mark, ln.page))
            last_page = ln.page
    return text, breaks


def is_title_page(doc: ExtractedDoc, pages: list[list[TextLine]]) -> bool:
    """Page 1 of a longer document with little text and no numbered paragraphs."""
    if len(pages) < 2 or not pages[0]:
        return False
    words = sum(len(ln.text.split()) for ln in pages[0])
    if len(pages) == 2 and (words > 40 or sum(len(ln.text.split()) for ln in pages[1]) < 3 * words):
        return False  # two pages: only a short cover before a page of text
    return words <= 90 and not any(NUMBERED_PARA.match(ln.text) for ln in pages[0])
