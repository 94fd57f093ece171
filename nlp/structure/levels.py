"""Heading levels: markup first, then numbering depth, then type; a title marked up as
the only top heading is demoted to front matter.
"""

from __future__ import annotations

from scrkb.nlp import clean
from scrkb.nlp.structure.headings import heading_number_depth
from scrkb.nlp.structure.lines import (
    KNOWN_SECTIONS,
    TOP_NAMED,
    Layout,
    Para,
    ends_sentence,
    heading_title,
    is_caps,
)


def resolve_levels(paras: list[Para], lay: Layout) -> None:
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
        key = (line.size, line.bold, is_caps(text), line.underline_level)
        depth = heading_number_depth(text)
        if line.style_level is not None:
            level = max(1, line.style_level - min_markup + 1)
        elif line.underline_level is not None:
            level = depth or line.underline_level
        elif depth:
            level = depth
            style_levels.setdefault(key, depth)
        elif TOP_NAMED.match(text):
            level = 1
            style_levels.setdefault(key, 1)
        elif key in style_levels:
            level = style_levels[key]
        elif (
            heading_title(text) in KNOWN_SECTIONS
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


def is_prose(text: str) -> bool:
    """Sentences, not a list entry: long, ends like a sentence, no trailing page number."""
    return len(text.split()) >= 12 and ends_sentence(text) and not clean.is_contents_line(text)


def _demote_title(paras: list[Para]) -> None:
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
