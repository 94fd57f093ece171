"""Line and paragraph records, and the text tests every structure step shares.

A ``TextLine`` is one line of a page as extraction gave it, cleaned, with its layout
hints; a ``Para`` is a heading or paragraph built from lines; ``Layout`` holds the
document-wide typical values (body type size, line spacing) decisions compare to.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class TextLine:
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
    column: int | None = None  # a page set in two columns: 0 left, 1 right


@dataclass(slots=True)
class Para:
    lines: list[TextLine]
    heading_level: int | None = None  # resolved later for headings
    is_heading: bool = False
    list_item: bool = False
    footnote: bool = False


@dataclass(slots=True)
class Layout:
    """Document-wide typical values that paragraph and heading decisions compare to."""

    body_size: float | None = None
    spacing: float | None = None
    left: float | None = None
    full_chars: int = 80
    geometry: bool = False
    markup: bool = False  # some lines carry heading levels (DOCX/HTML) or underlines (text)
    stats: Counter[str] = field(default_factory=Counter)


TERMINAL = (".", "?", "!", ":", ";", '."', ".'", '?"', '!"', ".)", ';"')
NUMBERED_PARA = re.compile(r"^\(?\d{1,2}(?:\.\d{1,2}){1,3}\.?\)?\s+\S")
NUMBERED_SIMPLE = re.compile(r"^\d{1,2}\.?\s+[A-Z\"'(]")
NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\)?\s+(\S.*)$")
LETTERED = re.compile(r"^\(?[a-z]\)\s+\S|^\([ivx]{1,4}\)\s+\S")
NAMED_HEADING = re.compile(
    r"^(?:(section|part|chapter|appendix|appendices|annex|annexe|schedule)\s+"
    r"(?:\d{1,2}|[a-z]|[ivx]{1,4}|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"|(key practice episode|practice episode|kpe|episode|finding|recommendation|"
    r"learning point|theme)\s+\d{1,2}\b)",
    re.IGNORECASE,
)
KNOWN_SECTIONS = frozenset(
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
BARE_LABEL = re.compile(
    r"^(section|part|chapter|appendix|annex|annexe|schedule)\s+(\d{1,2}|[a-z]|[ivx]{1,4})[.:]?$",
    re.IGNORECASE,
)
TOP_NAMED = re.compile(r"^(section|part|chapter|appendix|appendices|annex|annexe|schedule)\b", re.I)
STRIP_NUMBER = re.compile(
    r"^(?:(?:section|part|chapter)\s+\w+\s*[:.\-\u2013]?\s*|\d{1,2}(?:\.\d{1,2}){0,3}\.?\)?\s+)",
    re.IGNORECASE,
)
FUNCTION_WORDS = frozenset(
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
UNDERLINE = re.compile(r"^(=+|-+|~+|\*+)$")


def heading_title(text: str) -> str:
    """A heading's words without its number: "4.2 Key lines of enquiry" → "key lines of enquiry"."""
    return STRIP_NUMBER.sub("", text.strip()).strip(" :.").lower()


def ends_sentence(text: str) -> bool:
    t = text.rstrip()
    return (
        t.endswith(TERMINAL) or t.endswith(("\u201d", '"', ")")) and len(t) > 1 and t[-2] in ".?!"
    )


def is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def title_like(text: str, *, max_words: int = 14) -> bool:
    """Short, starts with a capital or number, no sentence punctuation at the end."""
    t = text.strip()
    if not t or len(t) > 130:
        return False
    words = t.split()
    if len(words) > max_words or t.endswith((".", ",", ";", ":")) or t[0] in "\"'(\u2022-":
        return False
    if t.count(",") >= 2 or not any(c.isalpha() for c in t):
        return False
    first = STRIP_NUMBER.sub("", t) or t
    return first[:1].isupper() or first[:1].isdigit()
