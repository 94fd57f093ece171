"""Cut a structured report into retrieval passages.

A passage is what search returns and the tagger labels, so it should be one coherent
piece of a section: a paragraph or a few consecutive ones (60-300 words), never a
heading alone and never half a sentence. Passages are exact slices of
``StructuredDoc.text`` (so highlights and citations line up) and carry the heading
path, section kind and pages of what they cover. Their ids are derived from the text,
so re-ingesting the same file gives the same ids.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from scrkb.models import Block, Passage, StructuredDoc

MIN_WORDS = 60
MAX_WORDS = 300
TARGET_WORDS = 220
FRAGMENT_WORDS = 25

# --------------------------------------------------------------------------- sentences
_ABBREVIATIONS = frozenset(
    [
        "dr", "mr", "mrs", "ms", "mx", "prof", "st", "rev", "sgt", "insp", "supt", "cllr",
        "pc", "dc", "ds", "di", "hon", "rt", "e.g", "i.e", "eg", "ie", "cf", "viz", "etc.al",
        "al", "para", "paras", "p", "pp", "no", "nos", "vol", "fig", "figs", "ch", "chap",
        "sec", "s", "ss", "art", "reg", "approx", "c", "ca", "vs", "v", "ltd", "co", "inc",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "dept", "ref", "tel", "op", "ed", "eds",
    ]
)  # fmt: skip
# End punctuation (with closing quotes/brackets), whitespace, then something that can
# open a sentence: a capital, a digit, an opening quote or bracket, a bullet.
_BOUNDARY = re.compile(r"[.!?][\"')\]\u201d\u2019]*\s+(?=[\"'(\[\u201c\u2018\u2022]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"(\S+)$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) covering ``text``, by fast rules (no model).

    Why rules: ingest splits every long paragraph of every report, and a parser per
    paragraph would dominate ingest time. A full stop does not end a sentence after a
    title or common abbreviation ("Dr.", "e.g.", "para. 3.2"), after an initial ("J.
    Smith"), or inside a number ("4.2.1").
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if text[m.start()] == ".":
            before = _WORD_BEFORE.search(text, 0, m.start())
            word = before.group(1).lower().lstrip("(\"'") if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
            if "." in word and all(len(part) <= 1 for part in word.split(".")):
                continue  # "e.g", "i.e", "a.m"
        end = m.start() + len(m.group(0).rstrip())
        spans.append((start, end))
        start = m.end()
    if start < len(text):
        end = len(text.rstrip())
        if end > start:
            spans.append((start, end))
    return spans


# --------------------------------------------------------------------------- units
@dataclass(slots=True)
class _Unit:
    """A run of text inside one paragraph block: the whole paragraph or some sentences."""

    start: int
    end: int
    words: int
    block: Block


def _count_words(text: str) -> int:
    return len(text.split())


_SENTENCE_END = re.compile(r"[.!?:;][\"')\]]*$")
MIN_PASSAGE_WORDS = 8


def is_front_matter_only(block: Block, text: str) -> bool:
    """A title-page or contents fragment: in front matter or a contents section, and no
    sentence ("Mid and West Wales", "October 2016", "3 Findings 12"). Why: such lines are
    not learning; as passages they match queries on names and dates and fill results."""
    if block.section_kind not in ("front", "contents"):
        return False
    words = len(text.split())
    if block.section_kind == "contents":
        return not (words >= 12 and _SENTENCE_END.search(text.rstrip()))
    return words < MIN_PASSAGE_WORDS or not _SENTENCE_END.search(text.rstrip())


def _units(structured: StructuredDoc) -> list[_Unit]:
    """Paragraphs, with long ones split at sentence boundaries into even parts; title
    page lines and contents entries left out."""
    text = structured.text
    units: list[_Unit] = []
    for block in structured.blocks:
        if block.kind != "paragraph":
            continue
        if is_front_matter_only(block, text[block.char_start : block.char_end]):
            continue
        body = text[block.char_start : block.char_end]
        words = _count_words(body)
        if words <= MAX_WORDS:
            units.append(_Unit(block.char_start, block.char_end, words, block))
            continue
        for s, e in _split_long(body, words):
            units.append(
                _Unit(block.char_start + s, block.char_start + e, _count_words(body[s:e]), block)
            )
    return units


def _split_long(body: str, words: int) -> list[tuple[int, int]]:
    """Cut a long paragraph into about equal parts of whole sentences (≤ MAX_WORDS)."""
    parts = max(2, -(-words // TARGET_WORDS))
    goal = words / parts
    sentences = split_sentences(body)
    pieces: list[tuple[int, int]] = []
    for s, e in sentences:  # a sentence over the limit is cut at spaces
        n = _count_words(body[s:e])
        if n <= MAX_WORDS:
            pieces.append((s, e))
            continue
        spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", body[s:e])]
        for k in range(0, len(spans), TARGET_WORDS):
            chunk = spans[k : k + TARGET_WORDS]
            pieces.append((s + chunk[0][0], s + chunk[-1][1]))
    out: list[tuple[int, int]] = []
    cur_start, cur_end, cur_words = (
        pieces[0][0],
        pieces[0][1],
        _count_words(body[slice(*pieces[0])]),
    )
    for s, e in pieces[1:]:
        n = _count_words(body[s:e])
        if cur_words + n > MAX_WORDS or (cur_words >= goal and cur_words + n / 2 > goal):
            out.append((cur_start, cur_end))
            cur_start, cur_words = s, 0
        cur_end = e
        cur_words += n
    out.append((cur_start, cur_end))
    return out


# --------------------------------------------------------------------------- grouping
@dataclass(slots=True)
class _Group:
    units: list[_Unit]
    words: int

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(self.units[0].block.heading_path)


def _group(units: list[_Unit]) -> list[_Group]:
    """Greedy packing of consecutive units within a section, then fragment repair.

    A unit joins the open group when both sit under the same headings and the total
    stays within MAX_WORDS; a group under MIN_WORDS also takes the next unit of its
    section. Groups of fewer than FRAGMENT_WORDS words left alone in their section then
    join a neighbour of the same section kind and top-level heading, even across a
    heading, because a one-line passage is useless as a search result.
    """
    groups: list[_Group] = []
    for unit in units:
        g = groups[-1] if groups else None
        if (
            g is not None
            and tuple(unit.block.heading_path) == g.key
            and g.words + unit.words <= MAX_WORDS
            and (
                g.words < MIN_WORDS
                or unit.words < MIN_WORDS
                or g.words + unit.words <= TARGET_WORDS
            )
            and g.units[-1].block is not unit.block  # parts of a long paragraph stay apart
        ):
            g.units.append(unit)
            g.words += unit.words
        else:
            groups.append(_Group([unit], unit.words))

    # fragments join a neighbour of the same kind; then no passage is left under
    # MIN_PASSAGE_WORDS words unless its section (heading path) holds nothing else
    fragments = _merge_small(groups, FRAGMENT_WORDS, _compatible)
    return _merge_small(fragments, MIN_PASSAGE_WORDS, lambda a, b: a.key == b.key)


def _merge_small(
    groups: list[_Group], limit: int, fits: Callable[[_Group, _Group], bool]
) -> list[_Group]:
    """Groups under ``limit`` words join the group before them, else the one after, when
    ``fits`` allows; otherwise they stay as they are."""
    out: list[_Group] = []
    for i, g in enumerate(groups):
        if g.words >= limit:
            out.append(g)
            continue
        prev = out[-1] if out else None
        if prev is not None and fits(prev, g):
            prev.units.extend(g.units)
            prev.words += g.words
            continue
        nxt = groups[i + 1] if i + 1 < len(groups) else None
        if nxt is not None and fits(g, nxt):
            nxt.units[:0] = g.units
            nxt.words += g.words
            continue
        out.append(g)
    return out


def _compatible(a: _Group, b: _Group) -> bool:
    ba, bb = a.units[-1].block, b.units[0].block
    return (
        a.words + b.words <= MAX_WORDS
        and ba.section_kind == bb.section_kind
        and ba.heading_path[:1] == bb.heading_path[:1]
    )


# --------------------------------------------------------------------------- passages


def passage_id(report_id: str, text: str) -> str:
    """``{report_id}-{first 12 hex of sha1(text)}``: the same text gives the same id."""
    return f"{report_id}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:12]}"


def _page_at(block: Block, offset: int) -> int:
    """Page of a character offset inside ``block``, from its recorded page breaks."""
    return block.page_start + bisect.bisect_right(block.page_breaks, offset)


def split_passages(structured: StructuredDoc, report_id: str) -> list[Passage]:
    """Cut ``structured`` into passages of about 60-300 words.

    Headings are not passages, but every passage keeps the heading path and section
    kind of its first paragraph (or of the paragraphs holding most of its words, when a
    fragment was merged across a heading). Offsets satisfy
    ``structured.text[p.char_start:p.char_end] == p.text``; ids are stable, with
    "-2", "-3" appended to identical repeats.
    """
    units = _units(structured)
    groups = _group(units)
    # A web page is cited by paragraph: the n-th paragraph block, as a reader counts them.
    paragraph_of = {
        id(b): n
        for n, b in enumerate((b for b in structured.blocks if b.kind == "paragraph"), start=1)
    }
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    for ordinal, g in enumerate(groups):
        first, last = g.units[0], g.units[-1]
        text = structured.text[first.start : last.end]
        weights: dict[int, int] = {}
        for u in g.units:
            weights[id(u.block)] = weights.get(id(u.block), 0) + u.words
        lead = max(g.units, key=lambda u: (weights[id(u.block)], -u.start)).block
        if len({tuple(u.block.heading_path) for u in g.units}) == 1:
            lead = first.block
        pid = passage_id(report_id, text)
        seen[pid] = seen.get(pid, 0) + 1
        if seen[pid] > 1:
            pid = f"{pid}-{seen[pid]}"
        passages.append(
            Passage(
                id=pid,
                report_id=report_id,
                ordinal=ordinal,
                text=text,
                heading_path=list(lead.heading_path),
                section_kind=lead.section_kind,
                page_start=_page_at(first.block, first.start),
                page_end=_page_at(last.block, max(last.start, last.end - 1)),
                char_start=first.start,
                char_end=last.end,
                paragraph=paragraph_of[id(first.block)],
            )
        )
    return passages
