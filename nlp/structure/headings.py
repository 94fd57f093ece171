"""Headings: which lines read as headings, and the kind of section a heading path names.

Markup (DOCX styles, HTML h1-h6, plain-text underlines) decides at once; otherwise a
heading is a short title standing alone with a heading signal (type, capitals, a heading
number, a known section name).
"""

from __future__ import annotations

import re

from scrkb.models import SectionKind
from scrkb.nlp.structure.layout import is_break
from scrkb.nlp.structure.lines import (
    FUNCTION_WORDS,
    KNOWN_SECTIONS,
    NAMED_HEADING,
    NUMBERED_HEADING,
    Layout,
    TextLine,
    ends_sentence,
    heading_title,
    is_caps,
    title_like,
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


def style_heading(line: TextLine, lay: Layout) -> bool:
    """The line's type marks it as a heading (bold or larger than body text)."""
    if line.size is not None and lay.body_size and line.size >= lay.body_size * 1.12:
        return True
    return line.bold


def is_heading_candidate(
    line: TextLine, prev: TextLine | None, nxt: TextLine | None, lay: Layout
) -> bool:
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
    if not title_like(text):
        return False
    if (
        prev is not None
        and prev.page == line.page
        and not prev.new_block
        and not line.new_block
        and not ends_sentence(prev.text)
        and not is_break(prev, line, lay)
        and not (style_heading(line, lay) and not style_heading(prev, lay))
    ):
        return False  # the line continues the sentence above it
    styled = (
        lay.geometry
        and style_heading(line, lay)
        and not (
            prev is not None
            and prev.page == line.page
            and style_heading(prev, lay)
            and prev.size == line.size
            and not ends_sentence(prev.text)
            and not is_break(prev, line, lay)
        )
    )
    title = heading_title(text)
    known = title in KNOWN_SECTIONS or bool(NAMED_HEADING.match(text))
    numbered = NUMBERED_HEADING.match(text)
    words = len(text.split())
    if styled:
        return True
    if (
        lay.geometry
        and line.size is not None
        and lay.body_size
        and not known
        and not (is_caps(text) or (numbered and words <= 8 and followed_by_break(line, nxt, lay)))
    ):
        return False  # body type: only a caps line or a short numbered title on its own
    standalone_after = followed_by_break(line, nxt, lay)
    if not standalone_after:
        return False
    if known or is_caps(text):
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
        and last_word not in FUNCTION_WORDS
        and (nxt is None or nxt.page != line.page or nxt.text[:1] not in "\"'(\u201c\u2018")
        and (
            prev is None
            or ends_sentence(prev.text)
            or prev.page != line.page
            or line.blank_before
            or line.new_block
        )
    )


def followed_by_break(line: TextLine, nxt: TextLine | None, lay: Layout) -> bool:
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


def heading_number_depth(text: str) -> int | None:
    m = NUMBERED_HEADING.match(text)
    if not m:
        return None
    return m.group(1).count(".") + 1
