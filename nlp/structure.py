"""Rebuild a report's structure (headings and paragraphs) from extracted lines.

A PDF gives lines, not paragraphs: the paragraphs, headings and section boundaries a
reader sees must be rebuilt from layout hints (vertical gaps, font size and weight,
indentation, paragraph numbers) and from the text itself, across page breaks and
through the page furniture that ``clean`` removes. DOCX and HTML lines are already
paragraphs and carry heading levels from the markup; plain text carries underlines.

The result is a ``StructuredDoc``: cleaned text made of blocks joined by blank lines,
every block with its heading path, the kind of section it sits in (so the tagger can
ignore the terms of reference or the glossary), its pages and its exact character span.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from scrkb.models import Block, ExtractedDoc, SectionKind, StructuredDoc
from scrkb.nlp import clean

# --------------------------------------------------------------------------- line records


@dataclass(slots=True)
class _Line:
    text: str
    page: int
    top: float | None = None
    left: float | None = None
    size: float | None = None
    bold: bool = False
    style_level: int | None = None
    new_block: bool = False
    list_item: bool = False
    blank_before: bool = False
    underline_level: int | None = None  # plain text: "====" under it = 1, "----" = 2
    footnote: bool = False


@dataclass(slots=True)
class _Para:
    lines: list[_Line]
    heading_level: int | None = None  # resolved later for headings
    is_heading: bool = False
    list_item: bool = False
    footnote: bool = False


@dataclass(slots=True)
class _Layout:
    """Document-wide typical values that paragraph and heading decisions compare to."""

    body_size: float | None = None
    spacing: float | None = None
    left: float | None = None
    full_chars: int = 80
    geometry: bool = False
    markup: bool = False  # some lines carry heading levels (DOCX/HTML) or underlines (text)
    stats: Counter[str] = field(default_factory=Counter)


# --------------------------------------------------------------------------- patterns
_TERMINAL = (".", "?", "!", ":", ";", '."', ".'", '?"', '!"', ".)", ';"')
_NUMBERED_PARA = re.compile(r"^\(?\d{1,2}(?:\.\d{1,2}){1,3}\.?\)?\s+\S")
_NUMBERED_SIMPLE = re.compile(r"^\d{1,2}\.?\s+[A-Z\"'(]")
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\)?\s+(\S.*)$")
_LETTERED = re.compile(r"^\(?[a-z]\)\s+\S|^\([ivx]{1,4}\)\s+\S")
_NAMED_HEADING = re.compile(
    r"^(?:(section|part|chapter|appendix|appendices|annex|annexe|schedule)\s+"
    r"(?:\d{1,2}|[a-z]|[ivx]{1,4}|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"|(key practice episode|practice episode|kpe|episode|finding|recommendation|"
    r"learning point|theme)\s+\d{1,2}\b)",
    re.IGNORECASE,
)
_KNOWN_SECTIONS = frozenset(
    s.lower()
    for s in (
        "Executive summary",
        "Summary",
        "Introduction",
        "Foreword",
        "Preface",
        "Contents",
        "Table of contents",
        "Terms of reference",
        "Scope",
        "Scope of the review",
        "Key lines of enquiry",
        "Methodology",
        "Method",
        "Methods",
        "The review process",
        "Review process",
        "Approach",
        "Approach to the review",
        "Background",
        "Family background",
        "Family history",
        "Background and family history",
        "The family",
        "Family involvement",
        "Involvement of the family",
        "Family contribution",
        "Views of the family",
        "Chronology",
        "Key practice episodes",
        "Case summary",
        "Summary of the case",
        "Analysis",
        "Findings",
        "Analysis and findings",
        "Learning",
        "Key learning",
        "Learning and findings",
        "Good practice",
        "Conclusion",
        "Conclusions",
        "Recommendations",
        "Single agency recommendations",
        "Glossary",
        "Glossary of terms",
        "Abbreviations",
        "Acronyms",
        "Glossary and abbreviations",
        "References",
        "Bibliography",
        "Appendix",
        "Appendices",
        "Panel membership",
        "Review panel",
        "Acknowledgements",
        "Why this review was carried out",
        "Reason for the review",
        "Reasons for the review",
        "Criteria",
        "Lessons learned",
        "Lessons learnt",
        "Next steps",
        "Postscript",
        "Agency responses",
        "Parallel processes",
    )
)
_BARE_LABEL = re.compile(
    r"^(section|part|chapter|appendix|annex|annexe|schedule)\s+(\d{1,2}|[a-z]|[ivx]{1,4})[.:]?$",
    re.IGNORECASE,
)
_TOP_NAMED = re.compile(
    r"^(section|part|chapter|appendix|appendices|annex|annexe|schedule)\b", re.I
)
_KIND_RULES: tuple[tuple[SectionKind, re.Pattern[str]], ...] = (
    ("contents", re.compile(r"^(table of )?contents\b")),
    ("glossary", re.compile(r"\b(glossary|abbreviations|acronyms|terminology)\b")),
    (
        "terms_of_reference",
        re.compile(
            r"\b(terms of reference|scope|lines of enquiry|lines of inquiry|key questions)\b"
        ),
    ),
    (
        "methodology",
        re.compile(
            r"\b(methodology|methods?|review process|process of the review)\b"
            r"|^(the |our )?(review |systems )?approach\b"
        ),
    ),
    ("recommendations", re.compile(r"\brecommendations?\b")),
    ("references", re.compile(r"\b(references|bibliography|further reading|sources)\b")),
    ("appendix", re.compile(r"^(appendix|appendices|annex|annexe|schedule)\b")),
)
_STRIP_NUMBER = re.compile(
    r"^(?:(?:section|part|chapter)\s+\w+\s*[:.\-\u2013]?\s*|\d{1,2}(?:\.\d{1,2}){0,3}\.?\)?\s+)",
    re.IGNORECASE,
)
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "with",
        "by",
        "from",
        "as",
        "which",
        "that",
        "who",
        "whose",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "their",
        "its",
        "his",
        "her",
        "this",
        "these",
        "those",
    ]
)
_UNDERLINE = re.compile(r"^(=+|-+|~+|\*+)$")


def heading_title(text: str) -> str:
    """A heading's words without its number: "4.2 Key lines of enquiry" → "key lines of enquiry"."""
    return _STRIP_NUMBER.sub("", text.strip()).strip(" :.").lower()


