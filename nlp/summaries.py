"""A report's own account of what happened, and text cut to a length a reader takes in.

The reports list shows each report's summary and a 7-minute briefing opens with one:
both are the report's own words (the first passage under a summary, introduction or
background heading, failing that the first passage of its body), cut at whole sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

SUMMARY_HEADINGS = re.compile(
    r"summary|introduction|background|overview|the (child|family|case)|circumstances|"
    r"what happened|brief",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
_PARA_NUMBER = re.compile(r"^\s*\(?\d{1,2}(\.\d{1,3}){0,3}\)?\.?\s+(?=\S)")
MIN_SUMMARY_WORDS = 12


class _PassageLike(Protocol):
    text: str
    heading_path: list[str]
    section_kind: str


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


def shorten(text: str, max_words: int) -> str:
    """Whole sentences up to ``max_words``; a first sentence longer than that is cut at a
    word and marked with an ellipsis. The report's own paragraph number ("2.1") goes: the
    citation says where the text is."""
    text = _PARA_NUMBER.sub("", text)
    out: list[str] = []
    count = 0
    for sentence in sentences(text):
        n = len(sentence.split())
        if out and count + n > max_words:
            break
        if not out and n > max_words:
            return " ".join(sentence.split()[:max_words]).rstrip(",;:") + "…"
        out.append(sentence)
        count += n
    return " ".join(out)


def summary_passage(passages: Iterable[_PassageLike]) -> str:
    """The text of the passage that tells what happened, or "" for a report without text."""
    body = [p for p in passages if p.section_kind == "body"]
    for p in body:
        if any(SUMMARY_HEADINGS.search(h) for h in p.heading_path) and (
            len(p.text.split()) >= MIN_SUMMARY_WORDS
        ):
            return p.text
    return body[0].text if body else ""
