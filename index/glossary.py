"""The query glossary: practitioners' shorthand and everyday words, read as reviews word them.

A health visitor types "hv missed visits"; the review says "the health visitor did not
see the baby". BM25 cannot join the two and MiniLM places "hv" far from "health visitor",
so a query word listed in ``glossary.yaml`` becomes a *group* in the BM25 arm: the word
itself or any of its expansions (all of that expansion's content words) counts as the
word being held. Everyday kin words ("mum", "nan") join the words reviews use ("mother",
"grandmother") the same way.

The dense arm embeds the query as typed. Spelling abbreviations out there too ranked
better on every query writer, but gave an uncovered topic ("FGM ...") hits it had not
had, and lost passages that use the abbreviation themselves ("known to MARAC"), so it
was not shipped (docs/search.md, "Query glossary").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from scrkb.index.lexical import fold, query_terms, typed_words

GLOSSARY_FILE = Path(__file__).with_name("glossary.yaml")


@dataclass(frozen=True)
class QueryWord:
    """One word of a query and what else holds it: each alternative is a tuple of
    content words, all of which a passage must hold (the word itself comes first, when
    it is a word the index can hold)."""

    word: str
    alternatives: tuple[tuple[str, ...], ...]
    expansions: tuple[str, ...] = ()  # spelt-out forms of an abbreviation, as listed


# A spelt-out form that turns on one of these cannot be matched: the index keeps no
# stopwords, so "did not attend" would be held by any passage saying "attended".
NEGATIONS = frozenset({"no", "not", "nor", "never", "without", "none", "nobody", "nothing"})


class Glossary:
    """Abbreviations and everyday word groups from ``glossary.yaml``."""

    def __init__(
        self,
        abbreviations: dict[str, list[str]],
        also_words: list[str],
        everyday: list[list[str]],
    ) -> None:
        self.abbreviations: dict[str, list[str]] = {}
        for key, expansions in abbreviations.items():
            for expansion in expansions:
                words = set(re.findall(r"[a-z]+", expansion.lower()))
                if words & NEGATIONS:
                    raise ValueError(
                        f"glossary: {key!r} -> {expansion!r} turns on a negation, which the "
                        "index cannot match"
                    )
                if not query_terms(expansion):
                    raise ValueError(f"glossary: {key!r} -> {expansion!r} has no content word")
            self.abbreviations[key.lower()] = list(expansions)
        self.also_words = {w.lower() for w in also_words}
        self.everyday: dict[str, list[str]] = {}
        for group in everyday:
            for word in group:
                self.everyday[word.lower()] = [w.lower() for w in group]

    @classmethod
    def load(cls, path: Path = GLOSSARY_FILE) -> Glossary:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            data.get("abbreviations") or {},
            data.get("also_words") or [],
            data.get("everyday") or [],
        )

    def key_of(self, typed: str) -> str | None:
        """The abbreviation a typed word stands for ("HV's", "LADOs" -> "hv", "lado"), or
        None. A key that is also an everyday word counts only in capitals."""
        letters = re.split(r"['’]", typed)[0]  # fold() joins "A & E" itself
        key = fold(letters)
        if key not in self.abbreviations and key.endswith("s"):
            key = key[:-1]
            letters = letters[:-1]
        if key not in self.abbreviations:
            return None
        if key in self.also_words and not letters.isupper():
            return None  # "send a referral" is not SEND
        return key

    def knows(self, word: str) -> bool:
        """Whether ``word`` is glossary shorthand (so not a misspelling to correct)."""
        return self.key_of(word) is not None

    def words(self, text: str) -> list[QueryWord]:
        """The query's words in order, each with its alternatives (one per word; where a
        word is read both ways, as in "send SEND", the abbreviation wins)."""
        out: dict[str, QueryWord] = {}
        for typed in typed_words(text):
            own = query_terms(typed)  # [] for a stopword, a one-letter word or "A&E"
            key = self.key_of(typed)
            if key is not None:
                expansions = self.abbreviations[key]
                alternatives = [tuple(own)] + [tuple(query_terms(e)) for e in expansions]
                word = QueryWord(key, _distinct(alternatives), tuple(expansions))
            elif not own:
                continue
            elif own[0] in self.everyday:
                group = [own[0]] + [w for w in self.everyday[own[0]] if w != own[0]]
                word = QueryWord(own[0], tuple((w,) for w in group))
            else:
                word = QueryWord(own[0], ((own[0],),))
            if word.word not in out or (word.expansions and not out[word.word].expansions):
                out[word.word] = word
        return list(out.values())


def _distinct(alternatives: list[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    return tuple(dict.fromkeys(a for a in alternatives if a))


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    """The packaged glossary, read once per process."""
    return Glossary.load()