def section_kind_for(heading_path: list[str]) -> SectionKind:
    """The kind of section a block sits in, from its headings (innermost decides first).

    Why: the tagger discounts theme words in contents, terms of reference, glossary and
    methodology sections ("neglect" in "the review considered neglect" is scope, not a
    finding). "Appendix 2: Glossary" is a glossary; a paragraph under no heading is
    front matter.
    """
    if not heading_path:
        return "front"
    for heading in reversed(heading_path):
        title = heading_title(heading)
        words = len(title.split())
        for kind, pattern in _KIND_RULES:
            if kind in ("terms_of_reference", "methodology", "references") and words > 8:
                continue
            if pattern.search(title) or (kind == "appendix" and pattern.search(heading.lower())):
                return kind
    return "body"


def _ends_sentence(text: str) -> bool:
    t = text.rstrip()
    return (
        t.endswith(_TERMINAL) or t.endswith(("\u201d", '"', ")")) and len(t) > 1 and t[-2] in ".?!"
    )


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def _title_like(text: str, *, max_words: int = 14) -> bool:
    """Short, starts with a capital or number, no sentence punctuation at the end."""
    t = text.strip()
    if not t or len(t) > 130:
        return False
    words = t.split()
    if len(words) > max_words or t.endswith((".", ",", ";", ":")) or t[0] in "\"'(\u2022-":
        return False
    if t.count(",") >= 2 or not any(c.isalpha() for c in t):
        return False
    first = _STRIP_NUMBER.sub("", t) or t
    return first[:1].isupper() or first[:1].isdigit()


def _starts_numbered(text: str) -> bool:
    return bool(_NUMBERED_PARA.match(text) or _LETTERED.match(text))


# --------------------------------------------------------------------------- page furniture


