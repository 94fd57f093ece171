"""Why a hit matched: the words it shares with the query, the themes the query asked for
and whether it was found by meaning, with report names never counted as matches.

Reviews name the child by a code ("Baby Q", "Child T", "Family X"); a query about babies
must not show "Baby" in "Baby Q" as a match, nor count it among the matched words. The
snippet's marks (FTS5's own, ``\\x02``/``\\x03``) are kept everywhere else.
"""

from __future__ import annotations

import re

from scrkb.index.search import MARK_END, MARK_START
from scrkb.models import HitTheme, MatchReason, SearchHit

# "Baby Q", "Child T's", "Family X", "Young Person B", "Sibling 2", "Mr S", "Adult A":
# a role word, capitalised as a name, then a one- to three-letter capital code or a number.
_PSEUDONYM = re.compile(
    r"\b(?:Baby|Babies|Child|Children|Infant|Young\s+Person|Young\s+People|Sibling|Siblings|"
    r"Family|Families|Adult|Mother|Father|Mr|Mrs|Ms|Miss|Dr|Person|Subject|Twin|Twins)"
    r"\s+(?:[A-Z]{1,3}|[0-9]{1,2})\b(?![a-z])"
)
_MARKED = re.compile(f"{MARK_START}([^{MARK_END}]*){MARK_END}")


def _subject(title: str) -> str | None:
    """The part of a title that names the child: "Serious Case Review: Arthur" -> "Arthur"."""
    if ":" not in title:
        return None
    tail = title.rsplit(":", 1)[1].strip()
    return tail if tail and len(tail.split()) <= 3 else None


def unmark_names(snippet: str, title: str = "") -> str:
    """``snippet`` with the marks taken off words inside a child's or family's code name."""
    if MARK_START not in snippet:
        return snippet
    plain = snippet.replace(MARK_START, "").replace(MARK_END, "")
    spans = [m.span() for m in _PSEUDONYM.finditer(plain)]
    subject = _subject(title)
    if subject:
        spans += [m.span() for m in re.finditer(rf"\b{re.escape(subject)}\b", plain)]
    if not spans:
        return snippet
    out: list[str] = []
    pos = 0  # position in ``plain``
    i = 0
    while i < len(snippet):
        if snippet[i] == MARK_START:
            end = snippet.find(MARK_END, i)
            if end == -1:
                out.append(snippet[i + 1 :])
                break
            word = snippet[i + 1 : end]
            inside = any(s <= pos and pos + len(word) <= e for s, e in spans)
            out.append(word if inside else snippet[i : end + 1])
            pos += len(word)
            i = end + 1
            continue
        if snippet[i] != MARK_END:
            pos += 1
        out.append(snippet[i])
        i += 1
    return "".join(out)


def matched_words(snippet: str) -> list[str]:
    """The marked words of a snippet, lower-cased, once each, in order."""
    return list(dict.fromkeys(w.lower() for w in _MARKED.findall(snippet) if w.strip()))


def explain_hit(
    hit: SearchHit, *, asked_themes: set[str], meaning: bool
) -> tuple[str, MatchReason]:
    """The hit's snippet with code names unmarked, and why it matched.

    ``asked_themes``: the themes the query asked for (ticked as filters, or named in
    words or by meaning); ``meaning``: whether the embedding arm ran for this search.
    """
    snippet = unmark_names(hit.snippet, hit.title)
    themes = [
        HitTheme(id=t.id, name=t.name, confidence=t.confidence)
        for t in hit.themes
        if t.id in asked_themes
    ]
    reason = MatchReason(
        terms=matched_words(snippet),
        themes=themes,
        meaning=meaning and hit.score_parts.dense_rank is not None,
    )
    return snippet, reason