def _page_lines(doc: ExtractedDoc, stats: Counter[str]) -> list[list[_Line]]:
    """Normalise every page's lines, drop page furniture and contents entries."""
    pages: list[list[_Line]] = []
    for page in doc.pages:
        lines: list[_Line] = []
        blank = False
        for raw in page.lines:
            for j, piece in enumerate(raw.text.split("\n")):
                text = clean.clean_line(piece, stats)
                if not text:
                    blank = True
                    continue
                lines.append(
                    _Line(
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
                    )
                )
                blank = False
        pages.append(lines)
    _mark_underlines(pages, stats)
    _drop_contents(pages, stats)  # first: entries repeat the headings at page tops
    _drop_furniture(doc, pages, stats)
    return pages


def _mark_underlines(pages: list[list[_Line]], stats: Counter[str]) -> None:
    """Plain text marks headings by underlining them ("====" / "----"): keep the level."""
    for lines in pages:
        keep: list[_Line] = []
        for line in lines:
            m = _UNDERLINE.match(line.text)
            if m and keep and len(line.text) >= 3 and abs(len(line.text) - len(keep[-1].text)) <= 3:
                keep[-1].underline_level = 1 if line.text[0] in "=*" else 2
                stats["underlines"] += 1
                continue
            keep.append(line)
        lines[:] = keep


def _band(lines: list[_Line], height: float | None, edge: int = 2) -> list[int]:
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


def _drop_furniture(doc: ExtractedDoc, pages: list[list[_Line]], stats: Counter[str]) -> None:
    """Remove running headers/footers and page numbers from the page bands."""
    heights = [p.height for p in doc.pages]
    bands = [_band(lines, h) for lines, h in zip(pages, heights, strict=True)]
    running = clean.find_running_lines([[ln.text for ln in lines] for lines in pages], bands)
    # a title page's title often doubles as the running header: keep it there
    title_page = len(pages) >= 3 and sum(len(ln.text.split()) for ln in pages[0]) <= 90
    for p, lines in enumerate(pages):
        drop = {i for (q, i) in running if q == p and not (p == 0 and title_page)}
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


def _drop_contents(pages: list[list[_Line]], stats: Counter[str]) -> None:
    """Remove contents entries: after a "Contents" heading, and dot-leader lines anywhere.

    The "Contents" heading itself stays, so any entry we fail to recognise still lands
    in a section of kind "contents". Entries without page numbers (a pasted contents,
    plain text) are taken while they are short titles on the heading's own page, until
    one repeats the first entry, which means the body has begun. A contents list that
    fills its page continues on the next one while lines end in page numbers.
    """
    limit = max(3, len(pages) // 4 + 1)
    carry = False  # the previous page ended inside the contents
    for p, lines in enumerate(pages):
        keep: list[_Line] = []
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
                    and _title_like(line.text, max_words=16)
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


def _has_page_numbers(lines: list[_Line]) -> bool:
    return sum(clean.is_contents_line(ln.text) for ln in lines) >= 2


# --------------------------------------------------------------------------- layout


def _layout(pages: list[list[_Line]], stats: Counter[str]) -> _Layout:
    lay = _Layout(stats=stats)
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


def _mark_footnotes(pages: list[list[_Line]], lay: _Layout) -> None:
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


# --------------------------------------------------------------------------- headings


def _style_heading(line: _Line, lay: _Layout) -> bool:
    """The line's type marks it as a heading (bold or larger than body text)."""
    if line.size is not None and lay.body_size and line.size >= lay.body_size * 1.12:
        return True
    return line.bold


def _heading_candidate(line: _Line, prev: _Line | None, nxt: _Line | None, lay: _Layout) -> bool:
    """Whether a line reads as a heading.

    Markup levels and plain-text underlines decide at once. Otherwise the line must be
    a short title (no closing full stop, few words), stand alone (the previous line
    closed its paragraph, the next one opens a new one), and carry a heading signal:
    type (bold, larger), capitals, a heading number ("3.2 Analysis", but not the
    numbered paragraph "4.2.1 The health visitor ..."), a "Section 2"/"Appendix 1" form
    or a known section name.
    """
    if line.footnote or line.list_item:
        return False
    if line.style_level is not None or line.underline_level is not None:
        return True
    if lay.markup:
        return False  # the source marks its headings: trust it alone
    text = line.text
    if not _title_like(text):
        return False
    if (
        prev is not None
        and prev.page == line.page
        and not prev.new_block
        and not line.new_block
        and not _ends_sentence(prev.text)
        and not _is_break(prev, line, lay)
        and not (_style_heading(line, lay) and not _style_heading(prev, lay))
    ):
        return False  # the line continues the sentence above it
    styled = (
        lay.geometry
        and _style_heading(line, lay)
        and not (
            prev is not None
            and prev.page == line.page
            and _style_heading(prev, lay)
            and prev.size == line.size
            and not _ends_sentence(prev.text)
            and not _is_break(prev, line, lay)
        )
    )
    title = heading_title(text)
    known = title in _KNOWN_SECTIONS or bool(_NAMED_HEADING.match(text))
    numbered = _NUMBERED_HEADING.match(text)
    words = len(text.split())
    if styled:
        return True
    if (
        lay.geometry
        and line.size is not None
        and lay.body_size
        and not known
        and not (_is_caps(text) or (numbered and words <= 8 and _followed_by_break(line, nxt, lay)))
    ):
        return False  # body type: only a caps line or a short numbered title on its own
    standalone_after = _followed_by_break(line, nxt, lay)
    if not standalone_after:
        return False
    if known or _is_caps(text):
        return True
    if numbered:
        rest = numbered.group(2)
        depth = numbered.group(1).count(".") + 1
        if depth == 1 and not re.match(r"^\d{1,2}[.)]", text) and re.search(r"[(),/]|\d|www", rest):
            return False  # "11 Juvenal (early AD), Roman poet": a footnote, not "1 Introduction"
        return words <= (10 if depth <= 2 else 7) and rest[:1].isupper() and not rest.endswith(".")
    # plain text, no numbering: a short title between a closed paragraph and a new one
    last_word = text.rsplit(None, 1)[-1].lower()
    return (
        not lay.geometry
        and words <= 10
        and len(text) < 0.75 * lay.full_chars
        and last_word not in _FUNCTION_WORDS
        and (nxt is None or nxt.page != line.page or nxt.text[:1] not in "\"'(\u201c\u2018")
        and (
            prev is None
            or _ends_sentence(prev.text)
            or prev.page != line.page
            or line.blank_before
            or line.new_block
        )
    )


def _followed_by_break(line: _Line, nxt: _Line | None, lay: _Layout) -> bool:
    if nxt is None or nxt.page != line.page:
        return True
    if nxt.new_block or nxt.blank_before or nxt.list_item:
        return True
    if lay.geometry and line.top is not None and nxt.top is not None and lay.spacing:
        return bool(
            nxt.top - line.top > lay.spacing * 1.3 or nxt.size != line.size or nxt.bold != line.bold
        )
    first = nxt.text[:1]
    return first.isupper() or first.isdigit() or first in "\"'(\u2022"


def _heading_number_depth(text: str) -> int | None:
    m = _NUMBERED_HEADING.match(text)
    if not m:
        return None
    return m.group(1).count(".") + 1


# --------------------------------------------------------------------------- paragraphs


def _is_break(prev: _Line, line: _Line, lay: _Layout) -> bool:
    """Whether ``line`` starts a new paragraph after ``prev`` (same page, body text)."""
    if line.new_block or line.blank_before or line.list_item:
        return True
    ended = _ends_sentence(prev.text)
    prev_closed = ended or len(prev.text) < 0.7 * lay.full_chars
    if prev_closed and (
        _NUMBERED_PARA.match(line.text)
        or _LETTERED.match(line.text)
        or _NUMBERED_SIMPLE.match(line.text)
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


def _continues_over_page(prev: _Line, line: _Line, lay: _Layout) -> bool:
    """A paragraph continues onto the next page when its last line did not end a sentence."""
    if line.new_block or line.list_item or line.style_level is not None:
        return False
    if _ends_sentence(prev.text):
        return False
    if _NUMBERED_PARA.match(line.text):
        return False
    return not (
        prev.size is not None and line.size is not None and abs(prev.size - line.size) > 0.6
    )


def _paragraphs(pages: list[list[_Line]], lay: _Layout, title_page: bool) -> list[_Para]:
    """Group lines into headings and paragraphs, carrying paragraphs over page breaks."""
    flat = [ln for lines in pages for ln in lines]
    out: list[_Para] = []
    current: _Para | None = None
    pending_notes: list[_Para] = []
    first_page = pages[0][0].page if pages and pages[0] else None

    def close() -> None:
        nonlocal current
        if current is not None:
            out.append(current)
            current = None
        if pending_notes:
            out.extend(pending_notes)
            pending_notes.clear()

    prev: _Line | None = None
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
                pending_notes.append(_Para([line], footnote=True))
            continue
        is_item, text = clean.strip_bullet(line.text)
        if (
            is_item
            and line.text[:1] in "-\u2013"
            and prev is not None
            and prev.page == line.page
            and not (line.blank_before or line.new_block or prev.list_item)
            and not _ends_sentence(prev.text)
        ):
            is_item, text = False, line.text  # a dash that wrapped to a line start
        if is_item and not text:
            bullet_next = True  # the glyph came apart from its item's text
            continue
        if bullet_next:
            line.list_item, bullet_next = True, False
        if title_page and line.page == first_page:
            heading = False
        else:
            heading = _heading_candidate(line, prev, nxt, lay)
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
                current = _Para([line], is_heading=True)
            prev = line
            continue
        if is_item or line.list_item:
            line.text = text
            line.list_item = True
            lay.stats["list_items"] += 1
        if current is None or current.is_heading or current.footnote:
            close()
            current = _Para([line], list_item=line.list_item)
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
                current = _Para([line], list_item=line.list_item)
            elif _continues_over_page(current.lines[-1], line, lay):
                current.lines.append(line)
                lay.stats["page_continuations"] += 1
            else:
                close()
                current = _Para([line], list_item=line.list_item)
        elif prev is not None and _is_break(prev, line, lay):
            close()
            current = _Para([line], list_item=line.list_item)
        else:
            current.lines.append(line)
        prev = line
    close()
    return _tidy(out, lay)


_ONLY_PARA_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,3}\.?$")


def _tidy(paras: list[_Para], lay: _Layout) -> list[_Para]:
    """Drop paragraphs that are only a page number; join a lone "1.1" to its paragraph.

    Why: a text layer without geometry leaves page numbers between paragraphs, and
    reports set in two columns put the paragraph number on a line of its own.
    """
    out: list[_Para] = []
    carry: list[_Line] = []
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
            out.append(_Para(carry))
            carry = []
        out.append(para)
    if carry:
        out.append(_Para(carry))
    return out


_FOOTNOTE_START = re.compile(r"^\d{1,3}\s+\S")


def _interrupted_by_notes(out: list[_Para], current: _Para, line: _Line) -> int | None:
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
    if target.is_heading or target.footnote or _ends_sentence(target.lines[-1].text):
        return None
    if target.lines[-1].page != page:
        return None
    return k


def _bare_label(current: _Para | None, prev: _Line | None, line: _Line) -> bool:
    """A lone "CHAPTER 2" / "Appendix 1" heading whose title sits on the next line."""
    return (
        current is not None
        and current.is_heading
        and len(current.lines) == 1
        and prev is not None
        and prev.page == line.page
        and bool(_BARE_LABEL.match(current.lines[0].text))
        and line.style_level is None
        and _title_like(line.text, max_words=10)
        and not _NUMBERED_PARA.match(line.text)
    )


def _continues_heading(prev: _Line, line: _Line, lay: _Layout) -> bool:
    """A heading wrapped onto a second line: same type, close below, not numbered."""
    if prev.page != line.page or line.style_level is not None or line.underline_level:
        return False
    if prev.style_level is not None or prev.underline_level is not None:
        return False
    if _heading_number_depth(line.text) or _NAMED_HEADING.match(line.text):
        return False
    if not lay.geometry or prev.top is None or line.top is None or not lay.spacing:
        return False
    return (
        prev.size == line.size
        and prev.bold == line.bold
        and 0 < line.top - prev.top <= (prev.size or lay.spacing) * 1.5
    )


def _join_lines(lines: list[_Line], stats: Counter[str]) -> tuple[str, list[tuple[int, int]]]:
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


def _is_title_page(doc: ExtractedDoc, pages: list[list[_Line]]) -> bool:
    """Page 1 of a longer document with little text and no numbered paragraphs."""
    if len(pages) < 3 or not pages[0]:
        return False
    words = sum(len(ln.text.split()) for ln in pages[0])
    return words <= 90 and not any(_NUMBERED_PARA.match(ln.text) for ln in pages[0])


# --------------------------------------------------------------------------- levels


def _resolve_levels(paras: list[_Para], lay: _Layout) -> None:
    """Give every heading a level: markup, then numbering depth, then type.

    Known top-level names ("Recommendations", "Appendix 1") are level 1; an
    unnumbered heading takes the level its type (size, weight, capitals) had before,
    or nests one below the heading it follows.
    """
    sizes = sorted(
        {p.lines[0].size for p in paras if p.is_heading and p.lines[0].size is not None},
        reverse=True,
    )
    style_levels: dict[tuple[object, ...], int] = {}
    last_level = 0
    min_markup = min(
        (p.lines[0].style_level for p in paras if p.is_heading and p.lines[0].style_level),
        default=1,
    )
    for p in paras:
        if not p.is_heading:
            continue
        line = p.lines[0]
        text = " ".join(ln.text for ln in p.lines)
        key = (line.size, line.bold, _is_caps(text), line.underline_level)
        depth = _heading_number_depth(text)
        if line.style_level is not None:
            level = max(1, line.style_level - min_markup + 1)
        elif line.underline_level is not None:
            level = depth or line.underline_level
        elif depth:
            level = depth
            style_levels.setdefault(key, depth)
        elif _TOP_NAMED.match(text):
            level = 1
            style_levels.setdefault(key, 1)
        elif key in style_levels:
            level = style_levels[key]
        elif (
            heading_title(text) in _KNOWN_SECTIONS
            or line.size is not None
            and sizes
            and line.size == sizes[0]
            and len(sizes) > 1
        ):
            level = 1
            style_levels[key] = 1
        else:
            level = min(last_level + 1, 6) if last_level else 1
            style_levels[key] = level
        p.heading_level = level
        last_level = level
    _demote_title(paras)


def _is_prose(text: str) -> bool:
    """Sentences, not a list entry: long, ends like a sentence, no trailing page number."""
    return (
        len(text.split()) >= 12
        and _ends_sentence(text)
        and not clean.is_contents_line(text)
    )


def _demote_title(paras: list[_Para]) -> None:
    """The report's title marked up as the only top heading (HTML h1) is front matter.

    Why: otherwise every heading path would start with the title, and nothing would be
    "front". The other headings move up a level.
    """
    heads = [p for p in paras if p.is_heading]
    if len(heads) < 2 or heads[0].heading_level is None:
        return
    top = heads[0].heading_level
    rest = min(p.heading_level or 1 for p in heads[1:])
    if top >= rest:
        return
    heads[0].is_heading = False
    shift = rest - 1
    for p in heads[1:]:
        p.heading_level = max(1, (p.heading_level or 1) - shift)


# --------------------------------------------------------------------------- entry point


def structure(doc: ExtractedDoc) -> StructuredDoc:
    """Clean an extracted document and rebuild its headings and paragraphs.

    Returns the cleaned text (blocks joined by blank lines), the blocks with heading
    paths, section kinds, pages and exact character spans, and counts of what cleaning
    removed or repaired in ``stats``.
    """
    stats: Counter[str] = Counter()
    pages = _page_lines(doc, stats)
    pages = [lines for lines in pages if lines] or [[]]
    lay = _layout(pages, stats)
    _mark_footnotes(pages, lay)
    title_page = _is_title_page(doc, pages)
    paras = _paragraphs(pages, lay, title_page)
    _resolve_levels(paras, lay)

    blocks: list[Block] = []
    pieces: list[str] = []
    offset = 0
    stack: list[tuple[int, str]] = []
    for para in paras:
        if para.is_heading:
            sep = ": " if len(para.lines) > 1 and _BARE_LABEL.match(para.lines[0].text) else " "
            head = sep.join(ln.text.rstrip(":.") if sep != " " else ln.text for ln in para.lines)
            text = clean.clean_paragraph(head, stats)
            breaks: list[tuple[int, int]] = []
        else:
            raw, breaks = _join_lines(para.lines, stats)
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
        if kind == "contents" and not para.is_heading and _is_prose(text):
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
